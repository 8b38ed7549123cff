"""The multi-dataset summary of a run: each model's mean rank over the datasets (Demšar 2006), with its
mean accuracy and how many datasets it won. The tests over those ranks (Friedman, Nemenyi's critical
difference) live in ``classbench.stats`` and ``classbench compare``."""

from __future__ import annotations

from typing import Any


def mean_rank_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ``{"model", "mean_rank", "mean_accuracy", "wins", "n_datasets"}``, best mean rank first.

    ``rows`` are leaderboard rows (``bench.leaderboard.leaderboard``). Only classification rows count, and
    only models with a score on every dataset (a model missing one cannot be ranked fairly); ranks are 1 =
    best per dataset, ties share their average rank. Empty when fewer than two datasets or models remain.
    """
    import numpy as np

    from ..stats.ranks import rank_matrix

    rows = [r for r in rows if r.get("task", "classification") == "classification"]
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    score = {(r["dataset"], r["model"]): r["accuracy"] for r in rows if r.get("accuracy") is not None}
    models = [m for m in dict.fromkeys(r["model"] for r in rows) if all((d, m) in score for d in datasets)]
    if len(datasets) < 2 or len(models) < 2:
        return []
    S = np.array([[score[(d, m)] for m in models] for d in datasets])  # (n_datasets, n_models)
    R = rank_matrix(S)
    wins = (S == S.max(axis=1, keepdims=True)).sum(axis=0)
    out = [{"model": m, "mean_rank": float(R[:, j].mean()), "mean_accuracy": float(S[:, j].mean()),
            "wins": int(wins[j]), "n_datasets": len(datasets)} for j, m in enumerate(models)]
    return sorted(out, key=lambda r: (r["mean_rank"], -r["mean_accuracy"]))


def format_ranks(rows: list[dict[str, Any]]) -> str:
    """The mean-rank table as text for the terminal; "" when there is nothing to rank."""
    table = mean_rank_table(rows)
    if not table:
        return ""
    width = max(len("model"), *(len(r["model"]) for r in table))
    lines = [f"mean rank over {table[0]['n_datasets']} datasets (1 = best; ties share their average rank)",
             f"{'model':<{width}}  mean_rank  mean_accuracy  wins", f"{'-' * width}  ---------  -------------  ----"]
    lines += [f"{r['model']:<{width}}  {r['mean_rank']:9.2f}  {r['mean_accuracy']:13.4f}  {r['wins']:4d}" for r in table]
    return "\n".join(lines)
