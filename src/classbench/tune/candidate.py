"""One tuning candidate, run inside a worker process (local worker or Ray task), like a trial.

The test split never reaches a candidate: :func:`outer_train` returns the outer training rows only (for
holdout, the dataset's training split; for k-fold, split, loo, that fold's training rows), and
:func:`evaluate` is given nothing else. The inner validation split (or inner k-fold) is drawn from those
rows, group-aware and stratified, with the trial's seed, so every candidate of a study sees the same
inner split.

Pruning: epoch-trained models (torch and scratch nets) call ``neural_params.epoch_done(row)`` after every
epoch; the candidate reports the inner validation accuracy there to the study's Optuna storage (an SQLite
file next to the results database) and stops the fit when the pruner says so. With inner k-fold, the
running mean after each fold is reported instead (any model).
"""

from __future__ import annotations

import time
import traceback
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..config import ProtocolSpec, TrialSpec

#: while a candidate runs in this process: {"study", "number", "fold", "seed"} (tests read it)
CURRENT: dict[str, Any] | None = None

_STUDIES: dict[tuple[str, str, str], Any] = {}  # (storage url, study, pruner) -> optuna Study, per process


class Pruned(Exception):
    """The pruner stopped this candidate; ``step`` and ``value`` are the last ones reported."""

    def __init__(self, step: int, value: float):
        super().__init__(f"pruned at step {step} (value {value:.4f})")
        self.step, self.value = step, value


def outer_train(protocol: ProtocolSpec, ds: Any, fold: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, groups) of the outer fold's training rows only; the test rows are not returned.

    Returns
    -------
    X : array of shape (n, ...)
    y : int array of shape (n,)
    groups : int array of shape (n,), group ids (rows of one group stay on one side of the inner split)
    """
    from ..bench.protocols import fold_indices, pooled, source_order

    if protocol.kind == "holdout":
        groups = ds.groups_train if ds.groups_train is not None else np.arange(len(ds.y_train))
        return ds.X_train, ds.y_train, np.asarray(groups)
    X, y, groups = pooled(ds)
    tr, _ = fold_indices(protocol, y, groups, fold, seed, source_order(ds))
    return X[tr], y[tr], groups[tr]


def inner_splits(inner: tuple[str, float], y: np.ndarray, groups: np.ndarray, seed: int
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, validation rows) pairs into the outer training rows: one for holdout:F, K for kfold:K."""
    from ..bench.protocols import fold_indices

    kind, n = inner
    if kind == "kfold":
        proto = ProtocolSpec(kind="kfold", k=int(n))
        return [fold_indices(proto, y, groups, f, seed) for f in range(int(n))]
    proto = ProtocolSpec(kind="split", train_fraction=1.0 - float(n))
    return [fold_indices(proto, y, groups, 0, seed)]


def evaluate(make_model: Callable[[], Any], X: np.ndarray, y: np.ndarray, groups: np.ndarray,
             inner: tuple[str, float], metric: str, seed: int, n_classes: int,
             report: Callable[[int, float], None] | None = None, on_model: Callable[[Any], None] | None = None
             ) -> float:
    """The inner validation score of a configuration, from the outer training rows alone.

    Parameters
    ----------
    make_model : () -> an unfitted model with the candidate's parameters
    X : array of shape (n, ...), the outer training rows
    y : int array of shape (n,)
    groups : int array of shape (n,)
    report : (step, value) -> None, raises :class:`Pruned` to stop; epochs (holdout) or folds (kfold)
    """
    from ..bench import metrics
    from ..models import neural_params

    scores = []
    splits = inner_splits(inner, y, groups, seed)
    for i, (fit_rows, val_rows) in enumerate(splits):
        model = make_model()
        if on_model is not None:
            on_model(model)
        hook = None
        if report is not None and len(splits) == 1:
            def hook(row: dict[str, Any]) -> None:
                if row.get("val_accuracy") is not None:
                    report(int(row.get("epoch", 0)), float(row["val_accuracy"]))

            neural_params.EPOCH_HOOKS.append(hook)
        try:
            if _takes_val(model):  # epoch-trained: the inner validation rows are scored after every epoch
                model.fit(X[fit_rows], y[fit_rows], X_val=X[val_rows], y_val=y[val_rows])
            else:
                model.fit(X[fit_rows], y[fit_rows])
        finally:
            if hook is not None:
                neural_params.EPOCH_HOOKS.remove(hook)
        pred = np.asarray(model.predict(X[val_rows]))
        scores.append(metrics.scores(y[val_rows], pred, n_classes)[metric])
        if report is not None and len(splits) > 1:
            report(i + 1, float(np.mean(scores)))
    return float(np.mean(scores))


