"""Preprocessing belongs to the trial: fitted on the trial's training rows only, refitted for every fold."""

from __future__ import annotations

import numpy as np
import pytest

from classbench.bench import trial as trial_mod
from classbench.bench.preprocess import TabularPipeline, wrap_for
from classbench.bench.protocols import fold_data
from classbench.config import DatasetSpec, ModelSpec, ProtocolSpec, TrialSpec
from classbench.models import create_model

from ._table import COLUMNS, mixed_table

KFOLD = ProtocolSpec(kind="kfold", k=5)


class Recorder:
    """Stands in for a model: remembers what fit and predict were given."""

    def __init__(self, inner):
        self.inner = inner

    def fit(self, X, y, **kw):
        self.fit_X = np.array(X)
        self.inner.fit(X, y)
        self.classes_ = self.inner.classes_
        return self

    def predict(self, X):
        return self.inner.predict(X)

    def get_params(self, deep=True):
        return {"inner": self.inner}

    def set_params(self, **p):
        self.inner = p.get("inner", self.inner)
        return self


def _fit_stats(pipe):
    num = pipe.preprocessor_.named_transformers_["numeric"]
    nom = pipe.preprocessor_.named_transformers_["nominal"]
    imp, scaler = num[0], num[1]
    return imp.statistics_.copy(), scaler.mean_.copy(), scaler.scale_.copy(), nom[0].statistics_.copy(), \
        [c.copy() for c in nom[1].categories_]


def test_statistics_come_from_the_training_rows_alone(table):
    X_tr, y_tr, X_te, y_te, _ = fold_data(KFOLD, table, 0, 0)
    pipe = TabularPipeline(create_model("logreg"), COLUMNS).fit(X_tr, y_tr)
    medians, means, scales, modes, cats = _fit_stats(pipe)
    num = X_tr[:, [0, 2]]
    assert np.allclose(medians, np.nanmedian(num, axis=0))
    filled = np.where(np.isnan(num), medians, num)
    assert np.allclose(means[:2], filled.mean(axis=0)) and np.allclose(scales[:2], filled.std(axis=0))
    for j, col in enumerate([1, 3]):
        vals, counts = np.unique(X_tr[~np.isnan(X_tr[:, col]), col], return_counts=True)
        assert modes[j] == vals[np.argmax(counts)]
        assert list(cats[j]) == list(vals)


def test_test_fold_values_never_reach_the_fitted_statistics_or_the_model(table):
    X_tr, y_tr, X_te, y_te, test_index = fold_data(KFOLD, table, 2, 0)
    before = _fit_stats(TabularPipeline(create_model("logreg"), COLUMNS).fit(X_tr, y_tr))
    # change every test-fold value of the pooled table (huge numbers, a category nobody has seen, NaN)
    poisoned = table.__class__(**{**table.__dict__})
    X = np.concatenate([table.X_train, table.X_test])
    X[test_index] = np.where(np.arange(4) % 2 == 0, 1e9, 7.0)
    X[test_index[::3]] = np.nan
    n = len(table.X_train)
    poisoned.X_train, poisoned.X_test = X[:n], X[n:]
    X_tr2, y_tr2, X_te2, _, _ = fold_data(KFOLD, poisoned, 2, 0)
    assert np.array_equal(X_tr2, X_tr, equal_nan=True) and not np.array_equal(X_te2, X_te, equal_nan=True)
    rec = Recorder(create_model("logreg"))
    pipe = TabularPipeline(rec, COLUMNS).fit(X_tr2, y_tr2)
    after = _fit_stats(pipe)
    for a, b in zip(before[:4], after[:4]):
        assert np.array_equal(a, b)
    assert all(np.array_equal(a, b) for a, b in zip(before[4], after[4]))
    # the model saw exactly the training rows, transformed: no row, no value from the test fold
    seen = pipe.model_.fit_X
    assert seen.shape[0] == len(X_tr2) and np.allclose(seen, pipe.preprocessor_.transform(X_tr2))
    assert np.abs(seen).max() < 1e3
    assert pipe.predict(X_te2).shape == (len(X_te2),)  # unseen category 7 and huge values still predict


def _run(table, fold, model="logreg", seen=None):
    spec = TrialSpec(DatasetSpec("mixed-test"), ModelSpec(model), 0, KFOLD, fold, KFOLD.k)
    trial_mod._DATA_CACHE.clear()
    trial_mod._DATA_CACHE[repr(spec.dataset)] = table
    try:
        return trial_mod.run_trial(spec.to_dict(), {"data_dirs": [], "download": False}, 1,
                                   on_model=(seen.append if seen is not None else None))
    finally:
        trial_mod._DATA_CACHE.clear()


def test_each_kfold_trial_fits_its_own_pipeline(table):
    seen = []
    results = [_run(table, fold, seen=seen) for fold in range(3)]
    assert all(r["status"] == "ok" for r in results), results
    medians = []
    for fold, pipe in enumerate(seen):
        assert isinstance(pipe, TabularPipeline)
        X_tr = fold_data(KFOLD, table, fold, 0)[0]
        stats = _fit_stats(pipe)[0]
        assert np.allclose(stats, np.nanmedian(X_tr[:, [0, 2]], axis=0))
        medians.append(tuple(stats))
    assert len(set(medians)) == 3  # refitted per fold, not once per dataset


def test_native_models_get_codes_in_the_trial(table):
    seen = []
    r = _run(table, 0, model="hist-gb", seen=seen)
    assert r["status"] == "ok" and r["accuracy"] > 0.6
    assert seen[0].preprocessor_ is None and seen[0].model_.categorical == [1, 3]


def test_only_described_tables_are_wrapped(table):
    model = create_model("logreg")
    assert wrap_for(model, table).model is model
    plain = table.__class__(**{**table.__dict__, "meta": {}})
    assert wrap_for(model, plain) is model  # digits-like: all numeric, nothing to do


def test_bad_column_description_is_refused():
    X, y = mixed_table(30)
    with pytest.raises(ValueError, match="kind must be"):
        TabularPipeline(create_model("logreg"), [{"name": "a", "kind": "text"}] * 4).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 columns, but the table has 3"):
        TabularPipeline(create_model("logreg"), COLUMNS[:3]).fit(X, y)
