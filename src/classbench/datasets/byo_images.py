"""Your own images: ``imagefolder:PATH`` (one subfolder per class) and ``idx:PATH`` (MNIST's IDX layout).

imagefolder rules, in order:

* Layout: ``PATH/<class>/...`` (a seeded stratified split: ``test_fraction``, ``split_seed``), or
  ``PATH/train/<class>/...`` and ``PATH/test/<class>/...``. Class names are the folder names, sorted;
  files in nested subfolders belong to their class folder; ``classes="a,b"`` keeps only those folders.
  Hidden files and OS litter (``.DS_Store``, ``Thumbs.db``, ``__MACOSX``) and files beside the class
  folders are ignored (listed in the provenance).
* Every other file must be an image Pillow reads (PNG, JPEG, GIF, BMP, PGM/PPM, TIFF, WebP; the file
  name's extension does not matter). Anything else is an error naming the file, unless ``skip_bad=true``.
* JPEG EXIF orientation is applied; GIFs give their first frame; transparency is composited on white;
  16-bit images are scaled to [0, 1]. ``color="grayscale"`` (default, 1 channel, ITU-R 601 luma) or
  ``color="rgb"`` (3 channels).
* Size: ``size=[h, w]`` (or ``size=N`` for N x N) resizes every image (bilinear, with antialiasing);
  otherwise every image is resized to the most common size (ties: the smallest). With ``resize=false``,
  images of different sizes are an error naming two of them.
* X is float32 of shape (n, channels, h, w) in [0, 1].
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .base import DataContext, Dataset
from .byo import (
    SKIP_BAD,
    SPLIT_PARAMS,
    ByoSource,
    check_layout,
    digest_entries,
    duplicate_groups,
    scan_class_folders,
    split_stratified,
)

_ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


class ImageFolder(ByoSource):
    scheme = "imagefolder"
    modality = "image"
    want = "dir"
    param_space = {
        **SPLIT_PARAMS,
        "color": Param(str, choices=("grayscale", "rgb"), doc="grayscale (1 channel) or rgb (3 channels)"),
        "size": Param("seq", low=1, nullable=True, doc="[height, width] (or N for N x N) to resize every image to"),
        "resize": Param(bool, doc="resize images to one size; false: mixed sizes are an error"),
        "classes": Param(str, nullable=True, doc="comma list of the class folders to use (default: all)"),
        "skip_bad": SKIP_BAD,
    }
    defaults = {"test_fraction": 0.25, "split_seed": 0, "color": "grayscale", "size": None, "resize": True,
                "classes": None, "skip_bad": False}

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        p = {**self.defaults, **checked}
        check_layout(scan_class_folders(self.locate(ctx), self.name, "images", p["classes"], p["skip_bad"]),
                     self.name, "images")
        return checked

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        p = self.effective({})
        layout = scan_class_folders(self.locate(ctx), self.name, "images", p["classes"], p["skip_bad"])
        d.update(layout="train/ and test/ folders" if layout.presplit else "class folders (split when loaded)",
                 classes=layout.classes, n_files=layout.n_files(), files_per_class=layout.counts(),
                 listing_sha256=layout.listing_sha256(), ignored=layout.ignored[:50])
        return d

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from PIL import Image, UnidentifiedImageError

        p = self.effective(params)
        root = self.locate(ctx)
        layout = scan_class_folders(root, self.name, "images", p["classes"], p["skip_bad"])
        items = [(split, c, path) for split, lst in layout.files.items() for c, path in lst]

        # pass 1: headers only (size after EXIF rotation); unreadable files are collected
        sizes: dict[Path, tuple[int, int]] = {}
        bad: list[tuple[Path, str]] = []
        for _, _, path in items:
            try:
                with Image.open(path) as img:
                    w, h = img.size
                    if img.format == "JPEG" and img.getexif().get(0x0112) in _ROTATED:
                        w, h = h, w
                sizes[path] = (h, w)
            except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
                bad.append((path, _why(exc)))
        self._fail_or_skip(bad, p["skip_bad"])
        if not sizes:
            raise DataError(f"Dataset {self.name!r}: no readable image under {root}.")
        target, n_resized = self._target_size(sizes, p)

        # pass 2: decode, convert, resize, hash
        channels = 3 if p["color"] == "rgb" else 1
        good = [(split, c, path) for split, c, path in items if path in sizes]
        X = np.empty((len(good), channels, *target), dtype=np.float32)
        keep = np.ones(len(good), bool)
        hashes: list[tuple[str, int, str]] = []
        for i, (_, _, path) in enumerate(good):
            data = path.read_bytes()
            try:
                X[i] = _to_array(data, p["color"], target)
            except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
                bad.append((path, _why(exc)))
                keep[i] = False
                continue
            hashes.append((str(path.relative_to(root)), len(data), hashlib.sha256(data).hexdigest()))
        self._fail_or_skip([b for b in bad if b[0] in sizes], p["skip_bad"])
        good = [g for g, k in zip(good, keep) if k]
        X = X[keep]
        present = sorted({c for _, c, _ in good})
        dropped = [c for c in layout.classes if c not in present]
        index = {c: i for i, c in enumerate(present)}
        y = np.array([index[c] for _, c, _ in good], dtype=np.int64)
        rel = np.array([str(path.relative_to(root)) for _, _, path in good], dtype=object)
        if len(present) < 2:
            raise DataError(f"Dataset {self.name!r}: only one class ({present[0]!r}) under {root}; a classifier "
                            f"needs at least 2 class folders with images.")
        groups, dups = duplicate_groups(list(rel), [h[2] for h in hashes], [c for _, c, _ in good])
        if layout.presplit:
            tr = np.flatnonzero([s == "train" for s, _, _ in good])
            te = np.flatnonzero([s == "test" for s, _, _ in good])
        else:
            tr, te = split_stratified(y, present, p["test_fraction"], p["split_seed"], self.name, "images",
                                      f"Add images to that class folder under {root}, remove it, or give "
                                      f"train/ and test/ folders.", groups)
        return Dataset(
            name=self.name, X_train=X[tr], y_train=y[tr], X_test=X[te], y_test=y[te], classes=present,
            modality="image", groups_train=groups[tr], groups_test=groups[te],
            provenance={
                "source": "imagefolder", "path": str(root),
                "layout": "train/test folders" if layout.presplit else "stratified split",
                "n_files": len(hashes), "sha256": digest_entries(hashes),
                "sha256_rule": "sha256 of sorted 'relative path<TAB>size<TAB>sha256(file)' lines",
                "size": list(target), "n_resized": n_resized, "channels": channels, "params": p,
                "skipped": [f"{b[0].relative_to(root)}: {b[1]}" for b in bad], "empty_folders": layout.empty,
                "dropped_classes": dropped, "ignored": layout.ignored, **dups,
            },
            meta={"files_train": list(rel[tr]), "files_test": list(rel[te])},
        )

    def _fail_or_skip(self, bad: list[tuple[Path, str]], skip: bool) -> None:
        if bad and not skip:
            path, why = bad[0]
            raise self.bad_file("files", path, f"is not an image Pillow can read ({why})",
                                [str(b[0]) for b in bad[1:]])

    def _target_size(self, sizes: dict[Path, tuple[int, int]], p: dict[str, Any]) -> tuple[tuple[int, int], int]:
        want = p["size"]
        if want is not None:
            if len(want) not in (1, 2):
                raise UserError(f"Dataset {self.name!r}: size={list(want)} must be [height, width] or one number "
                                f"for a square, e.g. size=[32, 32] or size=32.")
            want = (want[0], want[0]) if len(want) == 1 else (want[0], want[1])
        counts = Counter(sizes.values())
        common = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0] * kv[0][1], kv[0]))[0][0]
        if not p["resize"]:
            if len(counts) > 1:
                a = next(f for f, s in sizes.items() if s == common)
                b = next(f for f, s in sizes.items() if s != common)
                raise DataError(
                    f"Dataset {self.name!r}: images differ in size and resize=false: {a} is "
                    f"{common[0]}x{common[1]} (height x width) but {b} is {sizes[b][0]}x{sizes[b][1]}. Remove "
                    f"resize=false (images are then resized to the most common size), or give size=[h, w].")
            if want is not None and want != common:
                raise UserError(f"Dataset {self.name!r}: size={list(want)} but the images are {common[0]}x"
                                f"{common[1]} and resize=false forbids resizing. Drop one of the two parameters.")
            return common, 0
        target = want or common
        return target, sum(1 for s in sizes.values() if s != target)


def _why(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _to_array(data: bytes, color: str, size: tuple[int, int]) -> np.ndarray:
    """Decode image bytes to float32 (channels, h, w) in [0, 1], resized to ``size`` = (h, w)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":  # let the decoder downscale big photos by 1/2..1/8 (never below ``size``)
            img.draft(img.mode, (max(size), max(size)))
        img.load()
        img = ImageOps.exif_transpose(img) if img.format == "JPEG" else img
        if img.mode in ("I", "F") or img.mode.startswith("I;16"):
            arr = np.asarray(img, dtype=np.float32)
            arr = np.clip(arr / 65535.0 if img.mode != "F" else arr, 0.0, 1.0)
            if arr.shape != size:
                arr = np.asarray(Image.fromarray(arr, mode="F").resize((size[1], size[0]), Image.Resampling.BILINEAR))
            out = np.clip(arr, 0.0, 1.0)[None]
            return np.repeat(out, 3, axis=0) if color == "rgb" else out
        if "A" in img.getbands() or "transparency" in img.info:
            rgba = img.convert("RGBA")
            img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        img = img.convert("RGB" if color == "rgb" else "L")
        if img.size != (size[1], size[0]):
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        arr = np.asarray(img, dtype=np.float32) / 255.0
        return arr.transpose(2, 0, 1) if arr.ndim == 3 else arr[None]


