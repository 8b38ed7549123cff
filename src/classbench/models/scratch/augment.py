"""The scratch nets' training-image augmentation in NumPy: the torch wrapper's random shifts and random
affine distortions (``classbench.models.torch.functional``), drawn from the same generator in the same
order, so that a seeded scratch twin sees the very images its torch twin sees.

The random draws and the image work are separate steps: :func:`draw` runs once per batch in the main
thread (the generator's order stays fixed); :func:`apply` distorts any rows of the batch with their
rows of the draw, so each shard of a sharded batch (``shards.py``) augments its own images.
"""

from __future__ import annotations

import numpy as np

from ..neural_params import augment_shift

#: the torch wrapper's ``random_affine`` defaults: rotation +-10 degrees, zoom +-10%, horizontal shear
#: factor +-0.2, translation up to 1/14 of the side along each axis (2 px of a 28 px digit)
DEGREES, SCALE, SHEAR, SHIFT = 10.0, 0.1, 0.2, 1.0 / 14.0


def augmentation(mode: object, X: np.ndarray) -> tuple[str | None, int]:
    """(kind, largest shift) for the ``augment`` setting on training inputs X, as the torch loop decides.

    kind: "shift" (True / "shift"), "affine", or None (False / "none", inputs that are not images, or
    images under 14 px, which are never distorted).

    Parameters
    ----------
    X : array of shape (n, c, h, w) (images) or (n, d)
    """
    shift = augment_shift(X.shape[2:]) if X.ndim == 4 and mode not in (False, "none") else 0
    if shift <= 0:
        return None, 0
    return ("affine" if mode == "affine" else "shift"), shift


def draw(kind: str | None, rng: np.random.Generator, n: int, shift: int) -> np.ndarray | None:
    """One batch's random draw, exactly the torch loop's: shifts (n, 2) ints in [-shift, shift] for
    "shift", ``rng.uniform(size=(n, 5))`` for "affine", nothing (None, no draw) for None."""
    if kind == "shift":
        return rng.integers(-shift, shift + 1, size=(n, 2))
    if kind == "affine":
        return rng.uniform(size=(n, 5))
    return None


def apply(kind: str | None, x: np.ndarray, drawn: np.ndarray | None, shift: int) -> np.ndarray:
    """Distort the images x with their rows of ``drawn`` (from :func:`draw`); x itself when kind is None.

    Parameters
    ----------
    x : float32 array of shape (m, c, h, w)
    drawn : array of shape (m, 2) or (m, 5), the rows of :func:`draw`'s result that belong to x
    """
    if kind is None or drawn is None:
        return x
    if kind == "shift":
        return random_shift(x, drawn, shift)
    return affine_sample(x, affine_theta(drawn))


def random_shift(x: np.ndarray, shifts: np.ndarray, pad: int) -> np.ndarray:
    """Translate each image by its own (dy, dx), filling with zeros (the torch wrapper's augmentation).

    Parameters
    ----------
    x : array of shape (n, c, h, w)
    shifts : int array of shape (n, 2), values in [-pad, pad]
    """
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    s0, s1, s2, s3 = padded.strides
    # windows[i, :, a, b] = padded[i, :, a:a + h, b:b + w]; image i takes the window at (pad - dy, pad - dx)
    windows = np.lib.stride_tricks.as_strided(padded, (n, c, 2 * pad + 1, 2 * pad + 1, h, w),
                                              (s0, s1, s2, s3, s2, s3), writeable=False)
    return windows[np.arange(n), :, pad - shifts[:, 0], pad - shifts[:, 1]]


