"""Losses: each ``*_forward`` returns (scalar loss, cache); each ``*_backward(dloss, cache)`` returns
dL/d(prediction) scaled by ``dloss`` (1.0 when the loss is the final objective).

Reductions: ``"mean"`` averages over every element (squared error, as torch's mse_loss) or over samples
(cross-entropies, as torch); ``"sum"`` sums; squared error also has ``"half_sum"``, the notebook's
``L = 1/2 sum (y - t)^2`` whose gradient is exactly ``y - t``.
"""

from __future__ import annotations

import numpy as np

from ..errors import EngineError
from .activations import log_softmax, sigmoid

_REDUCTIONS = ("mean", "sum")


def _check_reduction(op: str, reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise EngineError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _check_same(op: str, y: np.ndarray, t: np.ndarray) -> None:
    if not isinstance(y, np.ndarray) or not isinstance(t, np.ndarray) or y.shape != t.shape:
        raise EngineError(
            f"{op}: prediction shape {getattr(y, 'shape', y)} and target shape {getattr(t, 'shape', t)} differ"
        )


def squared_error_forward(y: np.ndarray, t: np.ndarray, reduction: str = "mean"):
    """``"half_sum"``: 1/2 sum (y-t)^2; ``"sum"``: sum (y-t)^2; ``"mean"``: mean (y-t)^2 (torch mse_loss).

    Parameters
    ----------
    y, t : arrays of the same shape, e.g. (n, k)
    """
    op = "squared_error"
    _check_reduction(op, reduction, ("mean", "sum", "half_sum"))
    _check_same(op, y, t)
    diff = y - t
    sq = float(np.vdot(diff, diff))
    scale = {"mean": 1.0 / max(diff.size, 1), "sum": 1.0, "half_sum": 0.5}[reduction]
    return sq * scale, (diff, 2.0 * scale)


def squared_error_backward(dloss: float, cache) -> np.ndarray:
    """``dL/dy = 2 * scale * (y - t)``, i.e. ``y - t`` for ``"half_sum"``."""
    diff, factor = cache
    return diff * diff.dtype.type(factor * dloss)  # [eq:squared-backward]


def _class_targets(op: str, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Return targets as probabilities (n, k); int labels (n,) become one-hot rows."""
    if not isinstance(logits, np.ndarray) or logits.ndim != 2:
        raise EngineError(f"{op}: logits must have shape (n, k), got {getattr(logits, 'shape', logits)}")
    n, k = logits.shape
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        if target.shape != (n,):
            raise EngineError(f"{op}: integer targets must have shape ({n},), got {target.shape}")
        if n and (target.min() < 0 or target.max() >= k):
            raise EngineError(f"{op}: labels range over [{target.min()}, {target.max()}], logits have {k} classes")
        onehot = np.zeros((n, k), dtype=logits.dtype)
        onehot[np.arange(n), target] = 1
        return onehot
    if target.shape != (n, k):
        raise EngineError(f"{op}: probability targets must have shape {(n, k)}, got {target.shape}")
    return target.astype(logits.dtype, copy=False)


def softmax_cross_entropy_forward(logits: np.ndarray, target: np.ndarray, reduction: str = "mean",
                                  smoothing: float = 0.0):
    """Cross-entropy of softmax(logits) against labels, fused and stable (log-sum-exp).

    ``L = -sum_k t_k log softmax(z)_k`` per sample, averaged (or summed) over samples. With label
    ``smoothing`` e in [0, 1] the targets become ``(1 - e) t + e / k`` (Szegedy et al. 2016; torch's
    ``cross_entropy(label_smoothing=e)``); the fused gradient stays ``softmax(z) - t`` with those targets.

    Parameters
    ----------
    logits : array of shape (n, k)
    target : int array of shape (n,) with labels in [0, k), or probabilities of shape (n, k)
    smoothing : float in [0, 1]
    """
    op = "softmax_cross_entropy"
    _check_reduction(op, reduction)
    if not 0.0 <= smoothing <= 1.0:
        raise EngineError(f"{op}: smoothing must lie in [0, 1], got {smoothing!r}")
    t = _class_targets(op, logits, target)
    if smoothing > 0:
        k = logits.shape[1]
        t = t * t.dtype.type(1.0 - smoothing) + t.dtype.type(smoothing / k)  # [eq:ce-label-smoothing]
    logp = log_softmax(logits, axis=1)  # [eq:ce-forward]
    total = -float(np.vdot(t, logp))
    n = logits.shape[0]
    scale = 1.0 / max(n, 1) if reduction == "mean" else 1.0
    return total * scale, (logp, t, scale)


def softmax_cross_entropy_backward(dloss: float, cache) -> np.ndarray:
    """``dL/dz = (softmax(z) - t) * scale``: the fused softmax + cross-entropy gradient ``y - t``."""
    logp, t, scale = cache
    y = np.exp(logp)
    return (y - t) * logp.dtype.type(scale * dloss)  # [eq:ce-softmax-fused]


def cross_entropy_forward(p: np.ndarray, target: np.ndarray, reduction: str = "mean"):
    """Cross-entropy on probabilities (the notebook's unfused form) ``L = -sum_k t_k log p_k``.

    Parameters
    ----------
    p : array of shape (n, k) of probabilities, all > 0 where t > 0
    target : int labels (n,) or probabilities (n, k)
    """
    op = "cross_entropy"
    _check_reduction(op, reduction)
    t = _class_targets(op, p, target)
    if np.any((p <= 0) & (t > 0)):
        raise EngineError(f"{op}: p of shape {p.shape} has a probability <= 0 where the target is > 0")
    safe = np.where(t > 0, p, 1)
    scale = 1.0 / max(p.shape[0], 1) if reduction == "mean" else 1.0
    return -float(np.vdot(t, np.log(safe))) * scale, (safe, t, scale)


def cross_entropy_backward(dloss: float, cache) -> np.ndarray:
    """``dL/dp = -t / p`` (times the reduction scale)."""
    safe, t, scale = cache
    return -(t / safe) * safe.dtype.type(scale * dloss)  # [eq:ce-backward]


def bce_with_logits_forward(z: np.ndarray, t: np.ndarray, reduction: str = "mean"):
    """Binary cross-entropy of sigmoid(z) against t in [0, 1], stable for any z.

    ``l = max(z, 0) - z t + log(1 + e^-|z|)``, averaged over every element (``"mean"``) or summed.

    Parameters
    ----------
    z, t : arrays of the same shape, e.g. (n,) or (n, 1)
    """
    op = "bce_with_logits"
    _check_reduction(op, reduction)
    _check_same(op, z, t)
    t = t.astype(z.dtype, copy=False)
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))  # [eq:bce-forward]
    scale = 1.0 / max(z.size, 1) if reduction == "mean" else 1.0
    return float(loss.sum()) * scale, (z, t, scale)


def bce_with_logits_backward(dloss: float, cache) -> np.ndarray:
    """``dL/dz = (sigmoid(z) - t) * scale``."""
    z, t, scale = cache
    return (sigmoid(z) - t) * z.dtype.type(scale * dloss)  # [eq:bce-backward]
