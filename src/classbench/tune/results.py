"""Tuning results read back: leaderboard fields of tuned rows, and the studies of a run for the report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .study import STORAGE_NAME, storage_url


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return "x".join(str(x) for x in v)
    return str(v)


def params_text(params: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in sorted((params or {}).items()))


def tuning_fields(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """For a leaderboard row's trials: ``tune_s`` (mean study time per outer fold and seed),
    ``tuned_params`` (the chosen parameters, or a note when they differ between folds/seeds) and
    ``tune_budget``. Empty for rows that were not tuned."""
    infos = [t["spec"]["tuned"] for t in trials if isinstance(t.get("spec"), dict) and t["spec"].get("tuned")]
    if not infos:
        return {}
    chosen = {params_text(i.get("params")) for i in infos}
    times = [float(i["tune_s"]) for i in infos if i.get("tune_s") is not None]
    budget = infos[0].get("budget") or {}
    parts = ([f"{budget['trials']} trials"] if budget.get("trials") else []) + (
        [f"{budget['timeout']:g} s"] if budget.get("timeout") else [])
    return {"tune_s": sum(times) / len(times) if times else None,
            "tuned_params": chosen.pop() if len(chosen) == 1 else f"{len(chosen)} settings over folds/seeds",
            "tune_budget": " / ".join(parts),
            "tune_pruned": sum(int(i.get("n_pruned") or 0) for i in infos),
            "tune_failed": sum(int(i.get("n_failed") or 0) for i in infos),
            "tune_candidates": sum(int(i.get("n_candidates") or 0) for i in infos)}


def load_studies(out_dir: Path | str, run_id: str) -> list[Any]:
    """The run's Optuna studies (FrozenStudy summaries loaded as Study objects), in creation order.
    Empty when the run did no tuning (no ``tuning.db`` or no study of this run)."""
    path = Path(out_dir) / STORAGE_NAME
    if not path.exists():
        return []
    import optuna

    from .study import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(storage_url(out_dir))
    names = [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
             if s.study_name.startswith(run_id + " ")]
    return [optuna.load_study(study_name=n, storage=storage) for n in names]


def history(study: Any) -> list[dict[str, Any]]:
    """Per finished candidate in number order: number, state, value, seconds since the study's first
    candidate started, best-so-far, params, error."""
    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get("interrupted")
              and t.state.name in ("COMPLETE", "PRUNED", "FAIL")]
    if not trials:
        return []
    t0 = min(t.datetime_start.timestamp() for t in trials if t.datetime_start)
    best = -math.inf
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        if t.state.name == "COMPLETE" and t.value is not None:
            best = max(best, float(t.value))
        end = t.datetime_complete.timestamp() if t.datetime_complete else t0
        rows.append({"number": t.number, "state": t.state.name, "value": t.value,
                     "last_step": t.last_step, "seconds": end - t0,
                     "best": None if best == -math.inf else best, "params": dict(t.params),
                     "status": t.user_attrs.get("status"), "error": t.user_attrs.get("error")})
    return rows


def importances(study: Any) -> dict[str, float] | None:
    """Parameter importance (Optuna's default evaluator, fANOVA) over finished candidates; None when there
    are too few (fewer than 4) or the evaluator fails (e.g. every candidate scored the same)."""
    import optuna

    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(done) < 4 or len({t.value for t in done}) < 2:
        return None
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return None
