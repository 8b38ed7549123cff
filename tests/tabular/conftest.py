"""Fixtures of the tabular tests."""

from __future__ import annotations

import pytest

from classbench.datasets.base import Dataset

from ._table import COLUMNS, mixed_table


@pytest.fixture
def table() -> Dataset:
    X, y = mixed_table()
    return Dataset("mixed", X[:180], y[:180], X[180:], y[180:], ["a", "b", "c"], "tabular",
                   provenance={"source": "test"}, meta={"columns": [dict(c) for c in COLUMNS]})
