"""Per-image face descriptors for ``face-select``: raw pixels, LBP histograms, gradient-orientation histograms.

Each descriptor is a fixed function of one image (nothing is fitted), so computing it on any image never
lets that image influence another's description. The settings are fixed a priori from the literature,
not chosen on Yale:

- ``lbp``: uniform local binary patterns, 8 neighbours at radius 1 (the LBP(8,1) u2 operator, 59 labels),
  one histogram per cell of a grid of about ``cell`` x ``cell`` pixels (Ahonen, Hadid & Pietikäinen 2004,
  *Face recognition with local binary patterns*, used a 7x7 grid; 8-pixel cells give 7x6 on 45x56 faces).
  Each cell's histogram is normalised to sum 1 and square-rooted (the Hellinger map), so that Euclidean
  distance between descriptors behaves like a histogram distance.
- ``hog``: histograms of oriented gradients (Dalal & Triggs 2005): 9 unsigned orientation bins per cell
  (votes split linearly between the two nearest bins, weighted by the gradient magnitude), blocks of 2x2
  cells normalised by L2-Hys (L2, clip at 0.2, L2 again).
- ``pixels``: the image as given, flattened.
"""

from __future__ import annotations

import numpy as np

KINDS = ("pixels", "lbp", "hog")
_N_BINS = 9  # HOG orientation bins over 0..180 degrees


def _uniform_lut() -> np.ndarray:
    """8-bit LBP code -> label 0..58: the 58 codes with at most two 0/1 transitions (circularly) get labels
    0..57 in increasing code order, every other code gets 58."""
    lut = np.full(256, 58, dtype=np.int64)
    label = 0
    for code in range(256):
        bits = [(code >> k) & 1 for k in range(8)]
        if sum(bits[k] != bits[(k + 1) % 8] for k in range(8)) <= 2:
            lut[code] = label
            label += 1
    assert label == 58
    return lut


_LUT = _uniform_lut()


def grid_shape(h: int, w: int, cell: int) -> tuple[int, int]:
    """Cells down and across for an h x w image: about ``cell`` pixels each, at least one."""
    return max(1, round(h / cell)), max(1, round(w / cell))


def _cell_index(h: int, w: int, gh: int, gw: int) -> np.ndarray:
    """(h, w) int array: the cell (row-major, 0..gh*gw-1) each pixel falls into; cells split the image evenly."""
    rows = (np.arange(h) * gh) // h
    cols = (np.arange(w) * gw) // w
    return rows[:, None] * gw + cols[None, :]


def _cell_histograms(values: np.ndarray, weights: np.ndarray | None, n_values: int, gh: int, gw: int
                     ) -> np.ndarray:
    """Per-cell histograms of integer ``values``.

    values : int array of shape (n, h, w), each in 0..n_values-1
    weights : float array of shape (n, h, w), or None (counts)

    Returns array of shape (n, gh * gw, n_values): int64 counts without weights, else float64 sums.
    """
    n, h, w = values.shape
    cells = gh * gw
    idx = _cell_index(h, w, gh, gw)[None] * n_values + values
    idx = idx + (np.arange(n) * cells * n_values)[:, None, None]
    flat = np.bincount(idx.ravel(), weights=None if weights is None else weights.ravel(),
                       minlength=n * cells * n_values)
    return flat.reshape(n, cells, n_values)


def lbp(images: np.ndarray, cell: int = 8) -> np.ndarray:
    """Uniform LBP(8,1) histograms per cell, Hellinger-mapped.

    images : float array of shape (n, h, w), h and w >= 3

    Returns float64 array of shape (n, gh * gw * 59) (the border pixels have no full neighbourhood and are
    not coded; the grid is laid over the (h - 2) x (w - 2) interior).
    """
    c = images[:, 1:-1, 1:-1]
    h, w = c.shape[1:]
    code = np.zeros(c.shape, dtype=np.int64)
    # neighbours clockwise from the top-left, bit k for the k-th
    offsets = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))
    for k, (dy, dx) in enumerate(offsets):
        code |= (images[:, dy:dy + h, dx:dx + w] >= c).astype(np.int64) << k
    gh, gw = grid_shape(h, w, cell)
    hist = _cell_histograms(_LUT[code], None, 59, gh, gw).astype(np.float64)
    hist /= hist.sum(axis=2, keepdims=True)
    return np.sqrt(hist).reshape(len(images), -1)


def hog(images: np.ndarray, cell: int = 8) -> np.ndarray:
    """Histograms of oriented gradients, L2-Hys normalised over blocks of 2x2 cells.

    images : float array of shape (n, h, w), h and w >= 2

    Returns float64 array of shape (n, bh * bw * 4 * 9), with bh = max(1, gh - 1) blocks down (a block of
    one cell where the grid is one cell high) and bw likewise.
    """
    x = images.astype(np.float64)
    gy = np.zeros_like(x)
    gx = np.zeros_like(x)
    gy[:, 1:-1] = x[:, 2:] - x[:, :-2]  # centred differences; 0 on the border rows / columns
    gx[:, :, 1:-1] = x[:, :, 2:] - x[:, :, :-2]
    mag = np.hypot(gx, gy)
    ang = np.mod(np.arctan2(gy, gx), np.pi) / np.pi * _N_BINS  # 0 .. 9, unsigned
    lo = np.floor(ang - 0.5)  # bin centres at 0.5, 1.5, ...: split each vote between the two nearest
    frac = ang - 0.5 - lo
    b0 = np.mod(lo, _N_BINS).astype(np.int64)
    b1 = np.mod(lo + 1, _N_BINS).astype(np.int64)
    n, h, w = x.shape
    gh, gw = grid_shape(h, w, cell)
    hist = (_cell_histograms(b0, mag * (1 - frac), _N_BINS, gh, gw)
            + _cell_histograms(b1, mag * frac, _N_BINS, gh, gw)).reshape(n, gh, gw, _N_BINS)
    bh, bw = min(2, gh), min(2, gw)
    blocks = np.stack([hist[:, i:i + gh - bh + 1, j:j + gw - bw + 1] for i in range(bh) for j in range(bw)],
                      axis=3).reshape(n, gh - bh + 1, gw - bw + 1, -1)
    blocks = _l2(blocks)
    blocks = _l2(np.minimum(blocks, 0.2))
    return blocks.reshape(n, -1)


def _l2(v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return v / np.sqrt((v * v).sum(axis=-1, keepdims=True) + eps * eps)


def describe(images: np.ndarray, kind: str, cell: int = 8) -> np.ndarray:
    """The ``kind`` descriptor of each image.

    images : float array of shape (n, h, w)

    Returns float64 array of shape (n, d).
    """
    if kind == "pixels":
        return images.reshape(len(images), -1).astype(np.float64)
    if kind == "lbp":
        return lbp(images, cell)
    if kind == "hog":
        return hog(images, cell)
    raise ValueError(f"unknown descriptor {kind!r}; one of {', '.join(KINDS)}")
