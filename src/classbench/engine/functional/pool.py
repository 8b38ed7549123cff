"""Max and average pooling over NCHW inputs, with the gradient routing of the notebook.

Max pooling routes each output gradient to the one input that won its window; average pooling spreads
it evenly (1 / divisor) over the window. Both loop over the kh*kw window offsets only.

Tie rule (max pooling): when several inputs of a window share the maximum, the gradient goes to the
FIRST of them in row-major window order (what ``np.argmax`` over the flattened window returns). torch's CPU kernel
(``max_pool2d_with_indices``) scans the window in the same order and replaces its running maximum only on
a strictly greater value (or NaN), so it picks the same element and the gradients agree exactly; a NaN in a
window wins in both. torch's CUDA/cuDNN kernels do not promise this order, so ties on a GPU may differ.
"""

from __future__ import annotations

import numpy as np

from ..errors import EngineError, as_pair, check_ndim, out_size
from .conv import pad2d


def _geometry(op: str, x: np.ndarray, kernel_size, stride, padding):
    check_ndim(op, "x", x, 4, "(n, c, h, w)")
    kh, kw = as_pair(op, "kernel_size", kernel_size, low=1)
    sh, sw = as_pair(op, "stride", kernel_size if stride is None else stride, low=1)
    ph, pw = as_pair(op, "padding", padding, low=0)
    if 2 * ph > kh or 2 * pw > kw:
        raise EngineError(
            f"{op}: padding {padding!r} must be at most half the kernel size {kernel_size!r} (torch's rule), "
            f"input shape {tuple(x.shape)}"
        )
    ho = out_size(op, x.shape[2], kh, sh, ph, "height", x.shape)
    wo = out_size(op, x.shape[3], kw, sw, pw, "width", x.shape)
    return kh, kw, sh, sw, ph, pw, ho, wo


def _offsets(geo):
    kh, kw, sh, sw, ph, pw, ho, wo = geo
    for m in range(kh):
        for q in range(kw):
            yield m * kw + q, (slice(None), slice(None), slice(m, m + sh * (ho - 1) + 1, sh),
                               slice(q, q + sw * (wo - 1) + 1, sw))


def _scatter(pieces, xp_shape, dtype, geo) -> np.ndarray:
    """Put ``pieces(k)`` (each (n, c, ho, wo)) at window offset k of every window and crop the padding.

    Windows that do not overlap (stride >= kernel) are written with plain assignment, else added up.
    """
    kh, kw, sh, sw, ph, pw, ho, wo = geo
    overlap = sh < kh or sw < kw
    dxp = np.zeros(xp_shape, dtype=dtype)
    for k, where in _offsets(geo):
        if overlap:
            dxp[where] += pieces(k)
        else:
            dxp[where] = pieces(k)
    hp, wp = xp_shape[2:]
    return dxp[:, :, ph : hp - ph, pw : wp - pw] if (ph or pw) else dxp


def maxpool2d_forward(x: np.ndarray, kernel_size, stride=None, padding=0):
    """Max over each window (padding counts as -inf, like torch).

    Parameters
    ----------
    x : array of shape (n, c, h, w)
    kernel_size, stride, padding : int or pair; stride defaults to kernel_size; floor output size.

    Returns
    -------
    out : array of shape (n, c, ho, wo)
    cache : (argmax of shape (n, c, ho, wo) in row-major window order, geometry)
    """
    geo = _geometry("max_pool2d", x, kernel_size, stride, padding)
    kh, kw, sh, sw, ph, pw, ho, wo = geo
    xp = pad2d(x, ph, pw, value=-np.inf)
    # a running maximum over the kh*kw window offsets, as torch's CPU kernel: a later element replaces
    # the maximum only if it is strictly greater (or NaN), so ties keep the first in row-major order.
    # Branch-free (masked writes with a random mask are slow): since the offset index k only grows,
    # arg = max(arg, k * better) records the last offset that beat the running maximum.
    offsets = _offsets(geo)
    out = np.ascontiguousarray(xp[next(offsets)[1]])
    arg = np.zeros(out.shape, dtype=np.uint8 if kh * kw < 256 else np.int32)
    better, flag = np.empty(out.shape, dtype=bool), np.empty(out.shape, dtype=bool)
    step = np.empty_like(arg)
    for k, where in offsets:
        cand = xp[where]
        np.greater(cand, out, out=better)
        better |= np.isnan(cand, out=flag)
        np.maximum(out, cand, out=out)  # [eq:maxpool-forward]
        np.multiply(better, arg.dtype.type(k), out=step)
        np.maximum(arg, step, out=arg)
    return out, (arg, xp.shape, geo)


def maxpool2d_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Route each output gradient to its window's argmax (the first maximum on ties).

    Parameters
    ----------
    dout : array of shape (n, c, ho, wo)

    Returns
    -------
    dx : array of shape (n, c, h, w); overlapping windows accumulate.
    """
    arg, xp_shape, geo = cache
    if dout.shape != arg.shape:
        raise EngineError(f"max_pool2d backward: dout has shape {tuple(dout.shape)}, expected {arg.shape}")
    return _scatter(lambda k: dout * (arg == k), xp_shape, dout.dtype, geo)  # [eq:maxpool-backward]


def _divisor(geo, h: int, w: int, count_include_pad: bool, dtype):
    kh, kw, sh, sw, ph, pw, ho, wo = geo
    if count_include_pad:
        return dtype.type(kh * kw)

    def counts(size, k, s, p, o):
        start = np.arange(o) * s - p
        return np.minimum(start + k, size) - np.maximum(start, 0)

    return np.outer(counts(h, kh, sh, ph, ho), counts(w, kw, sw, pw, wo)).astype(dtype)


def avgpool2d_forward(x: np.ndarray, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
    """Mean over each window (zero padding; divisor kh*kw, or the unpadded count if not count_include_pad).

    Parameters
    ----------
    x : array of shape (n, c, h, w)

    Returns
    -------
    out : array of shape (n, c, ho, wo)
    cache : geometry and divisor
    """
    geo = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    kh, kw, sh, sw, ph, pw, ho, wo = geo
    xp = pad2d(x, ph, pw)
    div = _divisor(geo, x.shape[2], x.shape[3], count_include_pad, x.dtype)
    out = np.zeros((*x.shape[:2], ho, wo), dtype=x.dtype)
    for _, where in _offsets(geo):
        out += xp[where]
    out /= div  # [eq:avgpool-forward]
    return out, (xp.shape, geo, div)


def avgpool2d_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Spread each output gradient evenly over its window: ``dx += dout / divisor`` per offset.

    Parameters
    ----------
    dout : array of shape (n, c, ho, wo)

    Returns
    -------
    dx : array of shape (n, c, h, w)
    """
    xp_shape, geo, div = cache
    expected = (*xp_shape[:2], geo[6], geo[7])
    if dout.shape != expected:
        raise EngineError(f"avg_pool2d backward: dout has shape {tuple(dout.shape)}, expected {expected}")
    share = dout / div  # [eq:avgpool-backward]
    return _scatter(lambda k: share, xp_shape, dout.dtype, geo)
