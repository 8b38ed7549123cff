"""Per-sample predictions of one trial, packed into one small blob (stored in the ``predictions`` table).

What is kept: for every test sample, its index in the pooled dataset (train first, then test, as
``protocols.fold_data`` numbers them), its true label, the predicted label and, where the model has
``predict_proba``, the probability of its top class. That is enough to recompute every accuracy, interval
and paired test later from the database alone (McNemar needs which samples each model got right).

Layout (little-endian): ``b"CBP1"``, n (uint32), label width in bytes (1, 2 or 4), has-probability flag
(uint8), then zlib of: the index as int32 deltas (0 1 1 1 ... for a contiguous test set), the true labels,
the predicted labels minus the true ones (mostly zeros, modulo 2**bits), and the top-class probabilities as
float16 with their two bytes split into two planes (compresses better). 10,000 MNIST answers take ~7 KB
with probabilities, ~3 KB without.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import UserError

MAGIC = b"CBP1"
_HEAD = struct.Struct("<4sIBB")
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


@dataclass(frozen=True)
class Predictions:
    """One trial's answers.

    index : array of shape (n,), int64 -- pooled sample index of each test sample
    y_true, y_pred : arrays of shape (n,), int64
    proba : array of shape (n,), float32 (top-class probability), or None
    """

    index: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None = None

    @property
    def correct(self) -> np.ndarray:
        """Boolean array of shape (n,): which test samples the model got right."""
        return self.y_pred == self.y_true

    def __len__(self) -> int:
        return len(self.index)


def encode(index: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None = None) -> bytes:
    """Pack one trial's answers.

    index, y_true, y_pred : arrays of shape (n,) of non-negative integers
    proba : None, or array of shape (n,) (top-class probability) or (n, n_classes) (its row maximum is kept)
    """
    index = np.asarray(index, dtype=np.int64).ravel()
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    n = len(index)
    if len(y_true) != n or len(y_pred) != n:
        raise ValueError(f"predictions: index, y_true and y_pred differ in length ({n}, {len(y_true)}, {len(y_pred)})")
    top = max(int(y_true.max(initial=0)), int(y_pred.max(initial=0)))
    if n and min(int(y_true.min()), int(y_pred.min())) < 0:
        raise ValueError("predictions: labels must be non-negative class indices")
    width = 1 if top < 2 ** 8 else 2 if top < 2 ** 16 else 4
    dt = _UINT[width]
    t = y_true.astype(dt)
    body = [np.diff(index, prepend=0).astype("<i4").tobytes(), t.astype(f"<u{width}").tobytes(),
            (y_pred.astype(dt) - t).astype(f"<u{width}").tobytes()]
    has_p = proba is not None and n > 0
    if has_p:
        p = np.asarray(proba, dtype=np.float64)
        if p.ndim == 2:
            p = p.max(axis=1)
        if p.shape != (n,):
            raise ValueError(f"predictions: proba has shape {np.shape(proba)}, expected ({n},) or ({n}, k)")
        p16 = np.nan_to_num(p, nan=0.0).astype("<f2").view(np.uint8).reshape(n, 2)
        body.append(np.ascontiguousarray(p16.T).tobytes())
    return _HEAD.pack(MAGIC, n, width, int(has_p)) + zlib.compress(b"".join(body), 6)


def decode(blob: bytes) -> Predictions:
    """Unpack a blob written by :func:`encode` (UserError if it is not one)."""
    try:
        magic, n, width, has_p = _HEAD.unpack_from(blob)
        if magic != MAGIC or width not in _UINT:
            raise ValueError("bad header")
        raw = zlib.decompress(blob[_HEAD.size:])
        off = 0

        def take(dtype: str, count: int) -> np.ndarray:
            nonlocal off
            size = np.dtype(dtype).itemsize * count
            if off + size > len(raw):
                raise ValueError("truncated")
            out = np.frombuffer(raw, dtype=dtype, count=count, offset=off)
            off += size
            return out

        index = np.cumsum(take("<i4", n).astype(np.int64))
        t = take(f"<u{width}", n)
        y_pred = (t + take(f"<u{width}", n)).astype(_UINT[width]).astype(np.int64)
        proba = None
        if has_p:
            planes = take("u1", 2 * n).reshape(2, n)
            proba = np.ascontiguousarray(planes.T).view("<f2").ravel().astype(np.float32)
    except (ValueError, struct.error, zlib.error) as exc:
        raise UserError(f"A stored per-sample prediction record is damaged ({exc}); the results database may "
                        f"have been modified by hand. Re-run the trial (classbench run --resume) or use "
                        f"another results database.") from None
    return Predictions(index, t.astype(np.int64), y_pred, proba)
