"""Per-sample predictions: the blob format, the store (same transaction, migration 2 -> 3) and a real trial."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from classbench.bench.predictions import decode, encode
from classbench.bench.store import SCHEMA_VERSION, Store
from classbench.errors import UserError

from .conftest import answers


@pytest.mark.parametrize("n_classes", [2, 10, 300, 70_000])
def test_blob_round_trip_any_label_width(n_classes):
    rng = np.random.default_rng(n_classes)
    n = 500
    index = np.sort(rng.choice(10**6, n, replace=False))
    y = rng.integers(0, n_classes, n)
    pred = np.where(rng.random(n) < 0.2, rng.integers(0, n_classes, n), y)
    proba = rng.dirichlet(np.ones(7), n)
    got = decode(encode(index, y, pred, proba))
    assert np.array_equal(got.index, index) and np.array_equal(got.y_true, y) and np.array_equal(got.y_pred, pred)
    assert np.allclose(got.proba, proba.max(axis=1), atol=1e-3)  # float16
    assert np.array_equal(got.correct, pred == y)
    plain = decode(encode(index[::-1], y, pred))  # any order of indices; no probabilities
    assert plain.proba is None and np.array_equal(plain.index, index[::-1])


def test_blob_is_compact_and_damage_is_a_user_error():
    a = answers(10_000, range(0, 10_000, 100))
    blob = encode(a["index"], a["y_true"], a["y_pred"], np.full(10_000, 0.99))
    assert len(blob) < 8_000, len(blob)  # 10,000 MNIST-like answers (int64 arrays would be 240 KB)
    assert len(encode([7], [1], [1])) < 40  # a leave-one-out trial
    with pytest.raises(UserError, match="damaged"):
        decode(blob[:40])
    with pytest.raises(UserError, match="damaged"):
        decode(b"nonsense" + blob)


def test_store_keeps_predictions_with_the_trial(stores, tmp_path):
    a = answers(300, [1, 5, 9])
    store = stores(tmp_path, {"m": [a]})
    (t,) = store.trials("r1")
    assert t["accuracy"] == pytest.approx(297 / 300)
    assert np.array_equal(t["predictions"].index, a["index"]) and t["predictions"].correct.sum() == 297
    assert store.trials("r1", predictions=False)[0].get("predictions") is None
    # a re-run of the trial that fails (resume) drops the earlier answers with the earlier result
    store.record("r1", t["trial_key"], {"status": "failed", "error": "boom"})
    assert store.prediction_blobs("r1") == {} and store.trials("r1")[0]["predictions"] is None


def test_v2_database_upgrades_in_place(tmp_path):
    store = Store(tmp_path)
    store.create_run("old", {"name": "seed", "datasets": [], "models": []}, "classbench run", {}, {})
    spec = {"dataset": {"name": "mnist", "params": {}}, "model": {"name": "ridge", "params": {}}, "seed": 0,
            "protocol": {"kind": "holdout"}, "fold": 0, "n_folds": 1}
    store.add_pending("old", [{"trial_key": "k", "seq": 0, "dataset": "mnist", "model": "ridge", "model_label": "ridge",
                               "family": "sklearn", "seed": 0, "fold": 0, "n_folds": 1, "protocol": "holdout",
                               "spec_json": json.dumps(spec), "params_json": "{}"}])
    store.record("old", "k", {"status": "ok", "accuracy": 0.86, "n_test": 10_000, "n_train": 60_000})
    store.close()
    db = sqlite3.connect(tmp_path / "classbench.db")  # turn it into what classbench wrote before schema 3
    db.executescript("DROP TABLE predictions; PRAGMA user_version = 2;")
    db.close()

    store = Store(tmp_path, create=False)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    (t,) = store.trials("old")
    assert t["accuracy"] == 0.86 and t["predictions"] is None  # the old row is intact, without answers
    store.record("old", "k", {"status": "ok", "accuracy": 0.5, "n_test": 2, "predictions": encode([0, 1], [0, 1], [0, 0])})
    assert store.trials("old")[0]["predictions"].correct.tolist() == [True, False]
    store.close()


def test_a_real_trial_returns_its_answers():
    from classbench.bench.trial import run_trial
    from classbench.config import DatasetSpec, ModelSpec, TrialSpec
    from classbench.datasets import DataContext, load_dataset

    spec = TrialSpec(DatasetSpec("digits"), ModelSpec("lda"), 0)
    from dataclasses import asdict

    res = run_trial(spec.to_dict(), asdict(DataContext.from_env(None)), 1)
    assert res["status"] == "ok", res.get("error")
    p = decode(res["predictions"])
    ds = load_dataset("digits")
    assert np.array_equal(p.index, np.arange(len(ds.y_test)) + len(ds.y_train))
    assert np.array_equal(p.y_true, ds.y_test)
    assert p.correct.mean() == pytest.approx(res["accuracy"])
    assert p.proba is not None and np.all((p.proba > 0) & (p.proba <= 1.0))
