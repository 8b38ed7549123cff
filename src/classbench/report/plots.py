"""The report's plots: small pure functions from results to a matplotlib ``Figure``.

matplotlib is imported inside the functions (never at module level) and used through its object API with
the Agg canvas, so nothing here touches pyplot's global state or needs a display.
"""

from __future__ import annotations

import io
import math
from typing import Any, Sequence

import numpy as np

DPI = 80
TRAIN_COLOR, VAL_COLOR, FRONT_COLOR, POINT_COLOR = "#1f77b4", "#ff7f0e", "#d62728", "#7f8c8d"


def new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)  # fixed margins: a layout engine doubles the drawing time
    FigureCanvasAgg(fig)
    return fig


def margins(fig: Any, left: float, bottom: float, right: float, top: float, **kw: float) -> None:
    """Set the subplot area by margins in inches (so text fits whatever the figure size)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, bottom=bottom / h, right=1 - right / w, top=1 - top / h, **kw)


def to_png(fig: Any, dpi: int = DPI) -> bytes:
    """Render a figure to a compact PNG: RGB reduced to a 256-colour palette (median cut keeps white white)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    img = Image.open(buf).convert("RGB")
    out = io.BytesIO()
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


# Pareto -------------------------------------------------------------------------------------------------
def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats: lower ``x`` (time) and higher ``y`` (accuracy).

    Parameters
    ----------
    points : sequence of (x, y)
        Cost (e.g. training seconds, lower is better) and score (higher is better).

    Returns
    -------
    list of int
        Indices on the front, in increasing ``x``.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def pareto_figure(rows: list[dict[str, Any]], title: str, max_labels: int = 25) -> Any:
    """Accuracy against training time (log x) for leaderboard rows, the Pareto front marked and labelled.

    ``rows`` need ``model``, ``accuracy``, ``train_s`` and optionally ``accuracy_std``/``train_s_std``;
    rows without both numbers are left out.
    """
    rows = [r for r in rows if r.get("accuracy") is not None and r.get("train_s") is not None]
    fig = new_figure(7.5, 4.6)
    margins(fig, 0.75, 0.6, 0.2, 0.4)
    ax = fig.add_subplot()
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # plain "0.1", not mathtext (slow)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training time (s, log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if not rows:
        ax.text(0.5, 0.5, "no finished trials", ha="center", va="center", transform=ax.transAxes)
        return fig
    x = np.array([max(float(r["train_s"]), 1e-4) for r in rows])
    y = np.array([float(r["accuracy"]) for r in rows])
    front = pareto_front(list(zip(x, y)))
    on = np.zeros(len(rows), bool)
    on[front] = True
    yerr = [r.get("accuracy_std") or 0.0 for r in rows]
    if any(yerr):  # accuracy spread over seeds; time spreads are left out (they smear on a log axis)
        ax.errorbar(x, y, yerr=yerr, fmt="none", ecolor="#bbbbbb", lw=1)
    ax.scatter(x[~on], y[~on], s=28, color=POINT_COLOR, label="other models", zorder=3)
    ax.scatter(x[on], y[on], s=46, color=FRONT_COLOR, marker="D", label="Pareto front", zorder=4)
    ax.step(x[front], y[front], where="post", color=FRONT_COLOR, lw=1.2, alpha=0.7, zorder=2)
    lo, hi = float(y.min()), float(y.max())
    pad = 0.06 * max(0.02, hi - lo)
    ylim = (max(0.0, lo - pad), hi + pad)  # room above the best point for its label
    xlim = (x.min() / 1.8, x.max() * 3.5)
    ax.set_ylim(*ylim)
    ax.set_xlim(*xlim)
    order = list(front) + [i for i in np.argsort(-y) if not on[i]]  # the front first, then the most accurate
    names = [r["model"] if len(r["model"]) <= 28 else r["model"][:27] + "…" for r in rows]
    for i in _free_labels(order, x, y, names, xlim, ylim, max_labels):
        ax.annotate(names[i], (x[i], y[i]), xytext=(4, 3), textcoords="offset points", fontsize=7,
                    color=FRONT_COLOR if on[i] else "#444444")
    ax.legend(loc="best", fontsize=8)
    return fig


def _free_labels(order: list[int], x: np.ndarray, y: np.ndarray, names: list[str], xlim: tuple[float, float],
                 ylim: tuple[float, float], limit: int) -> list[int]:
    """Greedily keep the labels (in ``order``) whose box does not overlap one already kept.

    Boxes are estimated in axes fractions (log x) for 7-point text on the 6.5 x 4 inch plot area.
    """
    lx0, lx1 = math.log10(xlim[0]), math.log10(xlim[1])
    kept: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    for i in order:
        fx = (math.log10(x[i]) - lx0) / (lx1 - lx0) + 0.008
        fy = (y[i] - ylim[0]) / max(1e-12, ylim[1] - ylim[0]) + 0.008
        box = (fx, fy, fx + 0.0095 * len(names[i]), fy + 0.032)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        kept.append(i)
        boxes.append(box)
        if len(kept) >= limit:
            break
    return kept


# Learning curves --------------------------------------------------------------------------------------
def _series(histories: list[list[dict[str, Any]]], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                       np.ndarray, int]:
    """Per epoch: (epochs, mean, min, max, n_trials) of ``key`` over the histories that have it."""
    per_epoch: dict[int, list[float]] = {}
    n = 0
    for h in histories:
        vals = [(int(r.get("epoch", i + 1)), r.get(key)) for i, r in enumerate(h)]
        vals = [(e, float(v)) for e, v in vals if v is not None and np.isfinite(v)]
        n += bool(vals)
        for e, v in vals:
            per_epoch.setdefault(e, []).append(v)
    epochs = np.array(sorted(per_epoch), dtype=float)
    stack = [np.array(per_epoch[int(e)]) for e in epochs]
    return (epochs, np.array([s.mean() for s in stack]), np.array([s.min() for s in stack]),
            np.array([s.max() for s in stack]), n)


