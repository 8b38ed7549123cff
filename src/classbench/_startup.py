"""The cyclic garbage collector during the start-up of classbench's own processes.

Importing scikit-learn (with SciPy and pandas) makes about a million objects, nearly all kept for the
life of the process, and Python's collector passes scan them again and again: 10-15% of the import time,
and passes of tens of milliseconds later on. `classbench run` and its local workers pause the collector
while they import (about 0.15 s off the 1.2 s before the first trial can start, in both processes); when
trials start, what the imports made is frozen (``gc.freeze``: moved to the permanent generation, which
passes skip) and the collector runs again, so a long suite collects the cycles it makes as usual.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_STATE: dict[str, bool] = {}  # "paused": this module turned the collector off; "frozen": it froze objects


def pause_gc() -> None:
    """Pause the collector, unless it is already off (then it is someone else's to turn back on)."""
    if gc.isenabled() and not _STATE.get("paused"):
        gc.disable()
        _STATE["paused"] = True


def resume_gc() -> None:
    """If :func:`pause_gc` stopped the collector: freeze what exists now, then start it again (else no-op).

    Without the freeze, the first pass after a paused import would scan every object the imports made,
    right when the first trial is due. Frozen objects are never collected; :func:`gc_paused` unfreezes
    them when its block ends, for callers that go on in the same process (tests, notebooks)."""
    if _STATE.pop("paused", False):
        gc.freeze()
        _STATE["frozen"] = True
        gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector paused for the block, or until :func:`resume_gc` is called inside it; what was
    frozen goes back to the collector's care when the block ends."""
    pause_gc()
    try:
        yield
    finally:
        resume_gc()
        if _STATE.pop("frozen", False):
            gc.unfreeze()
