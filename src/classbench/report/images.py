"""Dataset samples as small PNGs: one thumbnail per example, or a montage of many (for Markdown)."""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np

MAX_SIDE = 64  # thumbnails are downsampled to at most this many pixels on a side


def as_uint8_image(x: np.ndarray) -> np.ndarray | None:
    """An image sample as uint8 (h, w) or (h, w, 3); None when ``x`` is not an image.

    Parameters
    ----------
    x : array of shape (c, h, w) with c in {1, 3}, or (h, w)
        Values in [0, 1] (floats) or 0..255 (integers).
    """
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[0] in (1, 3):
        x = x[0] if x.shape[0] == 1 else np.transpose(x, (1, 2, 0))
    elif x.ndim == 3 and x.shape[2] in (1, 3):
        x = x[..., 0] if x.shape[2] == 1 else x
    if x.ndim not in (2, 3) or min(x.shape[:2]) < 1:
        return None
    if x.dtype.kind == "f":
        hi = float(np.nanmax(x)) if x.size else 1.0
        x = np.nan_to_num(x) * (255.0 if hi <= 1.0 + 1e-6 else 1.0)
    return np.clip(x, 0, 255).astype(np.uint8)


def _shrink(img: np.ndarray, max_side: int) -> "object":
    from PIL import Image

    pil = Image.fromarray(img)
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        pil = pil.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR)
    return pil


def thumbnail_png(img: np.ndarray, max_side: int = MAX_SIDE) -> bytes:
    """A PNG of ``img`` (uint8 (h, w) or (h, w, 3)), downsampled to ``max_side`` pixels at most."""
    buf = io.BytesIO()
    _shrink(img, max_side).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def montage_png(images: Sequence[np.ndarray], cols: int = 8, cell: int = 48, pad: int = 2) -> bytes:
    """Tile images into one PNG (grey padding), each fitted into ``cell`` x ``cell`` pixels.

    Small images are enlarged with nearest-neighbour so 8x8 digits stay crisp.
    """
    from PIL import Image

    n = len(images)
    cols = max(1, min(cols, n))
    rows = (n + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (cell + pad) + pad, rows * (cell + pad) + pad), (200, 200, 200))
    for k, img in enumerate(images):
        pil = Image.fromarray(img).convert("RGB")
        w, h = pil.size
        s = cell / max(w, h)
        pil = pil.resize((max(1, round(w * s)), max(1, round(h * s))),
                         Image.Resampling.NEAREST if s >= 1 else Image.Resampling.BILINEAR)
        r, c = divmod(k, cols)
        x0 = pad + c * (cell + pad) + (cell - pil.size[0]) // 2
        y0 = pad + r * (cell + pad) + (cell - pil.size[1]) // 2
        sheet.paste(pil, (x0, y0))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
