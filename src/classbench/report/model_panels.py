"""Per-model panels (for the top models of each dataset): learning curves, confusion, misclassified examples."""

from __future__ import annotations

import re
from html import escape
from typing import Any

import numpy as np

from . import plots
from .blocks import Card, Figure, Gallery, GalleryItem, Html, Note, Section, panel
from .context import ReportContext
from .images import as_uint8_image
from .run_panels import _md, _slug

MAX_EXAMPLES = 16  # misclassified examples shown per model
MAX_TEXT_EXAMPLES = 8  # ... when they are texts
SNIPPET = 280  # characters of a text example


def histories(ctx: ReportContext, dataset: str, label: str) -> list[list[dict[str, Any]]]:
    return [t["history"] or [] for t in ctx.ok_trials(dataset, label)]


def _limited(ctx: ReportContext, dataset: str, shown: int, total: int, what: str) -> Note | None:
    if total <= shown:
        return None
    return Note(f"{dataset}: showing the top {shown} of {total} models {what} by mean accuracy (the report "
                f"shows per-model panels for the top {ctx.top_n} only); the leaderboard lists them all.")


def learning_curve_figures(ctx: ReportContext, dataset: str, label: str) -> list[Figure]:
    """One train/validation loss + accuracy figure for a configuration, if it trained over epochs."""
    hist = histories(ctx, dataset, label)
    if not plots.has_curves(hist):
        return []
    fig = plots.learning_curve_figure(hist, f"{label} on {dataset}")
    return [Figure(f"curves-{_slug(dataset)}-{_slug(label)}", plots.to_png(fig),
                   f"learning curves of {label} on {dataset}")]


@panel("learning-curves", order=40)
def learning_curves_panel(ctx: ReportContext) -> Section:
    blocks: list[Any] = []
    for ds in ctx.datasets:
        top, total = ctx.top_rows(ds, lambda r, ds=ds: plots.has_curves(histories(ctx, ds, r["model"])))
        for r in top:
            hist = histories(ctx, ds, r["model"])
            has_val = any(row.get("val_loss") is not None or row.get("val_accuracy") is not None
                          for h in hist for row in h)
            card = Card(f"{r['model']} · {ds}", learning_curve_figures(ctx, ds, r["model"]))
            if not has_val:
                card.blocks.append(Note("No validation curve: this model trained without a validation split "
                                        "(set validation_fraction to monitor one)."))
            blocks.append(card)
        note = _limited(ctx, ds, len(top), total, "with multi-epoch history")
        if note:
            blocks.append(note)
        blocks += _stopped_cards(ctx, ds)
    if not blocks:
        blocks.append(Note("No model in this run trained over several epochs (classical models fit in one step), "
                           "so there are no learning curves."))
    return Section("learning-curves", "Learning curves", blocks)


def _stopped_cards(ctx: ReportContext, dataset: str) -> list[Card]:
    """Partial curves of trials stopped mid-training (timeout, crashed or killed worker, interrupted) that had
    streamed at least two epochs: one card per trial, up to ``top_n`` per dataset."""
    cards = []
    stopped = [t for t in ctx.trials if t["dataset"] == dataset and t["status"] in ("timeout", "failed", "interrupted")
               and plots.has_curves([t.get("history") or []])]
    for t in stopped[: ctx.top_n]:
        hist = t["history"]
        where = f"{t['model_label']} · {dataset} · seed {t['seed']}"
        fig = plots.learning_curve_figure([hist], f"{where}: stopped after {len(hist)} epochs")
        card = Card(f"{where} · stopped ({t['status']}) after {len(hist)} epoch(s)",
                    [Figure(f"curves-stopped-{_slug(dataset)}-{_slug(t['model_label'])}-{t['seed']}-{t.get('fold') or 0}",
                            plots.to_png(fig), f"partial learning curves of {where}")])
        card.blocks.append(Note(str(t.get("error") or "stopped before it finished").splitlines()[0][:300], "warn"))
        cards.append(card)
    return cards


def summed_confusion(trials: list[dict[str, Any]]) -> tuple[np.ndarray | None, list[str]]:
    """The confusion matrices of a configuration's trials added up, and the class names."""
    total, classes = None, []
    for t in trials:
        extra = t.get("extra") or {}
        cm = extra.get("confusion")
        if cm is None:
            continue
        cm = np.asarray(cm, dtype=np.int64)
        if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
            continue
        classes = list(extra.get("classes") or classes)
        total = cm if total is None else (total + cm if total.shape == cm.shape else total)
    return total, classes


@panel("confusion", order=50)
def confusion_panel(ctx: ReportContext) -> Section | None:
    blocks: list[Any] = [Note("Rows are true classes, columns predictions; each row sums to 100% (summed over "
                              "the configuration's seeds and folds).")]
    for ds in ctx.datasets:
        top, total = ctx.top_rows(ds)
        for r in top:
            cm, classes = summed_confusion(ctx.ok_trials(ds, r["model"]))
            if cm is None:
                continue
            fig = plots.confusion_figure(cm, classes, f"{r['model']} on {ds}")
            card = Card(f"{r['model']} · {ds}", [Figure(f"confusion-{_slug(ds)}-{_slug(r['model'])}",
                                                        plots.to_png(fig), f"confusion matrix of {r['model']}")])
            worst = plots.top_confusions(cm, classes, 5)
            if worst:
                items = [f"{w['true']} → {w['pred']}: {w['count']} ({100 * w['rate']:.1f}% of {w['true']})"
                         for w in worst]
                card.blocks.append(Html(
                    "<p class='small'>Most confused (true → predicted):</p><ul class='small'>"
                    + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>",
                    "Most confused (true → predicted):\n\n" + "\n".join(f"- {_md(i)}" for i in items) + "\n"))
            else:
                card.blocks.append(Note("No confusions: every test sample was classified correctly."))
            blocks.append(card)
        note = _limited(ctx, ds, len(top), total, "")
        if note:
            blocks.append(note)
    return Section("confusion", "Confusion matrices", blocks) if len(blocks) > 1 else None


