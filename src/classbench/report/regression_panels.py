"""Regression panels: the fitted curve for 1-D inputs, and training vs cross-validated error against M."""

from __future__ import annotations

from typing import Any

from . import plots
from .blocks import Figure, Note, Section, panel
from .context import ReportContext


def _ok_trials(ctx: ReportContext, dataset: str) -> list[dict[str, Any]]:
    seen, out = set(), []
    for t in ctx.trials:
        if t["dataset"] == dataset and t["status"] == "ok" and t.get("task") == "regression":
            if t["model_label"] not in seen:  # one trial (the first seed/fold) per configuration
                seen.add(t["model_label"])
                out.append(t)
    return out


def short_labels(labels: list[str]) -> list[str]:
    """Drop the ``key=value`` parts every label shares, so a legend shows what differs."""
    parts = []
    for lab in labels:
        name, _, rest = lab.partition("(")
        parts.append((name, [p.strip() for p in rest.rstrip(")").split(",") if p.strip()]))
    common = set.intersection(*(set(p) for _, p in parts)) if parts else set()
    out = []
    for name, ps in parts:
        keep = [p for p in ps if p not in common]
        out.append(f"{name}({', '.join(keep)})" if keep else name)
    return out


def fitted_curve_figure(trials: list[dict[str, Any]], title: str) -> Any:
    fig = plots.new_figure(7.0, 3.6)
    plots.margins(fig, 0.7, 0.55, 2.9, 0.35)
    ax = fig.add_subplot(1, 1, 1)
    first = trials[0]["extra"]["curve"]
    ax.scatter(first["train_x"], first["train_y"], s=18, color="#1f77b4", label="training points", zorder=3)
    ax.scatter(first["test_x"], first["test_y"], s=6, color="#bbbbbb", label="test points", zorder=1)
    for t, label in zip(trials, short_labels([t["model_label"] for t in trials])):
        c = t["extra"]["curve"]
        ax.plot(c["x"], c["y"], linewidth=1.6, label=label[:48])
    lo, hi = min(first["test_y"] + first["train_y"]), max(first["test_y"] + first["train_y"])
    pad = 0.25 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + pad)  # a wild high-degree fit must not flatten the picture
    ax.set_xlabel("x")
    ax.set_ylabel("t")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    return fig


def cv_curve_figure(curve: list[dict[str, Any]], title: str) -> Any:
    fig = plots.new_figure(5.5, 3.4)
    plots.margins(fig, 0.7, 0.55, 0.2, 0.35)
    ax = fig.add_subplot(1, 1, 1)
    m = [r["degree"] for r in curve]
    ax.plot(m, [r["train_rmse"] for r in curve], "o-", color=plots.TRAIN_COLOR, label="training RMSE")
    ax.plot(m, [r["val_rmse"] for r in curve], "o-", color=plots.VAL_COLOR, label="cross-validated RMSE")
    best = min(curve, key=lambda r: r["val_rmse"])
    ax.axvline(best["degree"], color=plots.FRONT_COLOR, linestyle="--", linewidth=1, label=f"chosen M = {best['degree']}")
    ax.set_yscale("log")
    ax.set_xlabel("M (degree / number of basis functions)")
    ax.set_ylabel("RMSE")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


@panel("regression", order=45)
def regression_panel(ctx: ReportContext) -> Section | None:
    blocks: list[Any] = []
    for ds in ctx.datasets:
        trials = _ok_trials(ctx, ds)
        curves = [t for t in trials if (t.get("extra") or {}).get("curve")]
        if curves:
            fig = fitted_curve_figure(curves[:8], f"{ds}: fitted curves")
            blocks.append(Figure(f"fit-{_slug(ds)}", plots.to_png(fig), f"fitted curves on {ds}"))
        for t in trials:
            cv = (t.get("extra") or {}).get("cv_curve")
            if cv and len({r["degree"] for r in cv}) > 1:
                fig = cv_curve_figure(cv, f"{t['model_label'][:60]} on {ds}")
                blocks.append(Figure(f"cv-{_slug(ds)}-{_slug(t['model_label'])}", plots.to_png(fig),
                                     f"training and cross-validated error against M: {t['model_label']}"))
    if not blocks:
        return None
    blocks.insert(0, Note("Fitted curves show one trial per configuration. The error-against-M plots show the "
                          "textbook picture: training error falls as M grows, cross-validated error is U-shaped, "
                          "and the chosen M sits at its minimum."))
    return Section("regression", "Regression: fitted curves and model selection", blocks)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
