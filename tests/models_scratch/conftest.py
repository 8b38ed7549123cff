"""Shared fixtures: small data sets and one BLAS thread (many tiny BLAS calls crawl when the
threads of a shared machine are oversubscribed)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits as (X_train, y_train, X_test, y_test), pixels in [0, 1], float64."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:1200], y[:1200], X[1200:], y[1200:]


@pytest.fixture(scope="session")
def blobs():
    """Three well separated Gaussian classes in 5-D, 150 samples, float64."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(3, 5))
    y = np.repeat(np.arange(3), 50)
    X = centers[y] + rng.normal(size=(150, 5))
    return X, y