def misclassified(trials: list[dict[str, Any]], limit: int = MAX_EXAMPLES) -> list[dict[str, Any]]:
    """A configuration's misclassified examples over its trials: one per pooled index, most confident
    mistakes first (unknown confidence last), at most ``limit``."""
    best: dict[int, dict[str, Any]] = {}
    for t in trials:
        for m in (t.get("extra") or {}).get("misclassified") or []:
            old = best.get(m["index"])
            if old is None or (m.get("confidence") or -1) > (old.get("confidence") or -1):
                best[m["index"]] = m
    ranked = sorted(best.values(), key=lambda m: (-(m.get("confidence") if m.get("confidence") is not None
                                                    else -1.0), m["index"]))
    return ranked[:limit]


def _label(classes: list[str], i: int) -> str:
    return str(classes[i]) if 0 <= i < len(classes) else str(i)


@panel("misclassified", order=60)
def misclassified_panel(ctx: ReportContext) -> Section | None:
    blocks: list[Any] = []
    for ds in ctx.datasets:
        top, total = ctx.top_rows(ds)
        for r in top:
            trials = ctx.ok_trials(ds, r["model"])
            wrong = misclassified(trials)
            if not wrong:
                continue
            classes = list((trials[0].get("extra") or {}).get("classes") or [])
            blocks.append(Card(f"{r['model']} · {ds}", _examples(ctx, trials[0], wrong, classes, ds, r["model"])))
        note = _limited(ctx, ds, len(top), total, "")
        if note and blocks:
            blocks.append(note)
    if not blocks:
        return None
    blocks.insert(0, Note(f"Up to {MAX_EXAMPLES} test examples per model ({MAX_TEXT_EXAMPLES} for texts) that it "
                          f"got wrong, most confident "
                          f"mistakes first: true → predicted label (confidence = the predicted class's "
                          f"probability, where the model gives one)."))
    return Section("misclassified", "Misclassified examples", blocks)


def _examples(ctx: ReportContext, trial: dict[str, Any], wrong: list[dict[str, Any]], classes: list[str],
              ds: str, label: str) -> list[Any]:
    data = ctx.data(trial)
    captions = []
    for m in wrong:
        conf = "" if m.get("confidence") is None else f" ({m['confidence']:.2f})"
        captions.append(f"{_label(classes, m['true'])} → {_label(classes, m['pred'])}{conf}")
    if data.dataset is None:
        rows = "".join(f"<tr><td>{m['index']}</td><td>{escape(c)}</td></tr>" for m, c in zip(wrong, captions))
        md = "| index | true → predicted |\n|---|---|\n" + "".join(
            f"| {m['index']} | {_md(c)} |\n" for m, c in zip(wrong, captions))
        return [Note(f"Could not reload dataset {ds!r} to show these examples ({data.error}); their indices and "
                     f"labels are listed instead.", "warn"),
                Html(f"<table class='data'><thead><tr><th>index</th><th>true → predicted</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>", md)]
    items, mismatched, missing = [], 0, 0
    if data.dataset.modality == "text":
        wrong, captions = wrong[:MAX_TEXT_EXAMPLES], captions[:MAX_TEXT_EXAMPLES]
    for m, cap in zip(wrong, captions):
        got = data.sample(int(m["index"]))
        if got is None:
            missing += 1
            continue
        x, y = got
        mismatched += y != m["true"]
        items.append(_item(x, data.dataset.modality, cap, f"sample {m['index']}: {cap}"))
    out: list[Any] = [Gallery(f"misclassified-{_slug(ds)}-{_slug(label)}", items)]
    if mismatched or missing:
        out.append(Note(f"The reloaded {ds!r} differs from the data this run used: {mismatched} label(s) differ "
                        f"and {missing} index(es) are out of range, so these examples may be the wrong ones.",
                        "warn"))
    return out


def _item(x: Any, modality: str, caption: str, title: str) -> GalleryItem:
    if modality == "text":
        text = " ".join(re.sub(r"<br\s*/?>", " ", str(x)).split())  # IMDB keeps HTML line breaks
        return GalleryItem(caption, text=text if len(text) <= SNIPPET else text[:SNIPPET] + "…", title=title)
    img = as_uint8_image(np.asarray(x)) if modality == "image" else None
    if img is None:
        vals = np.asarray(x, dtype=float).ravel()
        text = "[" + ", ".join(f"{v:.3g}" for v in vals[:8]) + (", …]" if vals.size > 8 else "]")
        return GalleryItem(caption, text=text, title=title)
    return GalleryItem(caption, image=img, title=title)
