"""Shared by the benchmark scripts that read MNIST's four IDX .gz files themselves (gzip + NumPy), so that
both sides of a comparison get exactly the same arrays without going through classbench's loader."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import numpy as np

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def find_mnist() -> Path:
    for base in os.environ.get("CLASSBENCH_DATA", "").split(os.pathsep):
        for cand in (Path(base) / "mnist", Path(base)):
            if base and all((cand / f).exists() for f in FILES):
                return cand
    sys.exit("Set CLASSBENCH_DATA to a folder holding mnist/ with the four IDX .gz files.")


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) as uint8 / int64, images (n, 28, 28)."""
    d = find_mnist()
    Xtr, ytr, Xte, yte = (read_idx(d / f) for f in FILES)
    return Xtr, ytr.astype(np.int64), Xte, yte.astype(np.int64)
