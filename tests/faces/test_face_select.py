"""face-select: its descriptors, and a choice made inside fit from the training faces alone (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.errors import UserError
from classbench.models import MODELS, create_model
from classbench.models.faces import features, select

from .conftest import split_faces, write_faces


@pytest.fixture(scope="module")
def data():
    return split_faces()


# ------------------------------------------------------------------------------------------- descriptors
def _lbp_reference(img: np.ndarray) -> np.ndarray:
    """Uniform LBP(8,1) label of each interior pixel, one pixel at a time."""
    h, w = img.shape
    out = np.empty((h - 2, w - 2), dtype=int)
    ring = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    uniform = [c for c in range(256) if sum(((c >> k) & 1) != ((c >> ((k + 1) % 8)) & 1) for k in range(8)) <= 2]
    for r in range(1, h - 1):
        for c in range(1, w - 1):
            bits = [int(img[r + dy, c + dx] >= img[r, c]) for dy, dx in ring]
            code = sum(b << k for k, b in enumerate(bits))
            out[r - 1, c - 1] = uniform.index(code) if code in uniform else 58
    return out


def test_lbp_matches_a_pixel_by_pixel_reference_and_ignores_monotone_lighting():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 6, size=(10, 9)).astype(np.float64)  # few grey levels: ties (>=) happen
    labels = _lbp_reference(img)
    got = features.lbp(img[None], cell=4).reshape(2, 2, 59)  # 8x7 interior, 2x2 cells
    rows, cols = (np.arange(8) * 2) // 8, (np.arange(7) * 2) // 7
    for i in range(2):
        for j in range(2):
            cell = labels[np.ix_(rows == i, cols == j)].ravel()
            want = np.sqrt(np.bincount(cell, minlength=59) / cell.size)
            np.testing.assert_allclose(got[i, j], want)
    # a strictly increasing change of grey levels (gamma, gain, offset) leaves LBP unchanged
    np.testing.assert_array_equal(features.lbp((0.5 * img ** 2 + 3)[None], cell=4), got.reshape(1, -1))


def test_hog_puts_a_vertical_ramp_into_the_vertical_bin():
    img = np.tile(np.arange(16.0)[:, None], (1, 16))  # brighter downwards: every gradient points down
    h = features.hog(img[None], cell=8).reshape(-1, 9)  # 2x2 cells, one block of 4 cells
    assert h.shape == (4, 9)
    assert np.all(h[:, [0, 1, 2, 3, 5, 6, 7, 8]] == 0) and np.all(h[:, 4] > 0)  # 90 degrees: bin 4 of 0..8
    flipped = features.hog(img.T[None], cell=8).reshape(-1, 9)  # brighter rightwards: 0 degrees, bins 8 and 0
    np.testing.assert_allclose(flipped[:, 0], flipped[:, 8])
    assert np.all(flipped[:, 1:8] == 0) and np.all(flipped[:, 0] > 0)


# -------------------------------------------------------------------------------------------- the model
def test_registered_and_in_the_faces_suite():
    from classbench.config import load_suite

    entry = MODELS.entry("face-select")
    assert entry.meta["family"] == "sklearn" and entry.meta["modalities"] == ("image",)
    assert "face-select" in [m.name for m in load_suite("faces").models]


def test_one_descriptor_is_fisherfaces(data):
    """With the pool reduced to pixels there is nothing to choose: the model is fisherfaces (shrinkage 0.1)."""
    X_tr, y_tr, X_te, _ = data
    mine = create_model("face-select", features="pixels").fit(X_tr, y_tr)
    assert mine.selected_ == ("pixels",) and mine.cv_results_ == {}
    theirs = create_model("fisherfaces", shrinkage=0.1).fit(X_tr, y_tr)
    np.testing.assert_array_equal(mine.predict(X_te), theirs.predict(X_te))
    # the same projection: the distance to the nearest training face agrees with fisherfaces' 1-NN distance
    Z = theirs.pipeline_[:-1].transform(X_te.reshape(len(X_te), -1))
    nearest = theirs.pipeline_[-1].kneighbors(Z, 1)[0][:, 0]
    scorer = mine.scorers_["pixels"]
    Zm = scorer._project(X_te.reshape(len(X_te), -1).astype(np.float64))
    mine_nearest = np.sqrt(((Zm[:, None, :] - scorer.Z_[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(mine_nearest, nearest, rtol=1e-3)


def test_inner_cv_picks_the_descriptor_that_carries_the_identity():
    """Subjects differ only by brightness (noise texture otherwise): LBP and HOG ignore brightness, so only
    pixels can tell them apart, and the inner CV must see that from the training faces."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(6), 8)
    X = (rng.normal(0, 0.05, size=(len(y), 1, 16, 16)) + (0.2 + 0.1 * y)[:, None, None, None]).astype(np.float32)
    model = create_model("face-select", random_state=0).fit(X, y)
    res = model.cv_results_
    assert set(res) == set(select.POOLS) and model.inner_folds_ == 5
    assert res["pixels"]["accuracy"] == 1.0 and res["lbp"]["accuracy"] < 0.5 and res["hog"]["accuracy"] < 0.5
    assert model.selected_ == ("pixels",)
    assert model.history_[0]["selected"] == "pixels" and model.history_[0]["inner_cv_accuracy"] == 1.0


