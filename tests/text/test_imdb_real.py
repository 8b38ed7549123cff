"""The real IMDB copy in CLASSBENCH_DATA (skipped without it): counts, ratings, cache speed, a quick model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import load_dataset
from classbench.datasets.base import DataContext
from classbench.datasets.imdb import IMDB

from ..conftest import real_data_dir

pytestmark = pytest.mark.realdata

# rating -> count, from the file names (shared/datasets/README.md)
TRAIN_RATINGS = {1: 5100, 2: 2284, 3: 2420, 4: 2696, 7: 2496, 8: 3009, 9: 2263, 10: 4732}
TEST_RATINGS = {1: 5022, 2: 2302, 3: 2541, 4: 2635, 7: 2307, 8: 2850, 9: 2344, 10: 4999}


@pytest.fixture(scope="module")
def real_ctx(tmp_path_factory):
    data = real_data_dir()
    if not any((Path(d) / "imdb").is_dir() for d in data.split(":")):
        pytest.skip(f"no imdb/ folder in CLASSBENCH_DATA={data}")
    return DataContext.from_env(download=False).__class__(
        data_dirs=DataContext.from_env(download=False).data_dirs, cache_dir=tmp_path_factory.mktemp("imdb-cache"),
        download=False)


@pytest.fixture(scope="module")
def real(real_ctx):
    return load_dataset("imdb", ctx=real_ctx)


def test_real_imdb_counts_and_ratings(real):
    assert len(real.X_train) == len(real.X_test) == 25000 and real.provenance["complete"] is True
    for y, r, want in ((real.y_train, real.meta["rating_train"], TRAIN_RATINGS),
                       (real.y_test, real.meta["rating_test"], TEST_RATINGS)):
        assert np.bincount(y).tolist() == [12500, 12500]
        assert dict(zip(*np.unique(r, return_counts=True))) == want
        assert np.all((r >= 7) == (y == 1))
    assert real.provenance["replaced_characters"] == 0 and len(real.provenance["sha256"]) == 64
    assert real.X_train[12500].startswith("Bromwell High is a cartoon comedy.")  # train/pos/0_9.txt


def test_real_imdb_second_load_is_fast(real, real_ctx):
    t0 = time.perf_counter()
    again = load_dataset("imdb", ctx=real_ctx)
    elapsed = time.perf_counter() - t0
    assert again.meta["cache_hit"] is True and elapsed <= 5.0, f"cached load took {elapsed:.1f} s"
    assert again.X_test[777] == real.X_test[777]


def test_real_imdb_show_and_a_quick_model(real, real_ctx):
    text = IMDB().show(real_ctx, 12500)
    assert "aclImdb/test/pos/0_10.txt" in text and "<start>" in text
    from classbench.models import create_model

    idx = np.random.default_rng(0).permutation(25000)[:3000]
    model = create_model("nbsvm").fit(real.X_train[idx], real.y_train[idx])
    acc = float(np.mean(model.predict(real.X_test[idx]) == real.y_test[idx]))
    assert acc > 0.82, f"NBSVM on 3,000 real reviews scored {acc:.3f}"