# ---------------------------------------------------------------------------------------------------- idx
_IDX_NAME = re.compile(r"(?P<prefix>.*?)(?P<split>train|t10k|test)-(?P<kind>images-idx3|labels-idx1)-ubyte(\.gz)?")
_ROLES = (("train", "images-idx3"), ("train", "labels-idx1"), ("test", "images-idx3"), ("test", "labels-idx1"))


class IdxFolder(ByoSource):
    """A folder with ``[PREFIX]{train,t10k|test}-{images-idx3,labels-idx1}-ubyte[.gz]`` (four files)."""

    scheme = "idx"
    modality = "image"
    want = "any"
    param_space = {
        "classes": Param(str, nullable=True, doc="comma list of class names for labels 0, 1, ... (default 0..K-1)"),
        "prefix": Param(str, nullable=True, doc="file-name prefix when a folder holds several sets (e.g. emnist-letters-)"),
        "n_train": Param(int, low=1, nullable=True, doc="keep only the first N training images"),
        "n_test": Param(int, low=1, nullable=True, doc="keep only the first N test images"),
    }
    defaults = {"classes": None, "prefix": None, "n_train": None, "n_test": None}

    def files(self, ctx: DataContext, prefix: str | None = None) -> dict[tuple[str, str], Path]:
        """(split, kind) -> path of each of the four files."""
        where = self.locate(ctx)
        folder = where if where.is_dir() else where.parent
        if where.is_file() and prefix is None:
            m = _IDX_NAME.fullmatch(where.name)
            prefix = m.group("prefix") if m else None
        found: dict[tuple[str, str], list[Path]] = {r: [] for r in _ROLES}
        for f in sorted(folder.iterdir()):
            m = _IDX_NAME.fullmatch(f.name)
            if m and f.is_file() and (prefix is None or m.group("prefix") == prefix):
                found[("train" if m.group("split") == "train" else "test", m.group("kind"))].append(f)
        out = {}
        for role, paths in found.items():
            stems = {p.name.removesuffix(".gz") for p in paths}
            if not paths:
                split, kind = role
                name = f"{'train' if split == 'train' else 't10k'}-{kind}-ubyte[.gz]"
                raise DataError(f"Dataset {self.name!r}: no {name} in {folder}"
                                f"{f' with prefix {prefix!r}' if prefix else ''}. An IDX dataset needs four files: "
                                f"train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                                f"t10k-labels-idx1-ubyte (each optionally .gz; 'test' may replace 't10k').")
            if len(stems) > 1:
                prefixes = sorted({_IDX_NAME.fullmatch(p.name).group("prefix") for p in paths})
                raise UserError(f"Dataset {self.name!r}: {folder} holds several IDX sets ({', '.join(p.name for p in paths)}). "
                                f"Choose one with prefix=..., one of {', '.join(repr(x) for x in prefixes)}.")
            out[role] = sorted(paths, key=lambda p: p.suffix == ".gz")[0]  # the uncompressed copy first
        return out

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        self.files(ctx, {**self.defaults, **checked}["prefix"])
        return checked

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        files = self.files(ctx, self.effective({})["prefix"])
        d["files"] = {f"{s}_{k.split('-')[0]}": str(p) for (s, k), p in files.items()}
        return d

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from ._fetch import sha256_file
        from .idx import read_idx

        p = self.effective(params)
        files = self.files(ctx, p["prefix"])
        parts = {}
        for split, n in (("train", p["n_train"]), ("test", p["n_test"])):
            images = read_idx(files[(split, "images-idx3")], ndim=3)
            labels = read_idx(files[(split, "labels-idx1")], ndim=1)
            if len(images) != len(labels):
                raise DataError(f"Dataset {self.name!r}: {files[(split, 'images-idx3')]} holds {len(images)} "
                                f"images but {files[(split, 'labels-idx1')]} holds {len(labels)} labels; they "
                                f"do not belong together.")
            if n is not None:
                images, labels = images[:n], labels[:n]
            parts[split] = ((images[:, None].astype(np.float32) / 255.0), labels.astype(np.int64))
        k = int(max(parts["train"][1].max(initial=0), parts["test"][1].max(initial=0))) + 1
        if p["classes"]:
            names = [c.strip() for c in p["classes"].split(",")]
            if len(names) < k or len(set(names)) != len(names):
                raise UserError(f"Dataset {self.name!r}: classes={p['classes']!r} gives {len(names)} name(s)"
                                f"{' with repeats' if len(set(names)) != len(names) else ''}, but the labels go "
                                f"up to {k - 1}, so {k} distinct names are needed (label i gets the i-th name).")
        else:
            names = [str(i) for i in range(k)]
        return Dataset(
            name=self.name, X_train=parts["train"][0], y_train=parts["train"][1], X_test=parts["test"][0],
            y_test=parts["test"][1], classes=names, modality="image",
            provenance={"source": "idx", "path": str(self.locate(ctx)), "n_files": 4, "params": p,
                        "files": {f"{s}_{k_.split('-')[0]}": {"path": str(f), "sha256": sha256_file(f)}
                                  for (s, k_), f in files.items()}},
        )
