"""EngineError and the cheap checks every op and layer uses.

Checks are deliberately cheap: shape checks compare tuples, and the non-finite check costs one
reduction (``np.add.reduce``) over the array; only when that sum is not finite is the array scanned
again to find and report the first bad element.
"""

from __future__ import annotations

import numpy as np


class EngineError(ValueError):
    """Bad input to an engine op or layer: wrong shape, invalid stride/padding, NaN/Inf values.

    The message names the op (or layer) and the shapes involved.
    """


def shape_str(a) -> str:
    """``(2, 3, 4, 4) float32`` for arrays, ``repr`` for anything else."""
    if isinstance(a, np.ndarray):
        return f"{tuple(a.shape)} {a.dtype}"
    return repr(a)


def as_pair(op: str, name: str, value, *, low: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``low``, as a pair; EngineError otherwise."""
    if isinstance(value, (int, np.integer)):
        pair = (value, value)
    elif isinstance(value, (tuple, list)):
        pair = tuple(value)
    else:
        raise EngineError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise EngineError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < low:
        raise EngineError(f"{op}: {name} must be >= {low}, got {value!r}")
    return int(pair[0]), int(pair[1])


def out_size(op: str, size: int, k: int, stride: int, pad: int, axis: str, shape) -> int:
    """Output length ``floor((size + 2 pad - k) / stride) + 1`` (torch's rule); EngineError if < 1."""
    span = size + 2 * pad - k
    if span < 0:
        raise EngineError(
            f"{op}: kernel {k} is larger than the padded input along {axis} ({size} + 2*{pad} = "
            f"{size + 2 * pad}); input shape {tuple(shape)}. Use a smaller kernel or more padding."
        )
    return span // stride + 1


def check_ndim(op: str, name: str, a, ndim: int, layout: str) -> None:
    if not isinstance(a, np.ndarray):
        raise EngineError(f"{op}: {name} must be a numpy array {layout}, got {type(a).__name__}")
    if a.ndim != ndim:
        raise EngineError(f"{op}: {name} must have {ndim} dims {layout}, got shape {tuple(a.shape)}")


def check_shape(op: str, name: str, a, expected: tuple) -> None:
    """``expected`` may hold None for "any size" on an axis."""
    check_ndim(op, name, a, len(expected), str(tuple("?" if e is None else e for e in expected)))
    if any(e is not None and e != s for e, s in zip(expected, a.shape)):
        shown = tuple("?" if e is None else e for e in expected)
        raise EngineError(f"{op}: {name} has shape {tuple(a.shape)}, expected {shown}")


def first_nonfinite(a: np.ndarray) -> str | None:
    """None when every element is finite, else a short description of the first bad one (cheap)."""
    if a.dtype.kind not in "fc" or a.size == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(a, axis=None)
    if np.isfinite(total):
        return None
    bad = ~np.isfinite(a)
    count = int(bad.sum())
    if count == 0:  # the float sum overflowed although every element is finite
        return None
    idx = np.unravel_index(int(np.argmax(bad)), a.shape)
    return f"{count} of {a.size} values are NaN/Inf, first at index {tuple(int(i) for i in idx)} = {a[idx]}"


def check_finite(where: str, what: str, a: np.ndarray, hint: str = "") -> None:
    """Raise EngineError naming ``where`` (layer/op) and ``what`` (output, grad ...) on NaN/Inf."""
    bad = first_nonfinite(a)
    if bad is not None:
        raise EngineError(f"{where}: {what} of shape {tuple(a.shape)} is not finite: {bad}.{hint}")
