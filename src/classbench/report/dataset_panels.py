"""The dataset panel: summary, class counts and a grid of samples (images or texts) per dataset."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import plots
from .blocks import Card, Cell, Figure, Gallery, Note, Section, Table, panel
from .context import ReportContext
from .model_panels import _item
from .run_panels import _slug

MAX_SAMPLES = 40  # sample images per dataset
MAX_TEXTS = 12  # sample texts per dataset


def sample_indices(y: np.ndarray, n_classes: int, budget: int) -> list[int]:
    """The first few training samples of each class (round-robin over classes), at most ``budget``.

    Parameters
    ----------
    y : int array of shape (n,)
    """
    y = np.asarray(y)
    per_class = max(1, budget // max(1, n_classes))
    picks = [np.flatnonzero(y == c)[:per_class] for c in range(n_classes)]
    out: list[int] = []
    for k in range(per_class):
        for p in picks:
            if k < len(p) and len(out) < budget:
                out.append(int(p[k]))
    return sorted(out, key=lambda i: (int(y[i]), i))


@panel("dataset", order=70)
def dataset_panel(ctx: ReportContext) -> Section:
    blocks: list[Any] = []
    for ds_name in ctx.datasets:
        trial = next(t for t in ctx.trials if t["dataset"] == ds_name)
        data = ctx.data(trial)
        params = ((trial.get("spec") or {}).get("dataset") or {}).get("params") or {}
        title = ds_name + (f" ({', '.join(f'{k}={v}' for k, v in sorted(params.items()))})" if params else "")
        if data.dataset is None:
            blocks.append(Card(title, [Note(f"Could not reload dataset {ds_name!r} for this panel: {data.error}. "
                                            f"Pass the same --data-dir / CLASSBENCH_DATA as the run to see it.",
                                            "warn")]))
            continue
        ds = data.dataset
        k = ds.n_classes
        facts = [("modality", ds.modality), ("train / test", f"{len(ds.y_train):,} / {len(ds.y_test):,}"),
                 ("classes", f"{k}"), ("input shape", " × ".join(map(str, ds.input_shape)) or "–"),
                 ("source", str(ds.provenance.get("source", "–")))]
        card = Card(title, [Table(["property", "value"], [[Cell(a), Cell(b)] for a, b in facts])], wide=True)
        train = np.bincount(np.asarray(ds.y_train, int), minlength=k)[:k]
        test = np.bincount(np.asarray(ds.y_test, int), minlength=k)[:k]
        fig = plots.class_counts_figure(train, test, ds.classes, f"{ds_name}: samples per class")
        card.blocks.append(Figure(f"classes-{_slug(ds_name)}", plots.to_png(fig), f"class counts of {ds_name}"))
        budget = MAX_TEXTS if ds.modality != "image" else MAX_SAMPLES
        idx = sample_indices(ds.y_train, k, budget)
        items = [_item(ds.X_train[i], ds.modality, str(ds.classes[int(ds.y_train[i])]),
                       f"training sample {i}") for i in idx]
        card.blocks.append(Gallery(f"samples-{_slug(ds_name)}", items))
        if k > budget:
            card.blocks.append(Note(f"Samples shown for {len(idx)} of the {k} classes."))
        blocks.append(card)
    return Section("dataset", "Datasets", blocks)
