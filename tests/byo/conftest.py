"""Small bring-your-own datasets written into tmp folders: image folders, CSVs, text folders, IDX sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import DataContext
from classbench.datasets.byo import resolve_scheme

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "PPM")
SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "BMP": ".bmp", "PPM": ".ppm", "PGM": ".pgm"}


def shape_image(cls: int, i: int, size: tuple[int, int] = (16, 16), seed: int = 0) -> np.ndarray:
    """An RGB uint8 image of shape (h, w, 3): class ``cls`` is a bright square at a class-specific place."""
    h, w = size
    rng = np.random.default_rng(seed * 1000 + cls * 100 + i)
    img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
    y0, x0 = (cls * 3) % max(1, h - h // 3), (cls * 5) % max(1, w - w // 3)
    img[y0:y0 + h // 3, x0:x0 + w // 3] = (200, 40 + 20 * cls % 200, 255 - 30 * cls % 255)
    return img


def save_image(path: Path, arr: np.ndarray, fmt: str) -> Path:
    from PIL import Image

    img = Image.fromarray(arr)
    if fmt == "PGM":
        img = img.convert("L")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PPM" if fmt == "PGM" else fmt)
    return path


def make_image_folder(root: Path, n_classes: int = 3, per_class: int = 6, size: tuple[int, int] = (16, 16),
                      formats: tuple[str, ...] = FORMATS, split: bool = False) -> Path:
    """root/<class>/imgK.<ext> (or root/{train,test}/<class>/... with ``split``), formats cycling."""
    k = 0
    for c in range(n_classes):
        for i in range(per_class):
            fmt = formats[k % len(formats)]
            k += 1
            part = ("train/" if i < per_class - 2 else "test/") if split else ""
            save_image(root / f"{part}c{c:02d}" / f"img{i}{SUFFIX[fmt]}", shape_image(c, i, size), fmt)
    return root


def write_csv(path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",") -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def make_text_folder(root: Path, split: bool = False, per_class: int = 6) -> Path:
    words = {"neg": ["awful", "boring", "bad"], "pos": ["great", "lovely", "good"]}
    for cls, ws in words.items():
        for i in range(per_class):
            part = ("train/" if i < per_class - 2 else "test/") if split else ""
            p = root / f"{part}{cls}" / f"{i}_{cls}.txt"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"This film was {ws[i % 3]} and {ws[(i + 1) % 3]}.\n", encoding="utf-8")
    return root


def make_idx_folder(root: Path, n_train: int = 20, n_test: int = 10, k: int = 4, gz: bool = True,
                    prefix: str = "", test_word: str = "t10k") -> dict[str, np.ndarray]:
    from classbench.datasets.idx import write_idx

    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3": rng.integers(0, 256, (n_train, 6, 5), dtype=np.uint8),
        "train-labels-idx1": (np.arange(n_train) % k).astype(np.uint8),
        f"{test_word}-images-idx3": rng.integers(0, 256, (n_test, 6, 5), dtype=np.uint8),
        f"{test_word}-labels-idx1": (np.arange(n_test) % k).astype(np.uint8),
    }
    root.mkdir(parents=True, exist_ok=True)
    for stem, arr in arrays.items():
        write_idx(root / f"{prefix}{stem}-ubyte{'.gz' if gz else ''}", arr)
    return arrays


def load(name: str, ctx: DataContext | None = None, **params):
    """check + load through the scheme hook, exactly as the runner and the trial workers do."""
    ctx = ctx or DataContext(data_dirs=[], download=False)
    src = resolve_scheme(name)
    return src.load(ctx, **src.check(ctx, **params))


@pytest.fixture
def ctx() -> DataContext:
    return DataContext(data_dirs=[], download=False)


SHAPES = ("disc", "square", "triangle", "cross", "ring")
COLOURS = {"red": (220, 40, 40), "green": (40, 180, 60), "blue": (50, 70, 220), "yellow": (230, 210, 40),
           "magenta": (200, 50, 200), "cyan": (40, 200, 210)}


def make_shapes_folder(root: Path, per_class: int = 10, size: int = 64, seed: int = 0) -> Path:
    """A user's photo folder: 30 classes (5 shapes x 6 colours) of jittered colour shapes on noisy
    backgrounds, JPEG and PNG mixed, a few images at another size (they get resized)."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        for colour, rgb in COLOURS.items():
            folder = root / f"{colour}-{shape}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                w = h = size
                if i == per_class - 1:
                    w, h = size + 16, size - 8  # odd one out: resized to the most common size
                bg = (rng.random((h, w, 3)) * 90 + 40).astype(np.uint8)
                img = Image.fromarray(bg)
                d = ImageDraw.Draw(img)
                r = rng.uniform(0.18, 0.3) * min(w, h)
                cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
                fill = tuple(int(np.clip(c + rng.normal(0, 15), 0, 255)) for c in rgb)
                box = (cx - r, cy - r, cx + r, cy + r)
                if shape == "disc":
                    d.ellipse(box, fill=fill)
                elif shape == "square":
                    d.rectangle(box, fill=fill)
                elif shape == "triangle":
                    d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
                elif shape == "cross":
                    d.rectangle((cx - r, cy - r / 3, cx + r, cy + r / 3), fill=fill)
                    d.rectangle((cx - r / 3, cy - r, cx + r / 3, cy + r), fill=fill)
                else:
                    d.ellipse(box, outline=fill, width=max(2, int(r / 3)))
                fmt = "JPEG" if i % 2 else "PNG"
                img.save(folder / f"IMG_{i:04d}{'.jpg' if fmt == 'JPEG' else '.png'}", format=fmt, quality=90)
    return root
