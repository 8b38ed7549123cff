"""Inverted dropout: zero each unit with probability p at training time and scale survivors by 1/(1-p),
so that evaluation needs no rescaling. The mask is drawn from the caller's numpy Generator and kept in the
cache, so a seeded Generator gives a reproducible mask."""

from __future__ import annotations

import numpy as np

from ..errors import EngineError


def dropout_forward(x: np.ndarray, p: float, rng: np.random.Generator, training: bool = True):
    """Apply inverted dropout.

    Parameters
    ----------
    x : array of any shape
    p : drop probability in [0, 1)
    rng : numpy Generator the mask is drawn from
    training : False (or p == 0) returns x unchanged

    Returns
    -------
    out : array like x
    cache : the scaled mask (same shape and dtype as x) or None when nothing was dropped
    """
    if not 0.0 <= p < 1.0:
        raise EngineError(f"dropout: p must be in [0, 1), got {p!r}")
    if not training or p == 0.0:
        return x, None
    keep = rng.random(x.shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))  # [eq:dropout]
    return x * mask, mask


def dropout_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dx = dout * mask`` (identity when the forward pass dropped nothing)."""
    if cache is None:
        return dout
    if dout.shape != cache.shape:
        raise EngineError(f"dropout backward: dout has shape {tuple(dout.shape)}, expected {cache.shape}")
    return dout * cache
