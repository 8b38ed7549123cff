"""Runs written straight into a real results store (no training): chosen per-sample answers, so every
interval and test has a known reference value."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classbench.bench.predictions import encode
from classbench.bench.store import Store


def write_run(out, models, run_id="r1", dataset="digits", kind="holdout", n_train=1000, with_predictions=True,
              store=None):
    """``models``: {label: list of trials}, each trial a dict with ``seed``, ``fold``, ``n_folds``, ``index``
    (test sample indices), ``y_true``, ``y_pred`` (or just ``accuracy`` and ``n_test`` when the trial has no
    predictions, as in a run made before schema 3). Returns the open Store."""
    if store is None:  # else: add this dataset's trials to ``store``'s run ``run_id``
        store = Store(out)
        store.create_run(run_id, {"name": "t", "datasets": [], "models": []}, "test", {}, {})
    rows, results = [], []
    seq0 = len(store.trials(run_id, predictions=False))
    for label, trials in models.items():
        for t in trials:
            key = f"{run_id}-{dataset}-{label}-{t['seed']}-{t['fold']}"
            spec = {"dataset": {"name": dataset, "params": {}}, "model": {"name": label.split("(")[0], "params": {}},
                    "seed": t["seed"], "protocol": {"kind": kind}, "fold": t["fold"], "n_folds": t["n_folds"]}
            rows.append({"trial_key": key, "seq": seq0 + len(rows), "dataset": dataset, "model": label.split("(")[0],
                         "model_label": label, "family": "sklearn", "seed": t["seed"], "fold": t["fold"],
                         "n_folds": t["n_folds"], "protocol": kind, "spec_json": json.dumps(spec), "params_json": "{}"})
            if "y_pred" in t:
                right = np.asarray(t["y_pred"]) == np.asarray(t["y_true"])
                res = {"accuracy": float(right.mean()), "n_test": len(right)}
                if with_predictions:
                    res["predictions"] = encode(t["index"], t["y_true"], t["y_pred"])
            else:
                res = {"accuracy": t["accuracy"], "n_test": t["n_test"]}
            results.append((key, {"status": "ok", "macro_f1": res["accuracy"], "train_s": 0.1, "predict_s": 0.01,
                                  "n_train": t.get("n_train", n_train), "task": "classification", **res}))
    store.add_pending(run_id, rows)
    for key, res in results:
        store.record(run_id, key, res)
    store.set_run_status(run_id, "finished")
    return store


def answers(n, wrong, n_classes=10, seed=0):
    """Holdout answers on test samples 1000..1000+n: wrong exactly on the positions ``wrong``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    pred = y.copy()
    wrong = np.asarray(list(wrong), dtype=int)
    pred[wrong] = (y[wrong] + 1) % n_classes
    return {"seed": 0, "fold": 0, "n_folds": 1, "index": np.arange(n) + 1000, "y_true": y, "y_pred": pred}


@pytest.fixture
def stores():
    opened = []

    def make(*args, **kw):
        s = write_run(*args, **kw)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
