"""Embedding lookup ``out[..., :] = W[idx[...], :]`` with torch's ``padding_idx`` rule (that row gets no
gradient)."""

from __future__ import annotations

import numpy as np

from ..errors import EngineError, check_ndim


def embedding_forward(indices: np.ndarray, weight: np.ndarray, padding_idx: int | None = None):
    """Look up rows of ``weight``.

    Parameters
    ----------
    indices : int array of any shape (e.g. (n, t)) with values in [0, num_embeddings)
    weight : array of shape (num_embeddings, dim)
    padding_idx : row whose gradient is always zero (its value is used as stored), or None

    Returns
    -------
    out : array of shape (*indices.shape, dim)
    cache : (indices, weight shape, padding_idx)
    """
    check_ndim("embedding", "weight", weight, 2, "(num_embeddings, dim)")
    if not isinstance(indices, np.ndarray) or indices.dtype.kind not in "iu":
        raise EngineError(
            f"embedding: indices must be an integer array, got {getattr(indices, 'dtype', type(indices).__name__)}"
        )
    v = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= v):
        raise EngineError(
            f"embedding: indices of shape {tuple(indices.shape)} range over [{indices.min()}, {indices.max()}] "
            f"but weight {tuple(weight.shape)} has rows 0..{v - 1}"
        )
    if padding_idx is not None and not -v <= padding_idx < v:
        raise EngineError(f"embedding: padding_idx {padding_idx} is outside 0..{v - 1}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += v
    return weight[indices], (indices, weight.shape, padding_idx)  # [eq:embedding-forward]


def embedding_backward(dout: np.ndarray, cache) -> dict:
    """Scatter-add the output gradient into the rows that were looked up.

    Parameters
    ----------
    dout : array of shape (*indices.shape, dim)

    Returns
    -------
    dict with ``weight`` of shape (num_embeddings, dim); row ``padding_idx`` is zero.
    """
    indices, wshape, padding_idx = cache
    if dout.shape != (*indices.shape, wshape[1]):
        raise EngineError(
            f"embedding backward: dout has shape {tuple(dout.shape)}, expected {(*indices.shape, wshape[1])}"
        )
    dw = np.zeros(wshape, dtype=dout.dtype)
    np.add.at(dw, indices.reshape(-1), dout.reshape(-1, wshape[1]))  # [eq:embedding-backward]
    if padding_idx is not None:
        dw[padding_idx] = 0
    return {"weight": dw}
