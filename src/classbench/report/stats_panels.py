"""The report's "Is the difference real?" section: accuracy with its 95% interval, the pairwise p-values
of each dataset as a heatmap, one plain sentence per dataset, and Demšar's critical-difference diagram
when the same models ran on two or more datasets. The numbers come from ``bench/compare.py`` (which test
for which protocol) and ``classbench.stats``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import plots
from .blocks import Figure, Heading, Note, Section, panel
from .context import ReportContext
from .run_panels import _slug

MAX_INTERVAL_ROWS = 30  # models per interval plot (the best ones)
MAX_PAIR_MODELS = 12  # models in the pairwise heatmap (the best ones): 66 tests
ALPHA = 0.05
TIED_COLOR, OTHER_COLOR, UNKNOWN_COLOR = "#2c7fb8", "#7f8c8d", "#bbbbbb"


def interval_figure(rows: list[dict[str, Any]], title: str) -> Any:
    """Accuracy (point) with its interval (bar) for leaderboard rows, best at the top; models tied with the
    best in blue.

    ``rows`` need ``model``, ``accuracy``, ``acc_low``, ``acc_high``, ``tied_with_best``.
    """
    rows = [r for r in rows if r.get("accuracy") is not None][:MAX_INTERVAL_ROWS]
    fig = plots.new_figure(7.5, 0.9 + 0.28 * max(1, len(rows)))
    longest = max((len(r["model"]) for r in rows), default=4)
    plots.margins(fig, min(3.2, 0.3 + 0.065 * longest), 0.55, 1.75, 0.35)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("test accuracy (95% interval)")
    ax.grid(True, axis="x", alpha=0.3)
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        t = r.get("tied_with_best")
        color = TIED_COLOR if t else OTHER_COLOR if t is False else UNKNOWN_COLOR
        lo, hi = r.get("acc_low"), r.get("acc_high")
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [yi, yi], color=color, lw=2.2, solid_capstyle="butt")
        ax.plot([r["accuracy"]], [yi], "o", color=color, ms=5)
    ax.set_yticks(y)
    ax.set_yticklabels([r["model"] for r in rows], fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=TIED_COLOR, marker="o", lw=2, label="tied with the best"),
               Line2D([], [], color=OTHER_COLOR, marker="o", lw=2, label="significantly worse")]
    if any(r.get("tied_with_best") is None for r in rows[1:]):
        handles.append(Line2D([], [], color=UNKNOWN_COLOR, marker="o", lw=2, label="not testable"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return fig


def pvalue_figure(labels: list[str], pvals: np.ndarray, title: str) -> Any:
    """Heatmap of pairwise (Holm-adjusted) p-values.

    pvals : array of shape (k, k), symmetric, NaN where no test was possible (and on the diagonal)
    """
    from matplotlib.colors import LogNorm

    k = len(labels)
    cell = 0.42
    longest = max((len(s) for s in labels), default=4)
    label = min(2.6, 0.3 + 0.06 * longest)
    w, h = label + k * cell + 1.5, label + k * cell + 0.5
    fig = plots.new_figure(w, h)
    plots.margins(fig, label, label, 1.5, 0.5)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    shown = np.clip(np.where(np.isfinite(pvals), pvals, np.nan), 1e-4, 1.0)
    im = ax.imshow(shown, cmap="RdYlBu", norm=LogNorm(vmin=1e-4, vmax=1.0), interpolation="nearest")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticklabels(labels, fontsize=7)
    for i in range(k):
        for j in range(k):
            if i != j:
                p = pvals[i, j]
                text = ("–" if not np.isfinite(p) else "<.001" if p < 0.001 else f"{p:.3f}" if p < 0.01
                        else f"{p:.2f}")
                ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                        color="black" if not np.isfinite(p) or p > 0.003 else "white")
    cax = fig.add_axes((1 - 1.25 / w, label / h, 0.15 / w, k * cell / h))
    cb = fig.colorbar(im, cax=cax)
    cb.set_label("p (Holm); < 0.05: the difference is real", fontsize=7)
    cb.ax.tick_params(labelsize=7)
    return fig


def pairwise_matrix(result: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """(labels, k x k matrix of Holm-adjusted p-values) from one dataset of ``compare_dataset``."""
    labels = [m["model"] for m in result["models"]]
    pos = {lbl: i for i, lbl in enumerate(labels)}
    mat = np.full((len(labels), len(labels)), np.nan)
    for p in result["pairs"]:
        v = p.get("p_holm")
        if v is not None:
            i, j = pos[p["a"]], pos[p["b"]]
            mat[i, j] = mat[j, i] = v
    return labels, mat


@panel("significance", order=15)
def significance_panel(ctx: ReportContext) -> Section | None:
    from ..bench.compare import groups
    from ..bench.compare_runs import compare_dataset, multi_dataset

    by_dataset = groups(ctx.trials, ctx.run_id)
    if not by_dataset:
        return None
    blocks: list[Any] = [Note(
        "Accuracy is shown with its 95% interval: Wilson on the number right of n for one test set (or "
        "leave-one-out's pooled answers), the Nadeau-Bengio corrected t interval over folds or repeated "
        "splits. Pairs are tested on the same data: exact McNemar on the same test samples, the corrected "
        "resampled t-test over matched folds/seeds, Dietterich's 5x2cv t-test for 5x2cv; p-values are "
        "Holm-corrected. `classbench compare` prints the same tables.")]
    sentences, table = [], {}
    for ds, by_label in by_dataset.items():
        rows = [r for r in ctx.rows_for(ds) if r.get("accuracy") is not None and r["model"] in by_label]
        if not rows:
            continue
        blocks.append(Heading(ds))
        blocks.append(Figure(f"intervals-{_slug(ds)}", plots.to_png(interval_figure(rows, f"{ds}: accuracy")),
                             f"accuracy with 95% intervals on {ds}"))
        top = [r["model"] for r in rows[:MAX_PAIR_MODELS]]
        res = compare_dataset(ds, by_label, top, "auto", ALPHA)
        sentences.append(res["sentence"])
        blocks.append(Note(res["sentence"]))
        labels, mat = pairwise_matrix(res)
        if len(labels) >= 2 and np.isfinite(mat).any():
            fig = pvalue_figure(labels, mat, f"{ds}: pairwise p-values ({res['pairs'][0]['test']}, Holm)")
            blocks.append(Figure(f"pvalues-{_slug(ds)}", plots.to_png(fig), f"pairwise p-values on {ds}"))
        if len(rows) > MAX_PAIR_MODELS:
            blocks.append(Note(f"{ds}: pairwise tests among the best {MAX_PAIR_MODELS} of {len(rows)} models."))
        blocks += [Note(n, "warn") for n in res["notes"]]
        table[ds] = {r["model"]: r["accuracy"] for r in rows}
    blocks += _across(table, multi_dataset)
    return Section("significance", "Is the difference real?", blocks) if sentences else None


def _across(table: dict[str, dict[str, float]], multi_dataset: Any) -> list[Any]:
    """The critical-difference diagram when two or more datasets share two or more models."""
    if len(table) < 2:
        return []
    common = [m for m in next(iter(table.values())) if all(m in row for row in table.values())]
    if len(common) < 2:
        return [Note("Several datasets, but fewer than two models ran on all of them: no ranks across datasets.")]
    m = multi_dataset({d: {c: row[c] for c in common} for d, row in table.items()}, ALPHA)
    from .cd_diagram import plot_cd

    fig = plot_cd(m["mean_ranks"], m["cd"], title=f"mean ranks over {m['n_datasets']} datasets "
                                                   f"(Nemenyi CD = {m['cd']:.2f})")
    fr = m["friedman"]
    text = (f"Across {m['n_datasets']} datasets: Friedman p = {fr['p_value']:.3g}, Iman-Davenport p = "
            f"{fr['iman_davenport_p']:.3g}; models joined by a bar are not significantly different (Nemenyi, "
            f"alpha {ALPHA}).")
    out: list[Any] = [Heading("Across datasets"), Note(text),
                      Figure("cd-diagram", plots.to_png(getattr(fig, "figure", fig)), "critical-difference diagram")]
    out += [Note(n, "warn") for n in m.get("notes") or []]
    return out
