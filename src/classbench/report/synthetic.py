"""Synthetic runs written through the real results store, for benchmarking and testing the report.

The predictions are simulated (each model gets an error rate; wrong answers are drawn at random), but they
refer to the real dataset (true labels and indices match it), so the report can reload it and show the
misclassified images. Nothing here trains a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.store import Store


def make_run(out_dir: str | Path, n_models: int = 10, n_seeds: int = 2, dataset: str = "digits",
             n_failed: int = 0, n_pending: int = 0, neural_every: int = 2, epochs: int = 12,
             validation: bool = True, seed: int = 0, classes_override: int | None = None,
             run_id: str = "synthetic-run") -> tuple[Store, str]:
    """Write a run of ``n_models`` x ``n_seeds`` trials into ``out_dir`` and return (store, run_id).

    Every ``neural_every``-th model logs a per-epoch history (with validation when ``validation``); the
    last ``n_failed`` trials fail and the ``n_pending`` before them stay pending (a half-finished run).
    ``classes_override=1`` makes every prediction and label class 0 (a single-class confusion matrix).
    """
    from .. import __version__
    from ..bench import metrics
    from ..bench.predictions import encode
    from ..datasets import load_dataset

    ds = load_dataset(dataset)
    rng = np.random.default_rng(seed)
    store = Store(out_dir)
    store.conn.execute("PRAGMA synchronous = OFF")  # a benchmark fixture: no fsync per trial
    versions = {"classbench": __version__, "python": "3.11", "platform": "synthetic", "cpus": 2}
    models = [f"model-{i:03d}" + ("-net" if neural_every and i % neural_every == 0 else "") for i in range(n_models)]
    suite = {"name": "synthetic", "description": "synthetic results", "datasets": [{"name": dataset, "params": {}}],
             "models": [{"name": m, "params": {}} for m in models], "seeds": list(range(n_seeds))}
    store.create_run(run_id, suite, f"synthetic make_run(n_models={n_models}, n_seeds={n_seeds})",
                     {"workers": 1, "data_dir": None}, versions)
    rows = []
    for i, m in enumerate(models):
        for s in range(n_seeds):
            spec = {"dataset": {"name": dataset, "params": {}}, "model": {"name": m, "params": {}}, "seed": s,
                    "protocol": {"kind": "holdout"}, "fold": 0, "n_folds": 1}
            rows.append({"trial_key": f"{i:04d}{s:04d}{seed:08x}", "seq": len(rows), "dataset": dataset,
                         "model": m, "model_label": m, "family": "torch" if m.endswith("-net") else "sklearn",
                         "seed": s, "fold": 0, "n_folds": 1, "protocol": "holdout", "spec_json": json.dumps(spec),
                         "params_json": "{}"})
    store.add_pending(run_id, rows)
    n_classes = classes_override or ds.n_classes
    y_te = np.zeros_like(ds.y_test) if classes_override == 1 else ds.y_test
    n_train = len(ds.y_train)
    n_done = len(rows) - n_failed - n_pending
    for k, r in enumerate(rows):
        if k >= n_done + n_failed:
            continue  # pending
        if k >= n_done:
            store.record(run_id, r["trial_key"], {"status": "failed", "versions": versions,
                                                  "error": "Traceback (most recent call last):\n  ...\n"
                                                           "ValueError: synthetic failure"})
            continue
        i = int(r["model"][6:9])
        err = 0.01 + 0.3 * (i / max(1, n_models - 1)) ** 2 + rng.uniform(0, 0.01)
        wrong = rng.random(len(y_te)) < err
        y_pred = np.where(wrong, (y_te + rng.integers(1, max(2, n_classes), len(y_te))) % n_classes, y_te)
        sc = metrics.scores(y_te, y_pred, n_classes)
        bad = np.flatnonzero(y_pred != y_te)[:24]
        history = []
        if r["model"].endswith("-net"):
            for e in range(1, epochs + 1):
                loss = 2.3 * np.exp(-e / 3) + err + rng.normal(0, 0.01)
                history.append({"epoch": e, "loss": loss, "accuracy": 1 - loss / 2.5,
                                "val_loss": loss * 1.1 if validation else None,
                                "val_accuracy": 1 - loss * 1.1 / 2.5 if validation else None,
                                "seconds": 0.1, "lr": 1e-3})
        else:
            history.append({"epoch": 1, "accuracy": 1 - err / 2, "seconds": 0.1})
        train_s = float(10 ** rng.uniform(-2, 2))
        store.record(run_id, r["trial_key"], {
            "status": "ok", "accuracy": sc["accuracy"], "macro_f1": sc["macro_f1"], "train_s": train_s,
            "predict_s": train_s / 50, "samples_per_s": 1e4, "n_params": int(10 ** rng.uniform(2, 6)),
            "peak_mem_mb": float(rng.uniform(100, 900)), "n_train": n_train, "n_test": len(y_te),
            "history": history, "versions": versions, "predictions": encode(np.arange(len(y_te)) + n_train, y_te, y_pred),
            "extra": {"confusion": sc["confusion"], "classes": [str(c) for c in ds.classes][:n_classes],
                      "misclassified": [{"index": int(n_train + j), "true": int(y_te[j]), "pred": int(y_pred[j]),
                                         "confidence": float(rng.uniform(0.3, 1.0))} for j in bad]},
        })
    store.set_run_status(run_id, "running" if n_pending else "finished")
    return store, run_id


def describe(store: Store, run_id: str) -> dict[str, Any]:
    """Counts of a run's trials by status (for benchmark output)."""
    out: dict[str, Any] = {}
    for s in store.status_of(run_id).values():
        out[s] = out.get(s, 0) + 1
    return out
