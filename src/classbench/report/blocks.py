"""What a panel returns: a ``Section`` of simple blocks that both the HTML and the Markdown writer render.

Adding a panel is one function registered with ``@panel("name", order=N)``; it returns a ``Section`` (or a
list of them, or None to leave itself out) and never writes files or HTML documents itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..registry import Registry

PANELS = Registry("report panel")


def panel(name: str, order: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(ctx: ReportContext) -> Section | list[Section] | None``; ``order`` sets its place."""
    return PANELS.register(name, order=order)


def ordered_panels() -> list[tuple[str, Callable[..., Any]]]:
    from . import dataset_panels, model_panels, regression_panels, run_panels, stats_panels, tuning_panels  # noqa: F401  (registers panels)

    return [(e.name, e.load()) for e in sorted(PANELS, key=lambda e: (e.meta["order"], e.name))]


@dataclass
class Figure:
    """A plot as PNG bytes; ``name`` becomes its file name next to report.md."""

    name: str
    png: bytes
    alt: str


@dataclass
class Heading:
    text: str


@dataclass
class Note:
    """A sentence the reader should not miss (partial data, a panel limited to the top models ...)."""

    text: str
    kind: str = "info"  # info | warn | error


@dataclass
class Html:
    """Raw HTML (already escaped) for the HTML report, and what to put in the Markdown one instead."""

    html: str
    markdown: str = ""


@dataclass
class Cell:
    text: str
    sort: float | str | None = None  # sort key; None sorts last
    cls: str = ""


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    sortable: bool = False
    page_size: int = 0  # 0: no pagination
    table_id: str = ""
    numeric: set[int] = field(default_factory=set)  # column indices aligned right


@dataclass
class GalleryItem:
    """One example: an image (uint8 array of shape (h, w) or (h, w, 3)) or a text snippet, captioned."""

    caption: str
    image: np.ndarray | None = None
    text: str | None = None
    title: str = ""  # longer hover text


@dataclass
class Gallery:
    name: str
    items: list[GalleryItem]


@dataclass
class Card:
    """A titled group of blocks (one model's plot and notes); cards sit side by side in the HTML report."""

    title: str
    blocks: list[Any] = field(default_factory=list)
    wide: bool = False  # span the whole row


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Any] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]
    partial: str = ""  # the partial-run banner text, empty when the run is complete
