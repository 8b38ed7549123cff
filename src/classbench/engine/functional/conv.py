"""2-D convolution as cross-correlation (what torch.nn.functional.conv2d computes), NCHW.

Forward, in the notebook's notation, for one sample, output channel f and output pixel (i, j)::

    o[f, i, j] = b[f] + sum_{c, m', n'} w[f, c, m', n'] * x_pad[c, s*i + m', s*j + n']      (o = w * x + b)

im2col gathers every receptive field into a matrix so that the whole layer is one batched BLAS matmul;
col2im scatters column gradients back onto the input with one slice-add per kernel offset (kh*kw
iterations, never a loop over pixels or samples).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import EngineError, as_pair, check_ndim, out_size


def pad2d(x: np.ndarray, ph: int, pw: int, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``x`` (n, c, h, w) by ``ph``/``pw`` on each side (no copy when 0)."""
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def windows(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """Read-only view of shape (n, c, kh, kw, ho, wo): ``v[n, c, m, q, i, j] = xp[n, c, sh*i + m, sw*j + q]``."""
    s0, s1, s2, s3 = xp.strides
    n, c = xp.shape[:2]
    return as_strided(xp, (n, c, kh, kw, ho, wo), (s0, s1, s2, s3, s2 * sh, s3 * sw), writeable=False)


def im2col(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """Columns of shape (n, c*kh*kw, ho*wo), C-contiguous: one copy of the strided window view."""
    n, c = xp.shape[:2]
    return windows(xp, kh, kw, sh, sw, ho, wo).reshape(n, c * kh * kw, ho * wo)


def col2im(dcols: np.ndarray, xp_shape: tuple, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int):
    """Adjoint of :func:`im2col`: sum the column gradients (n, c*kh*kw, ho*wo) onto a (padded) input.

    Loops over the kh*kw kernel offsets only; each iteration is one strided slice-add over the batch.
    """
    n, c = xp_shape[:2]
    d = dcols.reshape(n, c, kh, kw, ho, wo)
    dxp = np.zeros(xp_shape, dtype=dcols.dtype)
    for m in range(kh):
        for q in range(kw):
            dxp[:, :, m : m + sh * (ho - 1) + 1 : sh, q : q + sw * (wo - 1) + 1 : sw] += d[:, :, m, q]
    return dxp


def col2im_rows(dcols: np.ndarray, xp_shape: tuple, kh: int, kw: int, ho: int) -> np.ndarray:
    """:func:`col2im` for stride 1, where each column row spans the full padded width ``wp``.

    ``dcols`` has shape (n, c*kh*kw, ho*wp) and is zero in the columns j >= wo of every row, so offset
    (m, q) adds one contiguous run of ``ho*wp`` values at flat position ``m*wp + q`` of each input plane:
    long inner loops instead of ``ho`` short ones.
    """
    n, c, hp, wp = xp_shape
    d = dcols.reshape(n, c, kh, kw, ho * wp)
    dxp = np.zeros((n, c, hp * wp), dtype=dcols.dtype)
    for m in range(kh):
        for q in range(kw):
            start = m * wp + q
            length = min(ho * wp, hp * wp - start)  # what is cut off lies in the zero columns
            dxp[:, :, start : start + length] += d[:, :, m, q, :length]
    return dxp.reshape(xp_shape)


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0):
    """Cross-correlation ``o = w * x + b``.

    Parameters
    ----------
    x : array of shape (n, c, h, w)
    weight : array of shape (f, c, kh, kw), torch's layout
    bias : array of shape (f,) or None
    stride, padding : int or (int, int); zero padding on both sides; output sizes are
        ``floor((h + 2p - kh) / s) + 1`` like torch (trailing rows that do not fill a window are ignored).

    Returns
    -------
    out : array of shape (n, f, ho, wo), C-contiguous, dtype of x (and weight)
    cache : tuple for :func:`conv2d_backward`
    """
    op = "conv2d"
    check_ndim(op, "x", x, 4, "(n, c, h, w)")
    check_ndim(op, "weight", weight, 4, "(out_channels, in_channels, kh, kw)")
    f, c, kh, kw = weight.shape
    if x.shape[1] != c:
        raise EngineError(
            f"{op}: input has {x.shape[1]} channels (x shape {tuple(x.shape)}) but weight expects {c} "
            f"(weight shape {tuple(weight.shape)})"
        )
    if bias is not None and bias.shape != (f,):
        raise EngineError(f"{op}: bias has shape {tuple(bias.shape)}, expected ({f},) for weight {weight.shape}")
    sh, sw = as_pair(op, "stride", stride, low=1)
    ph, pw = as_pair(op, "padding", padding, low=0)
    n, _, h, w = x.shape
    ho = out_size(op, h, kh, sh, ph, "height", x.shape)
    wo = out_size(op, w, kw, sw, pw, "width", x.shape)
    xp = pad2d(x, ph, pw)
    cols = im2col(xp, kh, kw, sh, sw, ho, wo)  # (n, c*kh*kw, ho*wo)
    wmat = weight.reshape(f, c * kh * kw)
    out = np.matmul(wmat, cols)  # (n, f, ho*wo)  [eq:conv-forward]
    if bias is not None:
        out += bias[:, None]
    cache = (cols, weight, bias is not None, xp.shape, (kh, kw, sh, sw, ph, pw, ho, wo))
    return out.reshape(n, f, ho, wo), cache


def conv2d_backward(dout: np.ndarray, cache, need_input_grad: bool = True) -> dict:
    """Gradients of :func:`conv2d_forward`.

    Parameters
    ----------
    dout : array of shape (n, f, ho, wo), dL/do
    need_input_grad : False skips dL/dx (e.g. for the first layer, whose input is data)

    Returns
    -------
    dict with ``x`` (n, c, h, w) or None, ``weight`` (f, c, kh, kw), ``bias`` (f,) or None::

        dL/dw[f, c, m', n'] = sum_{n, i, j} delta[n, f, i, j] * x_pad[n, c, s*i + m', s*j + n']
        dL/db[f]            = sum_{n, i, j} delta[n, f, i, j]
        dL/dx               = col2im(w^T delta)   (a full convolution of delta with the flipped kernel)
    """
    cols, weight, has_bias, xp_shape, (kh, kw, sh, sw, ph, pw, ho, wo) = cache
    n = cols.shape[0]
    f = weight.shape[0]
    if dout.shape != (n, f, ho, wo):
        raise EngineError(f"conv2d backward: dout has shape {tuple(dout.shape)}, expected {(n, f, ho, wo)}")
    d = dout.reshape(n, f, ho * wo)
    # one (f, l) @ (l, k) product per sample, summed over the batch
    dw = np.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0)  # [eq:conv-dw]
    grads = {"weight": dw.reshape(weight.shape), "bias": d.sum(axis=(0, 2)) if has_bias else None}  # [eq:conv-db]
    if not need_input_grad:
        grads["x"] = None
        return grads
    wt = weight.reshape(f, -1).T
    if sh == 1 and sw == 1:
        wp = xp_shape[3]
        dpad = np.zeros((n, f, ho, wp), dtype=dout.dtype)
        dpad[..., :wo] = dout
        dxp = col2im_rows(np.matmul(wt, dpad.reshape(n, f, ho * wp)), xp_shape, kh, kw, ho)  # [eq:conv-dx]
    else:
        dxp = col2im(np.matmul(wt, d), xp_shape, kh, kw, sh, sw, ho, wo)  # (n, c*kh*kw, ho*wo) columns
    hp, wp = xp_shape[2:]
    grads["x"] = dxp[:, :, ph : hp - ph, pw : wp - pw] if (ph or pw) else dxp
    return grads
