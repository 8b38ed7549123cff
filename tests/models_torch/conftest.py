"""Shared fixtures: small data sets and single-threaded torch (the CI machine has two shared cores)."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.models import MODELS

#: settings that keep every contract test to a fraction of a second
TINY = {"epochs": 2, "batch_size": 64}


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setenv("CLASSBENCH_THREADS", "1")
    torch.set_num_threads(1)


@pytest.fixture
def tiny():
    """Factory: a registered torch model with tiny settings (no augmentation, seed 0 unless overridden)."""
    from classbench.models import create_model

    def make(name: str, **extra):
        params = {**TINY, "random_state": 0, **extra}
        if "augment" in MODELS.get(name)().get_params():
            params.setdefault("augment", False)
        return create_model(name, **params)

    return make


@pytest.fixture(scope="session")
def digits():
    """sklearn's 8x8 digits as (n, 1, 8, 8) float32 in [0, 1]: (X_train, y_train, X_test, y_test)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    X, y = X[order], d.target[order]
    return X[:1300], y[:1300], X[1300:], y[1300:]


@pytest.fixture(scope="session")
def small_digits(digits):
    """300 training and 100 test digits with string labels (labels of any type must work)."""
    X, y, Xt, yt = digits
    names = np.array([f"d{i}" for i in range(10)])
    return X[:300], names[y[:300]], Xt[:100], names[yt[:100]]


@pytest.fixture(scope="session")
def circles():
    """Concentric circles (not linearly separable): X of shape (n, 2), y in {0, 1}."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=800, noise=0.05, factor=0.5, random_state=0)
    X = X.astype(np.float32)
    return X[:600], y[:600], X[600:], y[600:]
