"""A small mixed table (numeric + nominal columns, missing values) under the tables contract."""

from __future__ import annotations

import numpy as np

COLUMNS = [
    {"name": "age", "kind": "numeric"},
    {"name": "colour", "kind": "nominal", "categories": ["red", "green", "blue"]},
    {"name": "income", "kind": "numeric"},
    {"name": "size", "kind": "nominal", "categories": ["s", "m", "l", "xl"]},
]


def mixed_table(n: int = 240, seed: int = 0, missing: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """X float64 (n, 4): codes for the nominal columns, NaN for ~``missing`` of the cells; y in {0, 1, 2}."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    age = 30 + 10 * y + rng.normal(0, 4, n)
    colour = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n)).astype(float)
    income = 1000.0 * (1 + (y == 2)) + rng.normal(0, 300, n)
    size = rng.integers(0, 4, n).astype(float)
    X = np.column_stack([age, colour, income, size])
    X[rng.random(X.shape) < missing] = np.nan
    return X, y
