"""Shared fixtures: small image and text data, one BLAS thread (the CI machine has two shared cores)."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.models import MODELS

#: the models of this folder's files (the linear scratch models are tested in tests/models_scratch)
NET_MODELS = ["scratch-lenet5", "scratch-seed-cnn", "scratch-mlp", "scratch-lstm", "scratch-gru"]
TEXT_MODELS = ["scratch-lstm", "scratch-gru"]
#: settings that keep every contract fit to a fraction of a second
TINY = {
    "scratch-lenet5": {"epochs": 2, "batch_size": 64, "augment": False},
    "scratch-seed-cnn": {"epochs": 1, "batch_size": 64, "augment": False},
    "scratch-mlp": {"epochs": 2, "batch_size": 64, "hidden": [32]},
    "scratch-lstm": {"epochs": 2, "batch_size": 32, "units": 8, "embedding_dim": 8, "max_words": 60, "maxlen": 16},
    "scratch-gru": {"epochs": 2, "batch_size": 32, "units": 8, "embedding_dim": 8, "max_words": 60, "maxlen": 16},
}


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    monkeypatch.setenv("CLASSBENCH_THREADS", "1")


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


@pytest.fixture
def tiny():
    """Factory: a registered scratch net with tiny settings (seed 0 unless overridden)."""
    from classbench.models import create_model

    def make(name: str, **extra):
        return create_model(name, **{**TINY[name], "random_state": 0, **extra})

    return make


@pytest.fixture(scope="session")
def digits():
    """sklearn's 8x8 digits as (n, 1, 8, 8) float32 in [0, 1]: (X_train, y_train, X_test, y_test)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], d.target[order]
    return X[:1300], y[:1300], X[1300:], y[1300:]


@pytest.fixture(scope="session")
def small_digits(digits):
    """300 training and 100 test digits with string labels (labels of any type must work)."""
    X, y, Xt, yt = digits
    names = np.array([f"d{i}" for i in range(10)])
    return X[:300], names[y[:300]], Xt[:100], names[yt[:100]]


def make_reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic reviews of 3 to 14 words: label "pos" when "good" outnumbers "bad" (order matters little)."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(30)]
    texts, labels = [], []
    for _ in range(n):
        words = list(rng.choice(filler, rng.integers(3, 15)))
        pos = bool(rng.integers(2))
        for _ in range(int(rng.integers(1, 3))):
            words.insert(int(rng.integers(len(words) + 1)), "good" if pos else "bad")
        texts.append(" ".join(words) + ("!" if rng.random() < 0.5 else "."))
        labels.append("pos" if pos else "neg")
    return np.array(texts, dtype=object), np.array(labels)


@pytest.fixture(scope="session")
def reviews():
    """(X_train, y_train, X_test, y_test): 240 + 80 synthetic texts with string labels."""
    X, y = make_reviews(320, 0)
    return X[:240], y[:240], X[240:], y[240:]


@pytest.fixture
def data_for(small_digits, reviews):
    """The small data set that suits a model: texts for the text models, digits otherwise."""

    def pick(name: str):
        return reviews if name in TEXT_MODELS else small_digits

    return pick


def twin_class(name: str):
    return MODELS.get(name.removeprefix("scratch-"))