def affine_theta(drawn: np.ndarray) -> np.ndarray:
    """The affine maps of torch's ``random_affine`` from its uniform draws, in float32 as there.

    ``theta = [[cos/z, -sin/z + s cos/z, tx], [sin/z, cos/z + s sin/z, ty]]``: rotation by the angle,
    zoom z, horizontal shear s, translation (tx, ty) in ``affine_grid``'s [-1, 1] coordinates.

    Parameters
    ----------
    drawn : float64 array of shape (n, 5), uniform in [0, 1): angle, zoom, shear, tx, ty

    Returns
    -------
    theta : float32 array of shape (n, 2, 3), output pixel (x, y, 1) -> input location
    """
    f32 = np.float32
    ang = ((2 * drawn[:, 0] - 1) * DEGREES * np.pi / 180.0).astype(f32)
    zoom = (1.0 + (2 * drawn[:, 1] - 1) * SCALE).astype(f32)
    sh = ((2 * drawn[:, 2] - 1) * SHEAR).astype(f32)
    t = ((2 * drawn[:, 3:5] - 1) * 2 * SHIFT).astype(f32)
    cos, sin = np.cos(ang) / zoom, np.sin(ang) / zoom
    return np.stack([np.stack([cos, -sin + sh * cos, t[:, 0]], 1),
                     np.stack([sin, cos + sh * sin, t[:, 1]], 1)], 1)


def affine_sample(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Resample each image through its affine map: ``grid_sample(x, affine_grid(theta), "bilinear",
    padding_mode="zeros", align_corners=False)`` of torch, in NumPy.

    Output pixel (i, j) sits at ``(2j + 1)/w - 1, (2i + 1)/h - 1`` in [-1, 1] coordinates (pixel centres,
    align_corners=False); theta maps it to an input location, read bilinearly from the four nearest
    pixels, those outside the image counting as zeros.

    Parameters
    ----------
    x : float array of shape (n, c, h, w)
    theta : float array of shape (n, 2, 3)

    Returns
    -------
    array of shape (n, c, h, w), x's dtype
    """
    n, c, h, w = x.shape
    dt = x.dtype
    theta = theta.astype(dt, copy=False)
    xs = np.linspace(-1, 1, w, dtype=dt) * dt.type((w - 1) / w)  # affine_grid's base grid (its linspace)
    ys = np.linspace(-1, 1, h, dtype=dt) * dt.type((h - 1) / h)
    gx = theta[:, 0, 0, None, None] * xs + theta[:, 0, 1, None, None] * ys[:, None] + theta[:, 0, 2, None, None]
    gy = theta[:, 1, 0, None, None] * xs + theta[:, 1, 1, None, None] * ys[:, None] + theta[:, 1, 2, None, None]
    ix = ((gx + 1) * w - 1) / 2  # grid_sample's unnormalisation, align_corners=False: (n, h, w)
    iy = ((gy + 1) * h - 1) / 2
    x0, y0 = np.floor(ix), np.floor(iy)
    we, ns = ix - x0, iy - y0  # weights of the east column and the south row
    e, s = 1 - we, 1 - ns
    # read from a copy padded by one zero pixel: every corner outside the image lands on that border
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))).reshape(n, c, (h + 2) * (w + 2))
    cols = [np.clip(x0, -1, w).astype(np.intp) + 1, np.clip(x0 + 1, -1, w).astype(np.intp) + 1]
    rows = [np.clip(y0, -1, h).astype(np.intp) + 1, np.clip(y0 + 1, -1, h).astype(np.intp) + 1]

    def corner(r: np.ndarray, q: np.ndarray) -> np.ndarray:
        flat = (r * (w + 2) + q).reshape(n, 1, h * w)
        return np.take_along_axis(padded, np.broadcast_to(flat, (n, c, h * w)), axis=2).reshape(n, c, h, w)

    nw, ne, sw, se = (s * e)[:, None], (s * we)[:, None], (ns * e)[:, None], (ns * we)[:, None]
    out = (nw * corner(rows[0], cols[0]) + ne * corner(rows[0], cols[1])
           + sw * corner(rows[1], cols[0]) + se * corner(rows[1], cols[1]))
    return out.astype(dt, copy=False)
