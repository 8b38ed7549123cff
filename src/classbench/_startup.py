"""What `classbench run`'s own processes (the driver and its local workers) do to import faster: the garbage
collector paused (below) and SciPy's docstrings kept as written (:func:`keep_scipy_docstrings`).

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
from typing import Any, Iterator

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


def keep_scipy_docstrings() -> None:
    """Let SciPy import without rewriting the docstrings of its array-API functions (about 0.15 s of the
    1.2 s scikit-learn takes to import, in each of `classbench run`'s processes).

    SciPy 1.15+ decorates some 500 functions with ``xp_capabilities``, which parses each docstring with
    its numpydoc parser (``FunctionDoc``) to append an "Array API Standard Support" table to its Notes.
    Here that decorator's parser is replaced by :class:`_DocAsWritten`, which gives the docstring back as
    written, so the functions keep their own docstrings without the table; nothing else of SciPy changes
    (``tests/core/test_startup_overhead.py`` checks the docstrings and results). Only for processes that
    never show SciPy's docstrings: the CLI driver of `classbench run` and its workers. A SciPy without
    that decorator, or one already imported, is left alone."""
    import sys

    if "scipy.stats" in sys.modules:  # its functions are decorated already
        return
    try:
        from scipy._lib import _array_api
    except Exception:  # noqa: BLE001 - no SciPy, or one laid out differently: nothing to do
        return
    real = getattr(_array_api, "FunctionDoc", None)
    if real is None or not callable(getattr(_array_api, "xp_capabilities", None)) or real is _DocAsWritten:
        return
    _DocAsWritten.real = real
    _array_api.FunctionDoc = _DocAsWritten


class _DocAsWritten:
    """Stands in for SciPy's ``FunctionDoc`` in ``xp_capabilities``: ``doc["Notes"]`` is a list that is
    dropped, and ``str(doc)`` is a blank signature line and the docstring as written. Any other use parses
    the docstring with the real parser and hands over to it, notes included."""

    real: Any = None

    def __init__(self, func: Any, *args: Any, **kwargs: Any) -> None:
        self._func, self._args, self._kwargs = func, args, kwargs
        self._notes: list[str] = []
        self._parsed: Any = None

    def _full(self) -> Any:
        if self._parsed is None:
            self._parsed = type(self).real(self._func, *self._args, **self._kwargs)
            self._parsed["Notes"].extend(self._notes)
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        if key == "Notes" and self._parsed is None:
            return self._notes
        return self._full()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._full()[key] = value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._full(), name)

    def __str__(self) -> str:
        if self._parsed is not None:
            return str(self._parsed)
        return "\n" + (self._func.__doc__ or "")
