"""Fixtures for the report tests: synthetic runs (real store, real digits, simulated predictions) and a tiny
text dataset registered for the duration of one test."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.datasets import DATASETS, Dataset, DatasetSource

TEXT_NAME = "report-test-text"


class TinyText(DatasetSource):
    """12 short reviews, 2 classes: enough for the text branches of the report."""

    name = TEXT_NAME
    modality = "text"
    summary = "tiny text dataset for the report tests"

    def load(self, ctx, **params):
        good = [f"a wonderful film number {i},<br /><br /><b>moving</b> & well acted" for i in range(6)]
        bad = [f"a dull film number {i}; the plot makes no sense at all" for i in range(6)]
        X = np.array(good + bad, dtype=object)
        y = np.array([1] * 6 + [0] * 6, dtype=np.int64)
        tr = np.array([0, 1, 2, 3, 6, 7, 8, 9])
        te = np.array([4, 5, 10, 11])
        return Dataset(TEXT_NAME, X[tr], y[tr], X[te], y[te], ["negative", "positive"], "text",
                       provenance={"source": "the report tests"})


@pytest.fixture
def text_dataset():
    """Register the tiny text dataset for one test only (so registry-wide tests elsewhere never see it)."""
    DATASETS.register(TEXT_NAME)(TinyText)
    yield TEXT_NAME
    DATASETS._entries.pop(TEXT_NAME)
    DATASETS._aliases.pop(TEXT_NAME)


@pytest.fixture
def synthetic(tmp_path):
    """``synthetic(**make_run_kwargs) -> (store, run_id)`` in a fresh folder; stores are closed afterwards."""
    from classbench.report.synthetic import make_run

    stores = []

    def make(**kw):
        folder = tmp_path / f"run{len(stores)}"
        store, run_id = make_run(folder, **kw)
        stores.append(store)
        return store, run_id

    yield make
    for s in stores:
        s.close()
