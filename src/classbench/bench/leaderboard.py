"""Aggregate trials into a leaderboard (one row per dataset x model configuration)."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

METRICS = ("accuracy", "macro_f1", "train_s", "predict_s")
REG_METRICS = ("rmse", "mae", "r2", "train_s", "predict_s")
COLUMNS = ("dataset", "model", "accuracy", "macro_f1", "train_s", "predict_s", "params", "peak_mem_mb", "n_seeds")
# classification rows: the 95% interval on accuracy (bench/compare.py picks the method) and the group of winners
STAT_COLUMNS = ("acc_low", "acc_high", "interval", "tied_with_best", "p_vs_best")
REG_COLUMNS = ("dataset", "model", "rmse", "mae", "r2", "train_s", "predict_s", "params", "peak_mem_mb", "n_seeds")


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return mean, std


def leaderboard(trials: list[dict[str, Any]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """Rows sorted by dataset (suite order) then accuracy (best first).

    Classification rows also get a ``1 - alpha`` interval on accuracy (``acc_low``, ``acc_high``, and the
    ``interval`` method: Wilson on one test set, Nadeau-Bengio corrected t over folds/seeds) and
    ``tied_with_best``: not significantly worse than the dataset's best row (``p_vs_best``, Holm-adjusted;
    None where no test could be made, e.g. a run stored without per-sample predictions).

    ``accuracy`` etc. are means over the trials that finished; ``*_std`` the sample standard deviation
    over seeds (and folds); ``n_seeds``/``n_folds`` count what the means are over; ``n_failed`` the rest.
    For folds, each seed's score is first averaged over its folds, so std is over seeds when several
    seeds ran and over folds otherwise.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for t in trials:
        groups.setdefault((t["dataset"], t["model_label"]), []).append(t)
    dataset_order = {d: i for i, d in enumerate(dict.fromkeys(t["dataset"] for t in trials))}
    rows = []
    for (dataset, label), ts in groups.items():
        ok = [t for t in ts if t["status"] == "ok"]
        seeds = sorted({t["seed"] for t in ok})
        n_folds = max((t["n_folds"] for t in ts), default=1)
        task = next((t.get("task") for t in ok if t.get("task")), None) or ts[0].get("task") or "classification"
        row: dict[str, Any] = {"dataset": dataset, "model": label, "family": ts[0].get("family"), "task": task,
                               "protocol": ts[0].get("protocol"), "n_seeds": len(seeds),
                               "n_folds": n_folds, "n_trials": len(ts), "n_ok": len(ok),
                               "n_failed": sum(t["status"] in ("failed", "timeout") for t in ts),
                               "status": _status(ts)}
        for m in dict.fromkeys(METRICS + REG_METRICS):
            if len(seeds) > 1:  # average folds within a seed, spread across seeds
                per_seed = [_mean_std([t.get(m) for t in ok if t["seed"] == s])[0] for s in seeds]
                mean, std = _mean_std(per_seed)
            else:
                mean, std = _mean_std([t.get(m) for t in ok])
            row[m], row[f"{m}_std"] = mean, std
        row["params"] = _mean_std([t["n_params"] for t in ok])[0]
        mem = [t["peak_mem_mb"] for t in ok if t["peak_mem_mb"] is not None]
        row["peak_mem_mb"] = max(mem) if mem else None
        if "(tuned" in label:  # tuning (issue 14): chosen params, budget, study time
            from ..tune.results import tuning_fields

            row.update(tuning_fields(ts))
        rows.append(row)
    rows.sort(key=lambda r: (dataset_order[r["dataset"]], -_score(r)))
    from .compare import annotate

    annotate(rows, trials, alpha)
    return rows


def _score(r: dict[str, Any]) -> float:
    """Higher is better: accuracy for classification, R^2 for regression; unfinished rows last."""
    v = r["r2"] if r.get("task") == "regression" else r["accuracy"]
    return v if v is not None else -1e300


def _status(ts: list[dict[str, Any]]) -> str:
    states = {t["status"] for t in ts}
    if states == {"ok"}:
        return "ok"
    if "ok" in states:
        return "partial"
    return sorted(states - {"ok"})[0]


def _fmt(v: Any, kind: str) -> str:
    if v is None:
        return "-"
    if kind in ("accuracy", "macro_f1", "r2"):
        return f"{v:.4f}"
    if kind in ("rmse", "mae"):
        return f"{v:.4g}"
    if kind in ("train_s", "predict_s"):
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    if kind == "params":
        return f"{int(round(v)):,}"
    if kind == "peak_mem_mb":
        return f"{v:.0f}"
    return str(v)


def has_std(rows: list[dict[str, Any]]) -> bool:
    return any(r["n_seeds"] > 1 or r["n_folds"] > 1 for r in rows)


