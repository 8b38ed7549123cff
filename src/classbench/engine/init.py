"""Weight initialisers. Each takes a numpy Generator, so a seed fixes every weight.

Fan-in/fan-out follow torch: for a weight of shape (out, in, *kernel), ``fan_in = in * prod(kernel)``
and ``fan_out = out * prod(kernel)``.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import EngineError


def fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if len(shape) < 2:
        raise EngineError(f"init: fan-in/fan-out need a weight with >= 2 dims, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _draw(rng: np.random.Generator, shape, dtype, *, std=None, bound=None) -> np.ndarray:
    if not isinstance(rng, np.random.Generator):
        raise EngineError(f"init: rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng)}")
    if bound is not None:
        return rng.uniform(-bound, bound, size=shape).astype(dtype)
    return (rng.standard_normal(size=shape) * std).astype(dtype)


def he_normal(rng, shape, dtype=np.float32) -> np.ndarray:
    """He/Kaiming normal for ReLU nets: N(0, 2 / fan_in)."""
    return _draw(rng, shape, dtype, std=math.sqrt(2.0 / fans(shape)[0]))


def he_uniform(rng, shape, dtype=np.float32) -> np.ndarray:
    """He/Kaiming uniform: U(-b, b) with b = sqrt(6 / fan_in)."""
    return _draw(rng, shape, dtype, bound=math.sqrt(6.0 / fans(shape)[0]))


def glorot_normal(rng, shape, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out))."""
    fi, fo = fans(shape)
    return _draw(rng, shape, dtype, std=math.sqrt(2.0 / (fi + fo)))


def glorot_uniform(rng, shape, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier uniform: U(-b, b) with b = sqrt(6 / (fan_in + fan_out))."""
    fi, fo = fans(shape)
    return _draw(rng, shape, dtype, bound=math.sqrt(6.0 / (fi + fo)))


def orthogonal(rng, shape, dtype=np.float32) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal rows or columns (QR of a Gaussian, signs fixed), as
    ``torch.nn.init.orthogonal_`` and Keras' ``Orthogonal``."""
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return (q if rows >= cols else q.T).astype(dtype)


def torch_default(rng, shape, dtype=np.float32, fan_in: int | None = None) -> np.ndarray:
    """torch's default for Linear/Conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    For a bias pass its layer's ``fan_in``; torch's RNNs use ``fan_in = hidden_size`` for every tensor.
    """
    fi = fans(shape)[0] if fan_in is None else fan_in
    return _draw(rng, shape, dtype, bound=1.0 / math.sqrt(max(fi, 1)))


INITIALIZERS = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "torch": torch_default,
}


def get_initializer(name: str):
    """The initialiser called ``name``; EngineError listing the known names otherwise."""
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise EngineError(f"init: unknown initializer {name!r}; known: {', '.join(sorted(INITIALIZERS))}") from None