def test_inner_folds_are_stratified_and_keep_identical_images_together():
    y = np.repeat(np.arange(3), 11)
    groups = np.arange(33)
    groups[[1, 2]] = groups[0]  # three identical images of class 0
    fold = select.inner_folds(y, groups, k=5, seed=3)
    assert len(set(fold[[0, 1, 2]])) == 1
    for c in range(3):
        units = np.unique(groups[y == c], return_index=True)[1]
        per_fold = np.bincount(fold[y == c][units], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1  # each class's images spread evenly
    np.testing.assert_array_equal(select.inner_folds(y, groups, 5, 3), fold)  # seeded
    Xf = np.zeros((4, 3))
    Xf[1] = Xf[3] = 1.0
    assert select.duplicate_groups(Xf).tolist() == [0, 1, 0, 1]


def test_inner_cv_only_sees_the_training_faces_and_never_mixes_a_fold(data, monkeypatch):
    """Every projection fitted or applied while choosing holds rows of fit's own training descriptors only;
    within a fold, the faces scored are not among the faces fitted on (nor identical to one of them)."""
    X_tr, y_tr, X_te, _ = data
    X_tr = np.concatenate([X_tr, X_tr[:1]])  # an identical twin in training: must stay in its fold
    y_tr = np.concatenate([y_tr, y_tr[:1]])
    calls = []
    real_fit, real_scores = select._FisherScorer.fit, select._FisherScorer.scores

    def fit(self, F, y):
        calls.append(("fit", F.copy()))
        return real_fit(self, F, y)

    def scores(self, F):
        calls.append(("scores", F.copy()))
        return real_scores(self, F)

    monkeypatch.setattr(select._FisherScorer, "fit", fit)
    monkeypatch.setattr(select._FisherScorer, "scores", scores)
    model = create_model("face-select", random_state=0).fit(X_tr, y_tr)
    own = {k: {r.tobytes() for r in features.describe(X_tr[:, 0].astype(np.float64), k)} for k in features.KINDS}
    choosing = calls[: 2 * 3 * model.inner_folds_]  # per fold and descriptor: one fit, then one scoring
    for i in range(0, len(choosing), 2):
        (_, fitted), (_, scored) = choosing[i], choosing[i + 1]
        kind = next(k for k in features.KINDS if {r.tobytes() for r in fitted} <= own[k])
        assert {r.tobytes() for r in scored} <= own[kind]
        assert not {r.tobytes() for r in fitted} & {r.tobytes() for r in scored}
        assert len(fitted) + len(scored) == len(X_tr)
    model.predict(X_te)  # predicting changes nothing that fit chose
    assert model.selected_ == create_model("face-select", random_state=0).fit(X_tr, y_tr).selected_


def test_leave_one_out_choice_does_not_depend_on_the_held_out_face(tmp_path):
    """Through the runner's leave-one-out folds: replacing the held-out face (and its twin) by anything
    leaves the training set, hence the inner CV's results and the choice, exactly as they were."""
    from classbench.bench.protocols import fold_data
    from classbench.config import ProtocolSpec
    from classbench.datasets import DataContext
    from classbench.datasets.yalefaces import YaleFaces

    write_faces(tmp_path / "yalefaces")
    ctx = DataContext(data_dirs=[tmp_path], cache_dir=tmp_path / "cache", download=False)
    src = YaleFaces()
    ds = src.load(ctx, **src.check(ctx, width=12, height=16, crop=[]))
    names = ds.meta["files_train"] + ds.meta["files_test"]  # the runner's pooled order
    fold = names.index("subject04.normal")  # a face with a twin (subject04.sad)
    X_tr, y_tr, X_te, y_te, te = fold_data(ProtocolSpec("loo"), ds, fold, 0)
    assert len(X_tr) == 163  # the held-out face and its twin left training
    chosen = create_model("face-select", random_state=0).fit(X_tr, y_tr)
    rng = np.random.default_rng(0)
    n_train = len(ds.X_train)
    for i in (fold, names.index("subject04.sad")):  # another held-out face (and twin) altogether
        part, j = (ds.X_train, i) if i < n_train else (ds.X_test, i - n_train)
        part[j] = rng.random(part[j].shape)
    X_tr2, y_tr2, X_te2, _, te2 = fold_data(ProtocolSpec("loo"), ds, fold, 0)
    assert not np.array_equal(X_te2, X_te) and np.array_equal(te2, te)
    again = create_model("face-select", random_state=0).fit(X_tr2, y_tr2)
    assert again.selected_ == chosen.selected_ and again.cv_results_ == chosen.cv_results_
    before = chosen.predict(X_te)
    chosen.predict(X_te2)  # shown the altered face, the fitted model keeps its choice and its answers
    assert chosen.selected_ == again.selected_
    np.testing.assert_array_equal(chosen.predict(X_te), before)
    np.testing.assert_array_equal(again.predict(X_te), before)


def test_bad_inputs_are_user_errors(data):
    X_tr, y_tr, _, _ = data
    with pytest.raises(UserError, match="features"):
        create_model("face-select", features="pixels+sift")
    with pytest.raises(UserError, match="inner_folds"):
        create_model("face-select", inner_folds=1)
    with pytest.raises(UserError, match="too small"):
        create_model("face-select").fit(np.zeros((4, 1, 2, 8), np.float32), [0, 1, 0, 1])
    with pytest.raises(UserError, match="single class"):
        create_model("face-select").fit(X_tr[:5], np.zeros(5, int))
    # one image per class: no inner CV possible, the whole pool is used as declared
    few = create_model("face-select").fit(X_tr[::8][:4], np.arange(4))
    assert few.cv_results_ == {} and few.selected_ == ("pixels", "lbp", "hog") and few.inner_folds_ == 0
