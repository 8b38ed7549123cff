"""Optimisers over dicts of parameter arrays, updated in place; each update equals torch.optim's.

``opt.step(params, grads)`` takes two dicts with the same keys (``{"0.weight": array, ...}``); state
(momentum buffers, moments) is kept per key in the parameter's dtype. ``weight_decay`` is torch's
coupled L2 (``g += wd * p``), and ``lr`` may be changed between steps (schedules).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import EngineError


class Optimizer:
    """Base class: validates the dicts, applies weight decay, counts steps."""

    def __init__(self, lr: float, weight_decay: float = 0.0):
        if not lr > 0:
            raise EngineError(f"{type(self).__name__}: lr must be > 0, got {lr!r}")
        if weight_decay < 0:
            raise EngineError(f"{type(self).__name__}: weight_decay must be >= 0, got {weight_decay!r}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.steps = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array in ``params`` in place from ``grads`` (same keys, same shapes)."""
        if params.keys() != grads.keys():
            missing = sorted(set(params) ^ set(grads))
            raise EngineError(f"{type(self).__name__}.step: params and grads have different keys: {missing}")
        self.steps += 1
        for key, p in params.items():
            g = grads[key]
            if g is None:
                continue
            if g.shape != p.shape:
                raise EngineError(
                    f"{type(self).__name__}.step: grad {key!r} has shape {g.shape}, param has {p.shape}"
                )
            if self.weight_decay:
                g = g + self.weight_decay * p
            self._update(key, p, g, self.state.setdefault(key, {}))

    def _update(self, key: str, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """``p -= lr * g``; with momentum mu: ``buf = mu * buf + g`` (buf = g at the first step),
    ``p -= lr * buf`` (or ``lr * (g + mu * buf)`` with nesterov), as torch.optim.SGD (dampening 0)."""

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not 0 <= momentum < 1:
            raise EngineError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _update(self, key, p, g, state):
        if self.momentum == 0:
            p -= self.lr * g
            return
        buf = state.get("buf")
        if buf is None:
            buf = state["buf"] = g.astype(p.dtype, copy=True)
        else:
            buf *= self.momentum
            buf += g
        p -= self.lr * (g + self.momentum * buf if self.nesterov else buf)


class Momentum(SGD):
    """SGD with (heavy-ball) momentum, 0.9 by default."""

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)


class Adam(Optimizer):
    """torch.optim.Adam: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``."""

    def __init__(self, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not all(0 <= b < 1 for b in betas) or eps <= 0:
            raise EngineError(f"Adam: betas must be in [0, 1) and eps > 0, got betas={betas!r}, eps={eps!r}")
        self.betas, self.eps = (float(betas[0]), float(betas[1])), float(eps)

    def _update(self, key, p, g, state):
        b1, b2 = self.betas
        if "m" not in state:
            state["m"], state["v"], state["t"] = np.zeros_like(p), np.zeros_like(p), 0
        m, v = state["m"], state["v"]
        state["t"] += 1
        t = state["t"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        denom = np.sqrt(v) / math.sqrt(1 - b2**t)
        denom += self.eps
        p -= (self.lr / (1 - b1**t)) * (m / denom)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: ``v = a v + (1-a) g^2``; ``avg = sqrt(v) + eps`` (centered: ``sqrt(v - gbar^2)``);
    ``p -= lr g / avg``, or with momentum ``buf = mu buf + g / avg``, ``p -= lr buf``."""

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
                 centered: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not 0 <= alpha < 1 or eps <= 0 or not 0 <= momentum < 1:
            raise EngineError(f"RMSprop: need 0 <= alpha < 1, eps > 0, 0 <= momentum < 1; got {alpha}, {eps}, {momentum}")
        self.alpha, self.eps, self.momentum, self.centered = float(alpha), float(eps), float(momentum), centered

    def _update(self, key, p, g, state):
        a = self.alpha
        if "v" not in state:
            state["v"] = np.zeros_like(p)
            if self.centered:
                state["gbar"] = np.zeros_like(p)
            if self.momentum:
                state["buf"] = np.zeros_like(p)
        v = state["v"]
        v *= a
        v += (1 - a) * (g * g)
        if self.centered:
            gbar = state["gbar"]
            gbar *= a
            gbar += (1 - a) * g
            avg = np.sqrt(v - gbar * gbar)
        else:
            avg = np.sqrt(v)
        avg += self.eps
        if self.momentum:
            buf = state["buf"]
            buf *= self.momentum
            buf += g / avg
            p -= self.lr * buf
        else:
            p -= self.lr * (g / avg)


def make_optimizer(name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> Optimizer:
    """Build an optimiser by the names the models use: sgd, momentum, adam, rmsprop.

    ``momentum`` is used by "momentum" and by "rmsprop" (pass 0.0 there for plain RMSprop), matching the
    shared hyperparameter ``momentum`` of the neural families; sgd and adam ignore it.
    """
    if name == "sgd":
        return SGD(lr, weight_decay=weight_decay)
    if name == "momentum":
        return Momentum(lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return RMSprop(lr, momentum=momentum, weight_decay=weight_decay)
    raise EngineError(f"make_optimizer: unknown optimizer {name!r}; known: sgd, momentum, adam, rmsprop")


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale every gradient in place so that their global L2 norm is at most ``max_norm``; returns the
    norm before clipping (torch.nn.utils.clip_grad_norm_)."""
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values() if g is not None))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads.values():
            if g is not None:
                g *= scale
    return total
