"""Element-wise activations and softmax; each backward takes dL/d(out) and returns dL/d(in)."""

from __future__ import annotations

import numpy as np

from ..errors import EngineError


def relu_forward(x: np.ndarray):
    """``max(x, 0)``; the cache is the output. x : array of any shape."""
    out = np.maximum(x, 0)
    return out, out


def relu_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dout * 1[x > 0]`` (0 at x == 0, as torch)."""
    return dout * (cache > 0)  # [eq:relu-backward]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Overflow-free logistic function ``1 / (1 + e^-x)`` (exp of -|x| only)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x: np.ndarray):
    """``a = 1 / (1 + e^-x)``; the cache is a. x : array of any shape."""
    a = sigmoid(x)
    return a, a


def sigmoid_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dout * a (1 - a)``."""
    return dout * cache * (1 - cache)  # [eq:sigmoid-backward]


def tanh_forward(x: np.ndarray):
    """``a = tanh(x)``; the cache is a. x : array of any shape."""
    a = np.tanh(x)
    return a, a


def tanh_backward(dout: np.ndarray, cache) -> np.ndarray:
    """``dout * (1 - a^2)``."""
    return dout * (1 - cache * cache)  # [eq:tanh-backward]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax (the max is subtracted first)."""
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``x - logsumexp(x)`` computed stably."""
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def softmax_forward(x: np.ndarray, axis: int = -1):
    """``y_k = e^{x_k} / sum_j e^{x_j}`` along ``axis``; the cache is (y, axis).

    Parameters
    ----------
    x : array of shape (..., k) (or any shape with ``axis`` naming the class axis)
    """
    if not isinstance(x, np.ndarray) or x.ndim == 0:
        raise EngineError(f"softmax: x must be an array with at least one axis, got {x!r}")
    y = softmax(x, axis)
    return y, (y, axis)


def softmax_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Jacobian-vector product ``dx = y * (dout - sum(dout * y))`` along the softmax axis."""
    y, axis = cache
    return y * (dout - (dout * y).sum(axis=axis, keepdims=True))  # [eq:softmax-backward]
