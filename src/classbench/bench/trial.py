"""Run one trial: load (cached) data, fit, predict, measure. Runs inside a worker process."""

from __future__ import annotations

import os
import platform
import time
import traceback
from typing import Any

import numpy as np

from ..config import TrialSpec
from ..datasets import DataContext, Dataset, get_source
from . import metrics
from .protocols import fold_data

_DATA_CACHE: dict[str, Dataset] = {}
_MAX_MISCLASSIFIED = 24


_HOST: dict[str, Any] = {}


def versions() -> dict[str, Any]:
    import sys

    from .. import __version__

    if not _HOST:  # the same for every trial of a process; platform.platform() reads the interpreter binary
        _HOST.update({"python": platform.python_version(), "platform": platform.platform(),
                      "cpus": os.cpu_count(), "cpu": _cpu_name()})
    out: dict[str, Any] = {"classbench": __version__, **_HOST}
    for mod in ("numpy", "scipy", "sklearn", "torch"):
        m = sys.modules.get(mod)
        if m is not None:
            out[mod] = getattr(m, "__version__", "?")
    return out


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def get_dataset(spec: TrialSpec, ctx: DataContext) -> Dataset:
    key = repr(spec.dataset)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()  # keep one dataset in memory per worker
        source = get_source(spec.dataset.name)
        _DATA_CACHE[key] = source.load(ctx, **source.check(ctx, **spec.dataset.kwargs))
    return _DATA_CACHE[key]


_THREADS: list[tuple[int, int]] = []


def set_threads(n: int) -> None:
    import sys

    os.environ["CLASSBENCH_THREADS"] = str(n)
    key = (n, len(sys.modules))  # threadpoolctl's library scan costs a few ms: skip it when nothing new loaded
    if _THREADS == [key]:
        return
    _THREADS[:] = [key]
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover
        pass


def build_model(spec: TrialSpec, runtime: dict[str, Any] | None, dataset: Any) -> Any:
    """The trial's model: its spec's hyperparameters, the trial seed and device where the spec sets none,
    wrapped in the table preprocessing (fitted later with the model, on its fit rows only) when ``dataset``
    (anything with ``modality`` and ``meta``) is a described table. Trials and tuning candidates share it."""
    from ..models import create_model
    from .preprocess import wrap_for

    params = dict(spec.model.kwargs)
    model = create_model(spec.model.name, **params)
    if "random_state" in model.get_params() and "random_state" not in params:
        model.set_params(random_state=spec.seed)
    device = (runtime or {}).get("device")
    if device and "device" in model.get_params() and "device" not in params:
        model.set_params(device=device)
    return wrap_for(model, dataset)


def run_trial(spec_dict: dict[str, Any], ctx_dict: dict[str, Any], threads: int,
              runtime: dict[str, Any] | None = None, on_model: Any = None) -> dict[str, Any]:
    """Execute one trial; never raises: failures come back as ``status="failed"`` with the error.

    ``on_model(model)``, when given, is called with the model just before it is fitted (the local
    executor watches its ``history_`` there, to keep the epochs of a trial that is stopped).
    """
    if "candidate" in spec_dict:  # a tuning candidate (classbench.tune): scored on the training rows only
        from ..tune.candidate import run_candidate

        return run_candidate(spec_dict, ctx_dict, threads, runtime, on_model)
    started, t_start = time.time(), time.perf_counter()
    set_threads(threads)
    spec = TrialSpec.from_dict(spec_dict)
    try:
        from .. import models as _models  # noqa: F401  (registers families and CLASSBENCH_PLUGINS first)

        ctx = DataContext(**ctx_dict)
        ds = get_dataset(spec, ctx)
        X_tr, y_tr, X_te, y_te, test_index = fold_data(spec.protocol, ds, spec.fold, spec.seed)
        model = build_model(spec, runtime, ds)  # a described table: preprocessing fitted on X_tr only
        if on_model is not None:
            on_model(model)
        metrics.reset_peak_rss()
        from .quiet import capture

        with capture() as caught:  # warnings: none printed; those that matter kept in extra["warnings"]
            t0 = time.perf_counter()
            model.fit(X_tr, y_tr)
            train_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            y_pred = np.asarray(model.predict(X_te))
            predict_s = time.perf_counter() - t0
            proba = None
            if hasattr(model, "predict_proba") and len(X_te) <= 50_000:
                try:
                    proba = np.asarray(model.predict_proba(X_te))
                except (AttributeError, NotImplementedError):
                    proba = None
        warned = caught.summary()
        peak = metrics.peak_rss_mb()
        if ds.task == "regression":
            return _timed(t_start, _saved(runtime, model, spec, ds, _regression_result(
                model, X_tr, y_tr, X_te, y_te, train_s, predict_s, peak, started)), warned)
        sc = metrics.scores(y_te, y_pred, ds.n_classes)
        wrong = np.flatnonzero(y_pred != y_te)[:_MAX_MISCLASSIFIED]
        misclassified = [
            {"index": int(test_index[i]), "true": int(y_te[i]), "pred": int(y_pred[i]),
             "confidence": None if proba is None else float(proba[i].max())}
            for i in wrong
        ]
        return _timed(t_start, _saved(runtime, model, spec, ds, {
            "status": "ok", "error": None,
            "accuracy": sc["accuracy"], "macro_f1": sc["macro_f1"],
            "train_s": train_s, "predict_s": predict_s,
            "samples_per_s": len(X_te) / predict_s if predict_s > 0 else None,
            "n_params": int(getattr(model, "n_params_", 0) or 0) or None,
            "peak_mem_mb": peak, "n_train": int(len(y_tr)), "n_test": int(len(y_te)),
            "history": _clean_history(getattr(model, "history_", [])),
            "extra": {"confusion": sc["confusion"], "misclassified": misclassified, "classes": list(ds.classes),
                      "train_samples_per_s": len(X_tr) / train_s if train_s > 0 else None},
            "versions": versions(), "started": _iso(started), "task": "classification",
            "predictions": _predictions(test_index, y_te, y_pred, proba),
        }), warned)
    except Exception as exc:  # noqa: BLE001 - a failing trial is a result, not a crash
        from ..errors import UserError

        detail = str(exc) if isinstance(exc, UserError) else "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
        return _timed(t_start, {"status": "failed", "error": f"{type(exc).__name__}: {detail}".strip(),
                                "versions": versions(), "started": _iso(started)})


