"""The real Yale faces (165 GIFs) from CLASSBENCH_DATA: counts, checksums, the README's duplicate list."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from .conftest import TWINS

pytestmark = pytest.mark.realdata


def _data_dirs() -> list[Path]:
    return [Path(p) for p in os.environ.get("CLASSBENCH_DATA", "").split(os.pathsep) if p]


@pytest.fixture(scope="module")
def real():
    dirs = [d for d in _data_dirs() if (d / "yalefaces").is_dir()]
    if not dirs:
        pytest.skip("needs the real Yale faces: set CLASSBENCH_DATA to a folder holding yalefaces/")
    from classbench.datasets import DataContext
    from classbench.datasets.yalefaces import YaleFaces

    ctx = DataContext(data_dirs=dirs, download=False)
    src = YaleFaces()
    return src, ctx, src.load(ctx, **src.check(ctx))


def test_real_faces_load_with_the_documented_defaults(real):
    _, _, ds = real
    assert ds.X_train.shape == (120, 1, 56, 45) and ds.X_test.shape == (45, 1, 56, 45)
    assert ds.provenance["params"]["crop"] == [60, 0, 260, 243] and ds.provenance["params"]["equalize"]
    assert np.bincount(ds.y_train).tolist() == [8] * 15 and np.bincount(ds.y_test).tolist() == [3] * 15
    assert ds.provenance["canonical_files"] == 165 and ds.provenance["noncanonical"] == []
    assert ds.provenance["skipped"] == []


def test_real_duplicate_groups_match_the_readme(real):
    _, _, ds = real
    assert sorted(map(sorted, ds.provenance["duplicate_groups"])) == sorted(sorted(p) for p in TWINS.items())
    names = ds.meta["files_train"] + ds.meta["files_test"]
    groups = dict(zip(names, np.concatenate([ds.groups_train, ds.groups_test]).tolist()))
    assert len(set(groups.values())) == 165 - len(TWINS)
    assert not set(ds.groups_train.tolist()) & set(ds.groups_test.tolist())


def test_real_files_verify_against_the_checksum_table(real):
    src, ctx, _ = real
    rows = src.verify(ctx)
    assert len(rows) == 165 and {status for _, status in rows} == {"ok"}


def test_fisherfaces_recognise_the_real_held_out_faces(real):
    from threadpoolctl import threadpool_limits

    from classbench.models import create_model

    _, _, ds = real
    with threadpool_limits(1):
        model = create_model("fisherfaces").fit(ds.X_train, ds.y_train)
    assert np.mean(model.predict(ds.X_test) == ds.y_test) >= 0.9
