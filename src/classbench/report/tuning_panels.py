"""Tuning panels (issue 14): what tuning bought (default vs tuned), and per tuned model its optimisation
history, the parameters tried against their inner score, parameter importance and the chosen parameters.

The candidates are read from the run's Optuna storage (``OUT/tuning.db``); the default and tuned rows from
the leaderboard (with its accuracy intervals when the run has them).
"""

from __future__ import annotations

from typing import Any

from . import plots
from .blocks import Card, Cell, Figure, Note, Section, Table, panel
from .context import ReportContext
from .run_panels import _slug

MAX_PARAM_PLOTS = 9
COMPLETE, PRUNED, FAIL = "#1f77b4", "#ff7f0e", "#d62728"


def default_label(tuned: str) -> str:
    """Inverse of ``tune.driver.tuned_label``: ``mlp(tuned, loss=squared)`` -> ``mlp(loss=squared)``."""
    if tuned.endswith("(tuned)"):
        return tuned[: -len("(tuned)")]
    return tuned.replace("(tuned, ", "(", 1)


def _acc(r: dict[str, Any] | None) -> Cell:
    if r is None or r.get("accuracy") is None:
        return Cell("-", None)
    text = f"{r['accuracy']:.4f}"
    if r.get("acc_low") is not None and r.get("acc_high") is not None:
        text += f" [{r['acc_low']:.3f}, {r['acc_high']:.3f}]"
    return Cell(text, r["accuracy"])


def bought_table(rows: list[dict[str, Any]]) -> tuple[Table, bool]:
    """(table, whether intervals were shown): one line per tuned configuration and dataset."""
    by_key = {(r["dataset"], r["model"]): r for r in rows}
    body, intervals = [], False
    for r in rows:
        if "tune_s" not in r:
            continue
        d = by_key.get((r["dataset"], default_label(r["model"])))
        intervals = intervals or r.get("acc_low") is not None
        gain = None if d is None or d.get("accuracy") is None or r.get("accuracy") is None else \
            r["accuracy"] - d["accuracy"]
        body.append([Cell(r["dataset"]), Cell(default_label(r["model"])), _acc(d), _acc(r),
                     Cell("-" if gain is None else f"{gain:+.4f}", gain), Cell(r.get("tuned_params") or "-"),
                     Cell(r.get("tune_budget") or "-"),
                     Cell("-" if r.get("tune_s") is None else f"{r['tune_s']:.1f}", r.get("tune_s")),
                     Cell(f"{r.get('tune_candidates', 0)} ({r.get('tune_pruned', 0)} pruned, "
                          f"{r.get('tune_failed', 0)} failed)", r.get("tune_candidates"))])
    header = ["dataset", "model", "default accuracy", "tuned accuracy", "gain", "chosen parameters", "budget",
              "tuning s (per study)", "candidates"]
    return Table(header, body, sortable=True, numeric={2, 3, 4, 7, 8}), intervals


def history_figure(hist: list[dict[str, Any]], title: str) -> Any:
    """Best-so-far inner score against candidates and against seconds; every candidate as a point
    (pruned: its last reported value; failed: not drawn, counted in the title)."""
    fig = plots.new_figure(8.0, 3.0)
    plots.margins(fig, 0.7, 0.55, 0.2, 0.4, wspace=0.3)
    n_failed = sum(h["state"] == "FAIL" for h in hist)
    for i, xkey in enumerate(("number", "seconds")):
        ax = fig.add_subplot(1, 2, i + 1)
        xs = [h[xkey] + (1 if xkey == "number" else 0) for h in hist]
        for state, color, marker in (("COMPLETE", COMPLETE, "o"), ("PRUNED", PRUNED, "x")):
            pts = [(x, h["value"]) for x, h in zip(xs, hist) if h["state"] == state and h["value"] is not None]
            if pts:
                ax.scatter(*zip(*pts), s=14, color=color, marker=marker, label=state.lower())
        best = [(x, h["best"]) for x, h in zip(xs, hist) if h["best"] is not None]
        if best:
            ax.step(*zip(*best), where="post", color="black", linewidth=1.2, label="best so far")
        ax.set_xlabel("candidate" if xkey == "number" else "seconds since the first candidate")
        ax.set_ylabel("inner score")
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title + (f" ({n_failed} failed candidate(s) not drawn)" if n_failed else ""), fontsize=9)
    return fig