def has_curves(histories: list[list[dict[str, Any]]]) -> bool:
    """True when some trial trained for more than one epoch and logged a loss or accuracy."""
    return any(len([r for r in h if r.get("loss") is not None or r.get("accuracy") is not None]) > 1
               for h in histories if h)


def learning_curve_figure(histories: list[list[dict[str, Any]]], title: str) -> Any:
    """Train and validation loss (left) and accuracy (right) per epoch.

    ``histories`` holds one per-epoch list per trial (seeds/folds of one configuration); with several,
    the line is their mean and the band spans min to max.
    """
    fig = new_figure(8.5, 3.2)
    margins(fig, 0.7, 0.55, 0.15, 0.45, wspace=0.28)
    axes = fig.subplots(1, 2)
    fig.suptitle(title, fontsize=10)
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        drawn = False
        for key, name, color in ((metric, "train", TRAIN_COLOR), (f"val_{metric}", "validation", VAL_COLOR)):
            ep, mean, lo, hi, n = _series(histories, key)
            if not len(ep):
                continue
            label = name if n <= 1 else f"{name} (mean of {n})"
            ax.plot(ep, mean, color=color, marker="o" if len(ep) <= 30 else None, ms=3, lw=1.5, label=label)
            if n > 1:
                ax.fill_between(ep, lo, hi, color=color, alpha=0.18, lw=0)
            drawn = True
        if drawn:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, f"no {metric} logged", ha="center", va="center", transform=ax.transAxes)
    return fig


# Confusion --------------------------------------------------------------------------------------------
def normalise_rows(cm: np.ndarray) -> np.ndarray:
    """Each row (true class) divided by its total; rows with no samples stay zero.

    Parameters
    ----------
    cm : int array of shape (k, k)
        Counts, rows = true class, columns = predicted class.
    """
    cm = np.asarray(cm, dtype=float)
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)


def top_confusions(cm: np.ndarray, classes: Sequence[str], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` largest off-diagonal cells: ``{"true", "pred", "count", "rate"}`` (rate = share of the
    true class), largest count first."""
    cm = np.asarray(cm)
    rates = normalise_rows(cm)
    cells = [(int(cm[i, j]), float(rates[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1])
             if i != j and cm[i, j] > 0]
    cells.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    return [{"true": _name(classes, i), "pred": _name(classes, j), "count": c, "rate": r}
            for c, r, i, j in cells[:n]]


def _name(classes: Sequence[str], i: int) -> str:
    return str(classes[i]) if i < len(classes) else str(i)


def confusion_figure(cm: np.ndarray, classes: Sequence[str], title: str) -> Any:
    """Row-normalised confusion matrix (true class down, predicted across), cells annotated in percent
    when there are at most 20 classes."""
    cm = np.asarray(cm)
    k = cm.shape[0]
    norm = normalise_rows(cm)
    names = [_name(classes, i) for i in range(k)]
    short = [n if len(n) <= 12 else n[:11] + "…" for n in names]
    chars = max(map(len, short), default=1)
    size = min(8.0, max(2.6, 0.34 * k + 1.2))  # the matrix, in inches
    rotate = 0.075 * chars > 0.9 * size / k  # labels wider than a cell stand upright
    left, bottom, top = 0.55 + 0.075 * chars, 0.55 + (0.075 * chars if rotate else 0.15), 0.4
    width, height = left + size + 1.25, bottom + size + top
    fig = new_figure(width, height)
    ax = fig.add_axes((left / width, bottom / height, size / width, size / height))
    cax = fig.add_axes(((left + size + 0.15) / width, bottom / height, 0.16 / width, size / height))
    im = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, cax=cax, label="share of true class")
    step = max(1, k // 30)
    ax.set_xticks(range(0, k, step), short[::step], rotation=90 if rotate else 0, fontsize=8)
    ax.set_yticks(range(0, k, step), short[::step], fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=10)
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, f"{100 * norm[i, j]:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "#222222")
    return fig


# Dataset ----------------------------------------------------------------------------------------------
def class_counts_figure(train: Sequence[int], test: Sequence[int], classes: Sequence[str], title: str) -> Any:
    """Grouped bars: samples per class in the training and test sets."""
    k = len(classes)
    short = [str(c) if len(str(c)) <= 12 else str(c)[:11] + "…" for c in classes]
    chars = max(map(len, short), default=1)
    width = min(12.0, max(5.0, 0.35 * k + 3.0))
    rotate = 0.075 * chars > 0.9 * (width - 1.0) / k
    fig = new_figure(width, 2.6 + (0.075 * chars if rotate else 0.15))
    margins(fig, 0.75, 0.55 + (0.075 * chars if rotate else 0.15), 0.2, 0.35)
    ax = fig.add_subplot()
    pos = np.arange(k)
    w = 0.4
    ax.bar(pos - w / 2, train, width=w, color=TRAIN_COLOR, label=f"train ({int(np.sum(train)):,})")
    ax.bar(pos + w / 2, test, width=w, color=VAL_COLOR, label=f"test ({int(np.sum(test)):,})")
    step = max(1, k // 40)
    ax.set_xticks(pos[::step], short[::step], rotation=90 if rotate else 0, fontsize=8)
    ax.set_xlabel("class")
    ax.set_ylabel("samples")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(0, 1.3 * max(1, int(np.max(train, initial=0)), int(np.max(test, initial=0))))  # room for the legend
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    ax.grid(True, axis="y", alpha=0.3)
    return fig
