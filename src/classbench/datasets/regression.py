"""Regression datasets: scikit-learn's bundled diabetes data and a synthetic noisy sine curve."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource


def _holdout(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    k = max(1, int(round(test_fraction * n)))
    return np.sort(perm[k:]), np.sort(perm[:k])


@DATASETS.register("diabetes")
class Diabetes(DatasetSource):
    name = "diabetes"
    modality = "tabular"
    task = "regression"
    summary = "scikit-learn's bundled diabetes progression data: 442 patients, 10 features (regression, no download)"
    source = "B. Efron, T. Hastie, I. Johnstone, R. Tibshirani (2004), Least Angle Regression; bundled with scikit-learn"
    param_space = {
        "test_fraction": Param(float, low=0.0, high=0.9, low_open=True),
        "split_seed": Param(int, low=0),
    }

    def load(self, ctx: DataContext, test_fraction: float = 0.25, split_seed: int = 0, **_: Any) -> Dataset:
        from sklearn.datasets import load_diabetes

        bunch = load_diabetes()
        X, y = bunch.data.astype(np.float32), bunch.target.astype(np.float64)
        tr, te = _holdout(len(y), test_fraction, split_seed)
        return Dataset("diabetes", X[tr], y[tr], X[te], y[te], classes=[], modality="tabular", task="regression",
                       provenance={"source": self.source, "loader": "sklearn.datasets.load_diabetes",
                                   "params": {"test_fraction": test_fraction, "split_seed": split_seed}},
                       meta={"feature_names": list(bunch.feature_names)})


@DATASETS.register("noisy-sine", "sine")
class NoisySine(DatasetSource):
    """t = sin(2πx) + ε, ε ~ N(0, noise²), x uniform on [0, 1]: the textbook curve-fitting example.

    A small training set (default 20 points) against a large test set (default 500) shows over-fitting:
    training error falls with the polynomial degree M while test error is U-shaped.
    """

    name = "noisy-sine"
    modality = "tabular"
    task = "regression"
    summary = "synthetic t = sin(2*pi*x) + noise on [0, 1]: the polynomial-degree / over-fitting demonstration"
    source = "synthetic (C. M. Bishop, Pattern Recognition and Machine Learning, 2006, section 1.1)"
    param_space = {
        "n_train": Param(int, low=2, high=1_000_000),
        "n_test": Param(int, low=1, high=1_000_000),
        "noise": Param(float, low=0.0),
        "data_seed": Param(int, low=0, doc="seed of the sampled points (fixed across trials by default)"),
    }

    def load(self, ctx: DataContext, n_train: int = 20, n_test: int = 500, noise: float = 0.3,
             data_seed: int = 0, **_: Any) -> Dataset:
        rng = np.random.default_rng(data_seed)
        x = rng.uniform(0.0, 1.0, n_train + n_test)
        t = np.sin(2 * np.pi * x) + rng.normal(0.0, noise, n_train + n_test)
        X = x[:, None].astype(np.float32)
        return Dataset("noisy-sine", X[:n_train], t[:n_train], X[n_train:], t[n_train:], classes=[],
                       modality="tabular", task="regression",
                       provenance={"source": self.source, "params": {"n_train": n_train, "n_test": n_test,
                                                                      "noise": noise, "data_seed": data_seed}})