def accuracy_cell(r: dict[str, Any], std: bool) -> str:
    """``0.9879 [0.957, 0.997]`` (the row's interval), else ``mean ± std`` over seeds, else the mean."""
    if r.get("accuracy") is None:
        return "-"
    if r.get("acc_low") is not None and r.get("acc_high") is not None:
        return f"{r['accuracy']:.4f} [{r['acc_low']:.3f}, {r['acc_high']:.3f}]"
    if std and r.get("accuracy_std") is not None:
        return f"{r['accuracy']:.4f} ± {r['accuracy_std']:.4f}"
    return _fmt(r["accuracy"], "accuracy")


def tied_cell(r: dict[str, Any]) -> str:
    """``*`` tied with the dataset's best, ``?`` not testable, blank otherwise."""
    t = r.get("tied_with_best")
    return "*" if t else ("?" if t is None and r.get("interval") else "")


def _with_tied(rows: list[dict[str, Any]], task: str) -> bool:
    return task != "regression" and any(r.get("interval") for r in rows)


def display_rows(rows: list[dict[str, Any]], task: str = "classification") -> tuple[list[str], list[list[str]]]:
    std = has_std(rows)
    header = list(REG_COLUMNS if task == "regression" else COLUMNS)
    metrics = REG_METRICS if task == "regression" else METRICS
    tied = _with_tied(rows, task)
    if tied:
        header.insert(3, "tied")
    tuning = any("tune_s" in r for r in rows)
    if tuning:
        header.append("tune_s")
    out = []
    for r in rows:
        cells = [r["dataset"], r["model"]]
        for m in metrics:
            if m == "accuracy":
                cells.append(accuracy_cell(r, std))
                if tied:
                    cells.append(tied_cell(r))
                continue
            cell = _fmt(r[m], m)
            if std and r[m] is not None and r.get(f"{m}_std") is not None and not _one_sample_folds(r, m):
                cell += f" ± {_fmt(r[m + '_std'], m)}"
            cells.append(cell)
        cells += [_fmt(r["params"], "params"), _fmt(r["peak_mem_mb"], "peak_mem_mb"), str(r["n_seeds"])]
        if tuning:  # tuned rows: chosen parameters in the model cell, the study's seconds in their own column
            cells[1] += f" {{{r['tuned_params']}}}" if r.get("tuned_params") else ""
            cells.append(_fmt(r.get("tune_s"), "train_s"))
        if r["status"] != "ok":
            cells[1] += f" [{r['status']}: {r['n_failed']} of {r['n_trials']} failed]" if r["n_failed"] else \
                f" [{r['status']}]"
        out.append(cells)
    return header, out


def _one_sample_folds(r: dict[str, Any], m: str) -> bool:
    """Leave-one-out scores are 0 or 1 per fold: their standard deviation says nothing."""
    return m in ("accuracy", "macro_f1") and str(r.get("protocol") or "").startswith("loo")


def header_note(rows: list[dict[str, Any]]) -> str:
    """The line above a classification table saying which method made its intervals (empty: none)."""
    from .compare import tied_note

    return tied_note([r for r in rows if r.get("task", "classification") != "regression"])


def by_task(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows split into (task, rows) groups: classification first, then regression (if any)."""
    out = []
    for task in ("classification", "regression"):
        part = [r for r in rows if r.get("task", "classification") == task]
        if part:
            out.append((task, part))
    return out or [("classification", [])]


def format_table(rows: list[dict[str, Any]]) -> str:
    parts = []
    for task, part in by_task(rows):
        note = header_note(part) if task != "regression" else ""
        parts.append((note + "\n" if note else "") + _format_table(part, task))
    return "\n\n".join(parts)


def _format_table(rows: list[dict[str, Any]], task: str) -> str:
    header, body = display_rows(rows, task)
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(header)]
    right = {i for i, h in enumerate(header) if h not in ("dataset", "model")}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(b) for b in body])


def to_markdown(rows: list[dict[str, Any]]) -> str:
    parts = []
    for task, part in by_task(rows):
        header, body = display_rows(part, task)
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in b) + " |" for b in body]
        note = header_note(part) if task != "regression" else ""
        parts.append((f"{note}.\n\n" if note else "") + "\n".join(lines) + "\n")
    return "\n".join(parts)


def to_csv(rows: list[dict[str, Any]]) -> str:
    std = has_std(rows)
    regression = any(r.get("task") == "regression" for r in rows)
    cols = list(COLUMNS)
    if regression:
        cols[4:4] = ["rmse", "mae", "r2"]
    if std:
        cols += [f"{m}_std" for m in METRICS]
        if regression:
            cols += [f"{m}_std" for m in ("rmse", "mae", "r2")]
    if any(r.get("interval") for r in rows):
        cols += list(STAT_COLUMNS)
    cols += ["n_folds", "n_trials", "n_failed", "status"] + (["task"] if regression else [])
    if any("tune_s" in r for r in rows):
        cols += ["tune_s", "tuned_params", "tune_budget"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    return buf.getvalue()
