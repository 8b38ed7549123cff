"""Warnings raised while a trial fits and predicts: dropped when the user can do nothing about them,
otherwise recorded once per trial (``extra["warnings"]``) and shown once by ``classbench show``.

Without this, a worker printed every warning of every fold on stderr: e.g. joblib's "Loky-backed parallel
loops cannot be called in a multiprocessing, setting n_jobs=1" (a worker is a daemon process, so a
library's inner process pool falls back to one process: expected, harmless), once per fold, hundreds of
lines for a leave-one-out run.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

#: (warning category name or "*", regular expression on the message): nothing a user can act on.
IGNORED: tuple[tuple[str, str], ...] = (
    ("*", r"^Loky-backed parallel loops cannot be (called in a multiprocessing|nested below threads)"),
    ("*", r"^Inside a Dask worker with daemon=True"),
    ("*", r"^\[Errno \d+\] .*joblib will operate in serial mode"),
)


def ignored(category: str, message: str) -> bool:
    return any((cat in ("*", category)) and re.search(rx, message) for cat, rx in IGNORED)


class Caught:
    """The warnings caught in a block, grouped: one entry per (category, message) with a count."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def summary(self, limit: int = 10) -> list[dict[str, Any]]:
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.records:
            category, message = r.category.__name__, " ".join(str(r.message).split())
            if ignored(category, message):
                continue
            key = (category, message[:300])
            if key not in grouped:
                grouped[key] = {"category": category, "message": key[1], "count": 0,
                                "where": f"{r.filename.rsplit('site-packages/', 1)[-1]}:{r.lineno}"}
            grouped[key]["count"] += 1
        return list(grouped.values())[:limit]


@contextmanager
def capture() -> Iterator[Caught]:
    """Catch every warning raised in the block (none is printed); ``.summary()`` lists those that matter."""
    caught = Caught()
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            caught.records = list(records)


def warning_lines(trials: list[dict[str, Any]]) -> list[str]:
    """One line per (dataset, model, warning) over a run's trials: how many trials raised it."""
    seen: dict[tuple[str, str, str, str], int] = {}
    totals: dict[tuple[str, str], int] = {}
    for t in trials:
        totals[(t["dataset"], t["model_label"])] = totals.get((t["dataset"], t["model_label"]), 0) + 1
        for w in (t.get("extra") or {}).get("warnings") or []:
            key = (t["dataset"], t["model_label"], w.get("category", "Warning"), w.get("message", ""))
            seen[key] = seen.get(key, 0) + 1
    lines = []
    for (dataset, model, category, message), n in seen.items():
        short = message if len(message) <= 160 else message[:157] + "..."
        lines.append(f"  warning: {dataset} · {model} ({n} of {totals[(dataset, model)]} trials): "
                     f"{category}: {short}")
    return lines
