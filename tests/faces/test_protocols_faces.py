"""The runner's protocols on faces: duplicates never straddle a split, every subject on both sides."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.bench.protocols import fold_data, fold_indices, n_folds, pooled, source_order
from classbench.config import ProtocolSpec, load_suite, parse_protocol
from classbench.datasets import DataContext
from classbench.datasets.yalefaces import YaleFaces, canonical_names

from .conftest import TWINS, write_faces


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    root = tmp_path_factory.mktemp("faces")
    write_faces(root / "yalefaces")
    ctx = DataContext(data_dirs=[root], cache_dir=root / "cache", download=False)
    src = YaleFaces()
    ds = src.load(ctx, **src.check(ctx, width=8, height=8, crop=[]))
    names = np.array(ds.meta["files_train"] + ds.meta["files_test"])  # pooled order
    return ds, names, root


def test_pooled_arrays_follow_the_meta_names(faces):
    ds, names, _ = faces
    X, y, groups = pooled(ds)
    assert len(X) == len(y) == len(groups) == len(names) == 165
    assert [ds.classes[c] for c in y] == [n.split(".")[0] for n in names]
    assert list(names[np.argsort(source_order(ds))]) == canonical_names()


def test_leave_one_out_drops_the_held_out_images_twin(faces):
    ds, names, _ = faces
    _, y, groups = pooled(ds)
    proto = ProtocolSpec("loo")
    assert n_folds(proto, ds) == 165
    twin_of = {**TWINS, **{v: k for k, v in TWINS.items()}}
    for fold in range(165):
        tr, te = fold_indices(proto, y, groups, fold, seed=0)
        assert te.tolist() == [fold]
        left_out = set(range(165)) - set(tr.tolist())
        expected = {fold} | {int(np.flatnonzero(names == twin_of[names[fold]])[0])} if names[fold] in twin_of \
            else {fold}
        assert left_out == expected, names[fold]


@pytest.mark.parametrize("seed", range(5))
def test_8_3_split_has_every_subject_on_both_sides(faces, seed):
    ds, names, _ = faces
    proto = parse_protocol({"kind": "split", "train_per_class": 8})
    X_tr, y_tr, X_te, y_te, te = fold_data(proto, ds, 0, seed)
    assert np.bincount(y_tr, minlength=15).tolist() == [8] * 15
    assert np.bincount(y_te, minlength=15).tolist() == [3] * 15
    _, y_all, groups = pooled(ds)
    tr, te_again = fold_indices(proto, y_all, groups, 0, seed=seed)
    np.testing.assert_array_equal(te_again, te)
    assert len(tr) == 120 and not set(tr.tolist()) & set(te.tolist())
    train_groups, test_groups = set(groups[tr].tolist()), set(groups[te].tolist())
    assert not train_groups & test_groups  # no image (nor its duplicate) on both sides


def test_split_seeds_give_different_splits(faces):
    ds, _, _ = faces
    proto = ProtocolSpec("split", train_per_class=8)
    tests = {tuple(fold_data(proto, ds, 0, s)[4].tolist()) for s in range(5)}
    assert len(tests) == 5


@pytest.mark.parametrize("k", [3, 5, 10])
def test_kfold_groups_never_straddle_folds(faces, k):
    ds, _, _ = faces
    _, y, groups = pooled(ds)
    proto = ProtocolSpec("kfold", k=k)
    seen = np.zeros(165, int)
    for fold in range(k):
        tr, te = fold_indices(proto, y, groups, fold, seed=1)
        assert not set(groups[tr].tolist()) & set(groups[te].tolist())
        assert len(np.union1d(tr, te)) == 165
        seen[te] += 1
        if k <= 5:  # at least two groups of each subject per fold: every subject is tested in every fold
            assert len(np.unique(y[te])) == 15
    assert (seen == 1).all()


def test_ordered_split_takes_the_first_files_of_each_subject(faces):
    """The notebook's mistake: the first 20% of each subject's files in file order (centerlight, glasses)."""
    ds, names, _ = faces
    proto = ProtocolSpec("split", train_fraction=0.2, ordered=True)
    _, y_tr, _, y_te, te = fold_data(proto, ds, 0, seed=123)
    train = sorted(set(names.tolist()) - set(names[te].tolist()))
    expected = sorted(f"subject{s:02d}.{c}" for s in range(1, 16) for c in ("centerlight", "glasses")
                      if s != 8)
    expected += ["subject08.centerlight", "subject08.happy"]  # subject08.glasses = normal: that pair is passed over
    assert train == sorted(expected)
    assert len(y_tr) == 30 and len(y_te) == 135
    assert fold_data(proto, ds, 0, seed=7)[4].tolist() == te.tolist()  # no randomness in ordered mode


def test_holdout_is_the_datasets_own_8_3_split(faces):
    ds, _, _ = faces
    X_tr, y_tr, X_te, y_te, te = fold_data(ProtocolSpec("holdout"), ds, 0, 0)
    assert X_tr is ds.X_train and len(y_te) == 45 and te.tolist() == list(range(120, 165))


@pytest.mark.parametrize("suite", ["faces", "faces-cnn", "faces-seed"])
def test_built_in_face_suites_plan(faces, suite, monkeypatch):
    from classbench.bench.runner import plan

    _, _, root = faces
    spec = load_suite(suite)
    trials = plan(spec, DataContext(data_dirs=[root], cache_dir=root / "cache", download=False))
    assert trials and all(t.spec.dataset.name == "yalefaces" for t in trials)
    if spec.protocol.kind == "loo":
        assert len(trials) == 165 * len(spec.models) * len(spec.seeds)
