"""Fully connected layer ``y = x W^T + b`` (torch.nn.functional.linear's layout) and flatten."""

from __future__ import annotations

import numpy as np

from ..errors import EngineError, check_ndim


def dense_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None):
    """Affine map over the last axis.

    Parameters
    ----------
    x : array of shape (..., in_features)
    weight : array of shape (out_features, in_features)
    bias : array of shape (out_features,) or None

    Returns
    -------
    y : array of shape (..., out_features)
    cache : (x, weight, has_bias)
    """
    check_ndim("dense", "weight", weight, 2, "(out_features, in_features)")
    if not isinstance(x, np.ndarray) or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise EngineError(
            f"dense: x has shape {getattr(x, 'shape', type(x).__name__)} but weight {tuple(weight.shape)} "
            f"expects {weight.shape[1]} input features on the last axis"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise EngineError(f"dense: bias has shape {tuple(bias.shape)}, expected ({weight.shape[0]},)")
    y = x @ weight.T  # [eq:dense-forward]
    if bias is not None:
        y += bias
    return y, (x, weight, bias is not None)


def dense_backward(dy: np.ndarray, cache) -> dict:
    """``dx = dy W``, ``dW = dy^T x``, ``db = sum dy`` (summed over every leading axis).

    Parameters
    ----------
    dy : array of shape (..., out_features)

    Returns
    -------
    dict with ``x`` (..., in_features), ``weight`` (out, in), ``bias`` (out,) or None
    """
    x, weight, has_bias = cache
    if dy.shape != (*x.shape[:-1], weight.shape[0]):
        raise EngineError(
            f"dense backward: dy has shape {tuple(dy.shape)}, expected {(*x.shape[:-1], weight.shape[0])}"
        )
    dy2 = dy.reshape(-1, weight.shape[0])
    x2 = x.reshape(-1, weight.shape[1])
    return {
        "x": dy @ weight,  # [eq:dense-dx]
        "weight": dy2.T @ x2,  # [eq:dense-dw]
        "bias": dy2.sum(axis=0) if has_bias else None,
    }


def flatten_forward(x: np.ndarray):
    """(n, ...) -> (n, prod(...)); a view when x is contiguous.

    Parameters
    ----------
    x : array of shape (n, d1, d2, ...)
    """
    if not isinstance(x, np.ndarray) or x.ndim < 1:
        raise EngineError(f"flatten: x must be an array with a batch axis, got {getattr(x, 'shape', x)!r}")
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Reshape the gradient (n, prod(...)) back to the input's shape."""
    if dout.size != int(np.prod(cache)):
        raise EngineError(f"flatten backward: dout has shape {tuple(dout.shape)}, input was {cache}")
    return dout.reshape(cache)