def _takes_val(model: Any) -> bool:
    """Epoch-trained models monitor X_val each epoch (what pruning reads); others ignore it."""
    return "epochs" in model.get_params(deep=False) or "epochs" in getattr(getattr(model, "model", None),
                                                                           "get_params", lambda **_: {})()


def _study(cand: dict[str, Any]) -> Any:
    import optuna

    from .study import make_pruner, open_storage

    key = (cand["storage"], cand["study"], cand["pruner"])
    if key not in _STUDIES:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _STUDIES[key] = optuna.load_study(study_name=cand["study"], storage=open_storage(cand["storage"]),
                                          pruner=make_pruner(cand["pruner"]))
    return _STUDIES[key]


def _trial(cand: dict[str, Any]) -> tuple[Any, str | None]:
    """(the candidate's Optuna trial, None), or (None, why pruning is off): a Ray node that does not see the
    driver's storage file trains the candidate to the end instead of failing it."""
    from pathlib import Path

    path = cand["storage"].removeprefix("sqlite:///")
    if cand["storage"].startswith("sqlite:///") and not Path(path).exists():
        return None, f"pruning off: this node cannot see the tuning storage {path}"
    try:
        import optuna

        return optuna.trial.Trial(_study(cand), cand["trial_id"]), None
    except Exception as exc:  # noqa: BLE001 - a storage this worker cannot use: no pruning, same result
        return None, f"pruning off: the tuning storage could not be opened here ({type(exc).__name__}: {exc})"


def run_candidate(spec_dict: dict[str, Any], ctx_dict: dict[str, Any], threads: int,
                  runtime: dict[str, Any] | None = None, on_model: Any = None) -> dict[str, Any]:
    """Evaluate the candidate in ``spec_dict["candidate"]``; never raises.

    Returns {"status": "ok" | "pruned" | "failed", "value", "step", "error", "extra": {"trial_s"}}.
    """
    global CURRENT
    from ..bench.trial import build_model, get_dataset, set_threads, versions

    t_start = time.perf_counter()
    set_threads(threads)
    spec = TrialSpec.from_dict(spec_dict)
    cand = spec_dict["candidate"]
    CURRENT = {"study": cand["study"], "number": cand["number"], "fold": spec.fold, "seed": spec.seed}
    try:
        from .. import models as _models  # noqa: F401  (registers families and CLASSBENCH_PLUGINS first)
        from ..datasets import DataContext

        ds = get_dataset(spec, DataContext(**ctx_dict))
        X, y, groups = outer_train(spec.protocol, ds, spec.fold, spec.seed)
        n_classes = ds.n_classes
        table = SimpleNamespace(modality=ds.modality, meta={"columns": ds.meta.get("columns")})
        del ds  # from here on only the outer training rows (and the table's column kinds) exist here

        def make_model() -> Any:  # tables: preprocessing fitted with the model, on its fit rows only
            return build_model(spec, runtime, table)

        report, note = None, None
        if cand["pruner"] != "none":
            trial, note = _trial(cand)
            if trial is not None:
                def report(step: int, value: float) -> None:
                    trial.report(value, step)
                    if trial.should_prune():
                        raise Pruned(step, value)

        kind, _, n = cand["inner"].partition(":")
        inner = ("kfold", int(n or 3)) if kind == "kfold" else ("holdout", float(n or 0.2))
        value = evaluate(make_model, X, y, groups, inner, cand["metric"], spec.seed, n_classes, report, on_model)
        out: dict[str, Any] = {"status": "ok", "value": value, "note": note}
    except Pruned as p:
        out = {"status": "pruned", "value": p.value, "step": p.step}
    except Exception as exc:  # noqa: BLE001 - a failing candidate is a result, not a crash
        from ..errors import UserError

        detail = str(exc) if isinstance(exc, UserError) else "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)[-4:])
        out = {"status": "failed", "error": f"{type(exc).__name__}: {detail}".strip()}
    finally:
        CURRENT = None
    out["extra"] = {"trial_s": time.perf_counter() - t_start}
    out["versions"] = versions()
    return out
