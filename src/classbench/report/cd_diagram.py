"""Demšar's (2006) critical-difference diagram: mean ranks on an axis, a bar joining every group of models
that are not significantly different (Nemenyi), and the critical difference drawn to scale on top.

``cd_cliques`` (the groups) is a pure function from ``classbench.stats``; matplotlib is imported inside
``plot_cd`` only.

    from classbench.stats import analyse_scores
    from classbench.report.cd_diagram import plot_cd
    res = analyse_scores(scores)
    fig = plot_cd(res["mean_ranks"], res["cd"], title="accuracy, 14 datasets")
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..errors import UserError
from ..stats.analyse import cd_cliques

__all__ = ["cd_cliques", "plot_cd"]

BAR_COLOR, LINE_COLOR = "#111111", "#444444"


def plot_cd(mean_ranks: Mapping[str, float], cd: float, ax: Any = None, title: str | None = None) -> Any:
    """Draw the critical-difference diagram; returns the matplotlib ``Figure``.

    Parameters
    ----------
    mean_ranks : mapping of model name to mean rank (1 = best)
    cd : float
        Critical difference of mean ranks (``classbench.stats.nemenyi_cd``).
    ax : matplotlib Axes, optional
        Draw into it; by default a new Agg figure sized to the number of models.
    title : str, optional
    """
    if len(mean_ranks) < 2:
        raise UserError(f"A critical-difference diagram needs at least 2 models, got {len(mean_ranks)}.")
    if not (isinstance(cd, (int, float)) and math.isfinite(cd) and cd > 0):
        raise UserError(f"The critical difference must be a positive number, got {cd!r}.")
    items = sorted(((str(n), float(r)) for n, r in mean_ranks.items()), key=lambda kv: (kv[1], kv[0]))
    k = len(items)
    lo, hi = 1.0, float(max(k, math.ceil(max(r for _, r in items))))
    cliques = cd_cliques(dict(items), cd)
    n_left = (k + 1) // 2
    n_rows = max(n_left, k - n_left)
    if ax is None:
        from .plots import new_figure

        # room for the longest label on each side (about 0.07 inch a character at 9 points)
        side = 0.4 + 0.07 * max(len(f"{name} ({r:.2f})") for name, r in items)
        width = 4.5 + 2 * side
        fig = new_figure(width, 1.6 + 0.28 * n_rows + 0.12 * len(cliques))
        ax = fig.add_axes((side / width, 0.02, 4.5 / width, 0.84 if title else 0.92))
    fig = ax.figure
    ax.set_axis_off()
    # y grows downwards: the rank axis at 0, the CD bar above it, cliques and labels below
    clique_y0, step = 0.25, 0.12
    label_y0 = clique_y0 + step * len(cliques) + 0.2
    row = 0.3
    ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.02 * (hi - lo))
    ax.set_ylim(label_y0 + row * (n_rows - 1) + 0.25, -0.75)
    ax.plot([lo, hi], [0, 0], color=BAR_COLOR, lw=1.2, solid_capstyle="butt")
    for tick in range(int(lo), int(hi) + 1):
        ax.plot([tick, tick], [0, -0.1], color=BAR_COLOR, lw=1)
        ax.text(tick, -0.14, str(tick), ha="center", va="bottom", fontsize=9)
    for half in range(int(lo), int(hi)):
        ax.plot([half + 0.5, half + 0.5], [0, -0.05], color=BAR_COLOR, lw=0.8)
    # the critical difference, to scale
    ax.plot([lo, lo + cd], [-0.55, -0.55], color=BAR_COLOR, lw=1.2)
    for x in (lo, lo + cd):
        ax.plot([x, x], [-0.5, -0.6], color=BAR_COLOR, lw=1.2)
    ax.text(lo + cd / 2, -0.6, f"CD = {cd:.3g}", ha="center", va="bottom", fontsize=9)
    # one line from each model's rank down to its label: best half on the left, the rest on the right
    for i, (name, r) in enumerate(items):
        left = i < n_left
        y = label_y0 + row * (i if left else k - 1 - i)
        x_end = lo - 0.02 * (hi - lo) if left else hi + 0.02 * (hi - lo)
        ax.plot([r, r, x_end], [0, y, y], color=LINE_COLOR, lw=0.9)
        ax.text(x_end + (-0.01 if left else 0.01) * (hi - lo), y, f"{name} ({r:.2f})",
                ha="right" if left else "left", va="center", fontsize=9, clip_on=False)
    # thick bars: groups not significantly different
    for c, members in enumerate(cliques):
        r0, r1 = mean_ranks[members[0]], mean_ranks[members[-1]]
        y = clique_y0 + step * c
        ax.plot([r0 - 0.03, r1 + 0.03], [y, y], color=BAR_COLOR, lw=4, solid_capstyle="round")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
