"""Yale faces: checking the decoded images, preprocessing them, and the default duplicate-aware split."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np

from ..errors import DataError, UserError

_SHOWN = 8  # names listed per problem in one message


def _names(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def read_faces(found: Any, skip_bad: bool) -> tuple[list[Any], list[dict[str, str]]]:
    """Decode every image of ``found`` (a ``yalefaces._Found``) in file order and check the set.

    Returns (faces, skipped). Problems (unexpected files, unreadable or truncated images, images of
    another size, missing images) raise one DataError naming every file, unless ``skip_bad``: then the
    files are left out, returned as {"file", "why"} rows and announced with a warning.
    """
    from .yalefaces import CONDITIONS, N_SUBJECTS, BadImage, canonical_names, decode

    where = found.describe()
    problems: list[tuple[str, str]] = [(n, "unexpected file name") for n in found.unexpected]
    faces = []
    blobs = found.read_all()
    for name in canonical_names():
        if name not in blobs:
            continue
        data = blobs[name]
        if isinstance(data, Exception):
            problems.append((found.images[name], f"cannot be read ({data})"))
            continue
        try:
            face = decode(found.images[name], data, where)
        except BadImage as exc:
            problems.append((exc.file, exc.why))
            continue
        face.name = name  # canonical (subject01.gif -> subject01.centerlight)
        faces.append(face)
    sizes = Counter(f.pixels.shape for f in faces)
    if sizes:
        (h, w), n_ref = sizes.most_common(1)[0]
        for f in faces:
            if f.pixels.shape != (h, w):
                fh, fw = f.pixels.shape
                problems.append((found.images[f.name], f"is {fw}x{fh} pixels but the other {n_ref} images are {w}x{h}"))
        faces = [f for f in faces if f.pixels.shape == (h, w)]
    missing = [n for n in canonical_names() if n not in blobs]
    if problems or missing:
        parts = [f"{n} {why}" for n, why in problems]
        if missing:
            parts.append(f"{len(missing)} of the {N_SUBJECTS * len(CONDITIONS)} images are missing "
                         f"({_names(missing)}); every subject01..subject{N_SUBJECTS} needs all "
                         f"{len(CONDITIONS)} conditions ({', '.join(CONDITIONS)})")
        if not skip_bad:
            raise DataError(
                f"yalefaces: {where} cannot be used as it is: " + "; ".join(parts[:_SHOWN])
                + (f"; and {len(parts) - _SHOWN} more problems" if len(parts) > _SHOWN else "") + ". "
                "The folder (or zip) should hold only the 165 images subjectNN.condition and optionally a Readme. "
                "Restore the files from the canonical yalefaces.zip, or pass skip_bad=True to leave the bad "
                "files out (they are then listed in the dataset's provenance).")
        skipped = [{"file": n, "why": why} for n, why in problems] + [{"file": n, "why": "missing"} for n in missing]
        warnings.warn(f"yalefaces: skipped {len(skipped)} file(s) in {where} (skip_bad=True): "
                      + "; ".join(f"{s['file']} ({s['why']})" for s in skipped[:_SHOWN])
                      + (" ..." if len(skipped) > _SHOWN else ""), stacklevel=3)
    else:
        skipped = []
    if len({f.name[7:9] for f in faces}) < 2:
        raise DataError(f"yalefaces: {where} holds usable images of fewer than two subjects; nothing to classify. "
                        f"Restore the canonical files (yalefaces.zip).")
    return faces, skipped


def equalize_histogram(pixels: np.ndarray) -> np.ndarray:
    """Histogram equalization (the textbook / OpenCV ``equalizeHist`` mapping through the CDF).

    The darkest value present maps to 0, the brightest to 255, and grey levels spread so that the
    cumulative histogram becomes a straight line. A constant image is returned unchanged.

    Parameters
    ----------
    pixels : uint8 array of shape (h, w)
    """
    hist = np.bincount(pixels.ravel(), minlength=256)
    cdf = np.cumsum(hist)
    lowest = cdf[np.flatnonzero(hist)[0]]
    if lowest == pixels.size:
        return pixels
    lut = np.clip(np.round((cdf - lowest) / (pixels.size - lowest) * 255.0), 0, 255).astype(np.uint8)
    return lut[pixels]


def preprocess(images: list[np.ndarray], crop: Any, width: int, height: int, equalize: bool, where: str
               ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """Crop, equalize, resize and scale to [0, 1].

    Parameters
    ----------
    images : list of uint8 arrays of shape (H, W), all the same size
    crop : None (the default face box, scaled to the image size), [] (whole image) or
        (left, top, right, bottom) in original pixels

    Returns
    -------
    X : float32 array of shape (n, 1, height, width); box : the crop used, or None
    """
    from PIL import Image

    from .yalefaces import DEFAULT_CROP, ORIGINAL_SIZE

    H, W = images[0].shape
    box = None
    if crop is None:
        sx, sy = W / ORIGINAL_SIZE[0], H / ORIGINAL_SIZE[1]
        left, top, right, bottom = DEFAULT_CROP
        box = (round(left * sx), round(top * sy), max(round(right * sx), round(left * sx) + 1),
               max(round(bottom * sy), round(top * sy) + 1))
    elif len(crop) > 0:
        if len(crop) != 4:
            raise UserError(f"dataset 'yalefaces': crop must be [left, top, right, bottom] (4 integers) or [] for "
                            f"the whole image; got {list(crop)}.")
        left, top, right, bottom = (int(v) for v in crop)
        if not (0 <= left < right <= W and 0 <= top < bottom <= H):
            raise UserError(f"dataset 'yalefaces': crop {list(crop)} does not fit the {W}x{H} images in {where}; "
                            f"it needs 0 <= left < right <= {W} and 0 <= top < bottom <= {H}.")
        box = (left, top, right, bottom)
    X = np.empty((len(images), 1, height, width), dtype=np.float32)
    for i, px in enumerate(images):
        im = Image.fromarray(px, mode="L")
        if box is not None:
            im = im.crop(box)
        if equalize:
            im = Image.fromarray(equalize_histogram(np.asarray(im)), mode="L")
        X[i, 0] = np.asarray(im.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    X /= 255.0
    return X, box


def stratified_group_split(y: np.ndarray, groups: np.ndarray, n_test: int, seed: int
                           ) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices, sorted: ``n_test`` images of each class for test, identical images together.

    Each class's groups are taken in a seeded random order and added to the test side while they fit
    in ``n_test`` (a pair that would overshoot is passed over); at least one image stays for training.

    Parameters
    ----------
    y, groups : int arrays of shape (n,)
    """
    rng = np.random.default_rng(seed)
    test: list[int] = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        want = min(n_test, len(members) - 1)
        taken = 0
        for g in rng.permutation(np.unique(groups[members])):
            idx = members[groups[members] == g]
            if taken + len(idx) <= want:
                test.extend(idx.tolist())
                taken += len(idx)
            if taken == want:
                break
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)