def params_figure(hist: list[dict[str, Any]], space: dict[str, str], title: str) -> Any | None:
    """One small scatter per searched parameter: its value against the inner score (finished candidates)."""
    done = [h for h in hist if h["state"] == "COMPLETE" and h["value"] is not None]
    names = [n for n in space if any(n in h["params"] for h in done)][:MAX_PARAM_PLOTS]
    if not done or not names:
        return None
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig = plots.new_figure(2.7 * cols, 2.1 * rows + 0.4)
    plots.margins(fig, 0.6, 0.5, 0.15, 0.4, wspace=0.35, hspace=0.6)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        pts = [(h["params"][name], h["value"]) for h in done if name in h["params"]]
        xs = [p[0] for p in pts]
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs):
            ax.scatter(xs, [p[1] for p in pts], s=12, color=COMPLETE)
            if space[name].endswith(" log"):
                ax.set_xscale("log")
        else:  # categorical: one column per choice
            cats = list(dict.fromkeys(str(x) for x in xs))
            ax.scatter([cats.index(str(x)) for x in xs], [p[1] for p in pts], s=12, color=COMPLETE)
            ax.set_xticks(range(len(cats)), cats, fontsize=7, rotation=20)
        ax.set_xlabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    return fig


def importance_figure(imp: dict[str, float], title: str) -> Any:
    names = list(imp)[::-1]
    fig = plots.new_figure(5.0, 0.35 * len(names) + 0.9)
    plots.margins(fig, 1.6, 0.45, 0.2, 0.35)
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(names, [imp[n] for n in names], color=COMPLETE)
    ax.set_xlabel("importance (fANOVA, share of variance of the inner score)", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_title(title, fontsize=9)
    return fig


def _study_card(study: Any) -> Card:
    from ..tune.results import history, importances, params_text

    a = study.user_attrs
    where = f"{a.get('label')} · {a.get('dataset')} · seed {a.get('seed')}" + (
        f" · fold {int(a.get('fold', 0)) + 1}/{a.get('n_folds')}" if int(a.get("n_folds") or 1) > 1 else "")
    slug = _slug(f"{a.get('dataset')}-{a.get('label')}-{a.get('seed')}-{a.get('fold')}")
    hist = history(study)
    card = Card(f"tuning {where}", [], wide=True)
    if not hist:
        card.blocks.append(Note("No candidate finished (the study was interrupted before its first result).", "warn"))
        return card
    card.blocks.append(Figure(f"tune-history-{slug}", plots.to_png(history_figure(hist, f"optimisation history: {where}")),
                              f"best inner score so far against candidates and seconds, {where}"))
    fig = params_figure(hist, a.get("space") or {}, f"parameters tried against their inner score ({a.get('budget', {}).get('metric', 'accuracy')})")
    if fig is not None:
        card.blocks.append(Figure(f"tune-params-{slug}", plots.to_png(fig), f"parameters against score, {where}"))
    imp = importances(study)
    if imp:
        card.blocks.append(Figure(f"tune-importance-{slug}", plots.to_png(importance_figure(imp, "parameter importance")),
                                  f"parameter importance, {where}"))
    else:
        card.blocks.append(Note("Parameter importance needs at least 4 finished candidates with different scores."))
    result = a.get("result") or {}
    if result.get("params") is not None:
        card.blocks.append(Note(f"Chosen: {params_text(result['params'])} (inner {result.get('metric')} "
                                f"{result.get('inner_score'):.4f}, inner validation {result.get('inner')}; "
                                f"{result.get('n_candidates')} candidates, {result.get('n_pruned')} pruned, "
                                f"{result.get('n_failed')} failed, {result.get('tune_s'):.1f} s)."))
    return card


@panel("tuning", order=35)
def tuning_panel(ctx: ReportContext) -> Section | None:
    if not any("tune_s" in r for r in ctx.rows):
        return None
    from ..tune.results import load_studies

    table, intervals = bought_table(ctx.rows)
    blocks: list[Any] = [Note("What tuning bought: each model with its defaults against the same model tuned on "
                              "the training rows only (inner validation) and refit on them, both tested once on "
                              "the same test rows. " + ("Accuracy with the leaderboard's 95% interval." if intervals
                                                        else "Plain accuracy: this run has no intervals.")), table]
    studies = load_studies(ctx.store.out_dir, ctx.run_id)
    if not studies:
        blocks.append(Note("The tuning storage (tuning.db next to the results database) is missing, so the "
                           "candidates cannot be shown.", "warn"))
    for study in studies:
        blocks.append(_study_card(study))
    blocks.append(Note(f"Every candidate is in {ctx.store.out_dir / 'tuning.db'}: "
                       f"`optuna-dashboard sqlite:///{ctx.store.out_dir / 'tuning.db'}` browses it."))
    return Section("tuning", "Tuning", blocks)