def _predictions(test_index: np.ndarray, y_te: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None
                 ) -> bytes | None:
    """Every test sample's index, true and predicted label and top-class probability, packed (a few KB);
    None (the trial stands without them) when labels are not class indices."""
    from .predictions import encode

    try:
        return encode(test_index, y_te, y_pred, None if proba is None or proba.ndim != 2 else proba)
    except (ValueError, TypeError, OverflowError):
        return None


def _timed(t_start: float, result: dict[str, Any], warned: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Record the trial's whole time in its worker (data split, fit, predict, scoring) as extra["trial_s"],
    and the warnings that matter raised while it fitted and predicted as extra["warnings"] (see quiet.py)."""
    result["extra"] = {**(result.get("extra") or {}), "trial_s": time.perf_counter() - t_start}
    if warned:
        result["extra"]["warnings"] = warned
    return result


def _regression_result(model: Any, X_tr: np.ndarray, y_tr: np.ndarray, X_te: np.ndarray, y_te: np.ndarray,
                       train_s: float, predict_s: float, peak: float, started: float) -> dict[str, Any]:
    y_pred = np.asarray(model.predict(X_te), dtype=np.float64)
    sc = metrics.regression_scores(y_te, y_pred)
    train_sc = metrics.regression_scores(y_tr, np.asarray(model.predict(X_tr), dtype=np.float64))
    extra: dict[str, Any] = {"train_rmse": train_sc["rmse"], "train_r2": train_sc["r2"],
                             "selected": getattr(model, "selected_", None), "cv_curve": getattr(model, "cv_curve_", None)}
    Xf = np.asarray(X_tr).reshape(len(X_tr), -1)
    if Xf.shape[1] == 1:  # a 1-D input: keep the fitted curve and the points for the report's plot
        lo, hi = float(Xf.min()), float(Xf.max())
        grid = np.linspace(lo, hi, 200)[:, None].astype(np.float32)
        extra["curve"] = {"x": grid[:, 0].tolist(), "y": np.asarray(model.predict(grid), float).tolist(),
                          "train_x": Xf[:200, 0].tolist(), "train_y": np.asarray(y_tr[:200], float).tolist(),
                          "test_x": np.asarray(X_te).reshape(len(X_te), -1)[:200, 0].tolist(),
                          "test_y": np.asarray(y_te[:200], float).tolist()}
    return {
        "status": "ok", "error": None, "task": "regression", **sc,
        "train_s": train_s, "predict_s": predict_s,
        "samples_per_s": len(X_te) / predict_s if predict_s > 0 else None,
        "n_params": int(getattr(model, "n_params_", 0) or 0) or None,
        "peak_mem_mb": peak, "n_train": int(len(y_tr)), "n_test": int(len(y_te)),
        "history": _clean_history(getattr(model, "history_", [])), "extra": extra,
        "versions": versions(), "started": _iso(started),
    }


# --- saved models (issue 8): `classbench run --save-models` sets runtime["save_dir"] ---------------------
def _saved(runtime: dict[str, Any] | None, model: Any, spec: TrialSpec, ds: Dataset,
           result: dict[str, Any]) -> dict[str, Any]:
    """Save the fitted model to ``save_dir/<trial key>`` when asked; ``extra["model_path"]`` says where."""
    save_dir = (runtime or {}).get("save_dir")
    if save_dir:
        from ..persist import save_trial_model

        result["extra"] = {**(result.get("extra") or {}), **save_trial_model(model, save_dir, spec, ds, result)}
    return result
# --- end saved models -------------------------------------------------------------------------------------


def _clean_history(history: Any) -> list[dict[str, Any]]:
    out = []
    for row in history or []:
        out.append({k: (float(v) if isinstance(v, (np.floating, np.integer)) else v) for k, v in dict(row).items()})
    return out


def _iso(ts: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")
