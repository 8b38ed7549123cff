"""scikit-learn's bundled 8x8 digits (1,797 images): the embedded default that needs no network."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource, stratified_holdout


@DATASETS.register("digits")
class Digits(DatasetSource):
    name = "digits"
    modality = "image"
    summary = "scikit-learn's bundled 8x8 handwritten digits, 1,797 images, 10 classes (no download)"
    source = "UCI Optical Recognition of Handwritten Digits (E. Alpaydin, C. Kaynak), bundled with scikit-learn"
    param_space = {
        "test_fraction": Param(float, low=0.0, high=0.9, low_open=True, doc="share of images held out for test"),
        "split_seed": Param(int, low=0, doc="seed of the stratified train/test split"),
    }

    def load(self, ctx: DataContext, test_fraction: float = 0.25, split_seed: int = 0, **_: Any) -> Dataset:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        X = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
        y = bunch.target.astype(np.int64)
        tr, te = stratified_holdout(y, test_fraction, split_seed)
        return Dataset(
            name="digits",
            X_train=X[tr],
            y_train=y[tr],
            X_test=X[te],
            y_test=y[te],
            classes=[str(i) for i in range(10)],
            modality="image",
            provenance={
                "source": self.source,
                "loader": "sklearn.datasets.load_digits",
                "params": {"test_fraction": test_fraction, "split_seed": split_seed},
            },
        )
