"""The Yale Face Database (Belhumeur, Hespanha, Kriegman 1997): 165 GIF images, 15 subjects x 11 conditions.

Reads the canonical distribution as it comes: a folder of files named ``subjectNN.condition`` (no
extension), or the ``yalefaces.zip`` archive (read in place, not extracted). Quirks of the copies in
circulation are handled: subject01's centerlight image named ``subject01.gif``, GIF87a and GIF89a files,
a ``Readme`` file, macOS ``__MACOSX``/dot files and the UCSD zip's extra ``subject01.glasses.gif`` are
ignored. Anything else unexpected, an unreadable or truncated image, a missing image or an image of
another size is a ``DataError`` naming the file (``skip_bad=True`` skips such files instead, lists them
in ``provenance["skipped"]`` and warns).

The release holds pixel-identical images (subject04.sad = subject04.normal; noglasses = normal for
subjects 02, 03, 06, 07, 09, 12, 14; subject08.glasses = subject08.normal): every group of identical
images gets one group id (``groups_train``/``groups_test``), so no split puts twins on both sides.

Defaults (chosen by leave-one-out accuracy, see benchmarks/faces.py): crop the box (60, 0, 260, 243)
of the 320x243 originals (face and hair; a tighter face-only crop lost 2-4 points for every model),
histogram-equalize the crop, resize to 45 wide x 56 high (bilinear), scale to [0, 1]; X has shape
(n, 1, 56, 45). The default train/test split holds out ``test_per_subject=3`` images per subject.

Checksums: ``_yalefaces_sums.CANONICAL`` holds each canonical file's sha256 and the sha256 of its
decoded pixels. A local copy is used as found (so your own or generated faces load too);
``provenance["canonical_files"]`` says how many files match, and a copy where only some match warns.
The zip's own sha256 is not known (mirrors repackage it), so a downloaded archive is accepted only when
each of its 165 images matches the table (file or pixel checksum); otherwise it is deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource

N_SUBJECTS = 15
CONDITIONS = ("centerlight", "glasses", "happy", "leftlight", "noglasses", "normal", "rightlight", "sad",
              "sleepy", "surprised", "wink")
ZIP_NAME = "yalefaces.zip"
_NAME = re.compile(r"^subject(\d\d)\.([a-z]+)$")
_ALIASES = {"subject01.gif": "subject01.centerlight"}  # the UCSD zip's name for this one image
_KNOWN_STRAYS = {"subject01.glasses.gif"}  # an extra copy of subject01.glasses inside the UCSD zip
#: default crop box (left, top, right, bottom) in the 320x243 originals: face, hair and chin (scaled
#: proportionally for copies of another size)
DEFAULT_CROP = (60, 0, 260, 243)
ORIGINAL_SIZE = (320, 243)


def canonical_names() -> list[str]:
    """The 165 file names in file order (subject, then condition, both ascending)."""
    return [f"subject{s:02d}.{c}" for s in range(1, N_SUBJECTS + 1) for c in CONDITIONS]


MAX_IMAGE_BYTES = 16 * 2**20  # a Yale GIF is about 78 KB


def _check_size(name: str, size: int, what: str) -> None:
    if size > MAX_IMAGE_BYTES:
        raise OSError(f"it is {size:,} {what}, and a Yale image is about 78 KB, so it was not read: the "
                      f"archive is damaged or not the Yale faces")


def _ignorable(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return (not base or base.startswith(".") or name.startswith("__MACOSX/") or "/__MACOSX/" in name
            or base.lower().startswith("readme") or base == ZIP_NAME or base in _KNOWN_STRAYS)


@dataclass
class _Found:
    """Where the images are: a folder or a zip, and the images' canonical name -> name in the source."""

    kind: str  # "folder" | "zip"
    path: Path
    images: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.path}" if self.kind == "folder" else f"{self.path} (zip archive)"

    def read_entry(self, name: str, zf: zipfile.ZipFile | None = None) -> bytes:
        """The bytes of entry ``name`` (a file in the folder or a member of the zip).

        Zip members are read in memory, never extracted, so member names with ``../`` or absolute
        paths cannot write anywhere, and a symlink member is only the bytes of its target's name.
        An entry over ``MAX_IMAGE_BYTES`` (a zip bomb, or not a Yale image) is refused unread (OSError).
        """
        if self.kind == "folder":
            _check_size(name, (self.path / name).stat().st_size, "bytes")
            return (self.path / name).read_bytes()
        if zf is None:
            with zipfile.ZipFile(self.path) as own:
                return self.read_entry(name, own)
        _check_size(name, zf.getinfo(name).file_size, "bytes uncompressed")
        return zf.read(name)

    def read_all(self) -> dict[str, bytes | Exception]:
        """canonical name -> bytes, or the error that reading that file raised."""
        out: dict[str, bytes | Exception] = {}
        with contextlib.ExitStack() as stack:
            zf = stack.enter_context(zipfile.ZipFile(self.path)) if self.kind == "zip" else None
            for canonical, name in self.images.items():
                try:
                    out[canonical] = self.read_entry(name, zf)
                except (OSError, zipfile.BadZipFile, EOFError) as exc:
                    out[canonical] = exc
        return out


def _classify(found: _Found, names: list[str]) -> _Found:
    """Sort the entries of a folder or zip into images, ignored files and unexpected files."""
    for name in sorted(names):
        base = name.rsplit("/", 1)[-1]
        if _ignorable(name):
            found.ignored.append(name)
            continue
        canonical = _ALIASES.get(base, base)
        m = _NAME.match(canonical)
        if not m or not 1 <= int(m.group(1)) <= N_SUBJECTS or m.group(2) not in CONDITIONS:
            found.unexpected.append(name)
        elif canonical in found.images:
            other = found.images[canonical]
            try:
                same = found.read_entry(other) == found.read_entry(name)
            except OSError:  # too big to be an image (see read_entry): not a copy of one
                found.unexpected.append(name)
                continue
            if not same:
                raise DataError(f"yalefaces: {found.describe()} holds both {other!r} and {name!r}, which are the "
                                f"same image ({canonical}) but differ. Delete the wrong one.")
            found.ignored.append(name)
        else:
            found.images[canonical] = name
    return found


def _has_images(names: list[str]) -> bool:
    return any(_NAME.match(_ALIASES.get(n, n)) for n in names)


def scan_folder(folder: Path) -> _Found | None:
    """The images in ``folder`` (or in its ``yalefaces/`` subfolder, as unzipping makes); None if none."""
    for cand in (folder, folder / "yalefaces"):
        if not cand.is_dir():
            continue
        names = [p.name + ("/" if p.is_dir() else "") for p in cand.iterdir()]
        if _has_images([n for n in names if not n.endswith("/")]):
            found = _classify(_Found("folder", cand), [n for n in names if not n.endswith("/")])
            found.unexpected += [n for n in names if n.endswith("/") and not _ignorable(n.rstrip("/"))
                                 and n.rstrip("/") not in ("yalefaces", "__MACOSX")]
            return found
    return None


def scan_zip(path: Path) -> _Found:
    """The images in a ``yalefaces.zip`` (members may sit in a top folder, e.g. ``yalefaces/``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"yalefaces: {path} is not a readable zip archive ({exc}). Delete it and download "
                        f"yalefaces.zip again, or put the extracted folder of GIF files there instead.") from None
    return _classify(_Found("zip", path), names)


@dataclass
class Face:
    """One decoded image: grey pixels (h, w) uint8, and its file's sha256."""

    name: str
    pixels: np.ndarray
    sha256: str


class BadImage(DataError):
    """One file is not a usable image: ``file`` and ``why`` ("is truncated ...") are kept for summaries."""

    def __init__(self, file: str, why: str, where: str):
        super().__init__(f"yalefaces: {file} in {where} {why}. Replace it with the file from the canonical "
                         f"release (yalefaces.zip), or pass skip_bad=True to leave it out.")
        self.file, self.why = file, why


def decode(name: str, data: bytes, where: str) -> Face:
    """Decode one image file's bytes; BadImage naming the file when it is not one complete image."""
    from PIL import Image, UnidentifiedImageError

    def bad(why: str) -> BadImage:
        return BadImage(name, why, where)

    if not data:
        raise bad("is empty")
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, frames = im.format, getattr(im, "n_frames", 1)
            im.load()
            pixels = np.asarray(im.convert("L"), dtype=np.uint8)
    except UnidentifiedImageError:
        if data[:6] in (b"GIF87a", b"GIF89a"):
            raise bad("is truncated or corrupt (it has a GIF header, but its image data cannot be read)") from None
        raise bad(f"is not an image file (it starts with {data[:8]!r})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise bad(f"is truncated or corrupt ({exc})") from None
    if fmt == "GIF" and not data.rstrip(b"\0").endswith(b";"):
        raise bad("is truncated (the GIF ends without its trailer byte)")
    if frames != 1:
        raise bad(f"holds {frames} frames; a face image has one")
    return Face(name, pixels, hashlib.sha256(data).hexdigest())


@DATASETS.register("yalefaces", "yale")
class YaleFaces(DatasetSource):
    name = "yalefaces"
    modality = "image"
    summary = "Yale faces: 165 grey 320x243 GIFs, 15 subjects x 11 conditions (lighting, expression, glasses)"
    source = ("P. Belhumeur, J. Hespanha, D. Kriegman, Eigenfaces vs. Fisherfaces: Recognition Using Class "
              "Specific Linear Projection, IEEE TPAMI 19(7):711-720, 1997. Yale Face Database, "
              "http://cvc.cs.yale.edu/cvc/projects/yalefaces/yalefaces.html (free for research; cite the paper)")
    mirrors: tuple[str, ...] = ("http://vision.ucsd.edu/datasets/yale_face_dataset_original/yalefaces.zip",)
    #: sha256 of yalefaces.zip when known; None: a download is accepted by checking every image inside
    zip_sha256: str | None = None
    param_space = {
        "width": Param(int, low=4, high=640, doc="width in pixels after cropping and resizing"),
        "height": Param(int, low=4, high=480, doc="height in pixels after cropping and resizing"),
        "crop": Param("seq", nullable=True, doc="box [left, top, right, bottom] in original pixels; []: whole "
                      f"image; None (default): face and hair, {list(DEFAULT_CROP)} of 320x243 (scaled for "
                      "other sizes)"),
        "equalize": Param(bool, doc="histogram-equalize each image (after cropping)"),
        "test_per_subject": Param(int, low=1, high=10, doc="test images per subject in the default split"),
        "split_seed": Param(int, low=0, doc="seed of the default stratified, duplicate-aware split"),
        "skip_bad": Param(bool, doc="skip unreadable / odd-sized / unexpected files (listed and warned) "
                                    "instead of failing"),
    }

    # ------------------------------------------------------------------------------------------ files
    def locate(self, ctx: DataContext) -> _Found:
        """The first folder or zip holding Yale images (data dirs, then the cache); downloads if none."""
        searched = []
        for folder in ctx.candidates(self.name):
            found = scan_folder(folder)
            if found is not None:
                return found
            zpath = folder / ZIP_NAME
            if zpath.is_file():
                return scan_zip(zpath)
            searched.append(f"{folder} (no subjectNN.* images, no {ZIP_NAME})")
        return scan_zip(self._download(ctx, searched))

    def _download(self, ctx: DataContext, searched: list[str]) -> Path:
        from . import _fetch

        dest = ctx.cache_dir / self.name / ZIP_NAME
        by_hand = (f"To fetch it by hand, download {ZIP_NAME} from {' or '.join(self.mirrors)} and put it (or "
                   f"the folder of 165 GIF files it holds) into {dest.parent}, or into DIR/{self.name}/ for a "
                   f"folder DIR you pass with --data-dir or CLASSBENCH_DATA.")
        where = "Searched: " + "; ".join(searched) + "."
        if not _fetch.downloads_allowed(ctx):
            why = ("Downloads are turned off by CLASSBENCH_OFFLINE" if _fetch.offline()
                   else "Downloads are turned off for this run (--no-download)")
            raise DataError(f"Dataset 'yalefaces' not found. {where} {why}. {by_hand}")
        def members_ok(tmp: Path) -> str | None:
            """Without a known checksum of the zip itself (mirrors repackage it), accept a download only
            when all 165 images in it match the per-file sha256 table."""
            try:
                bad = self._mismatches(scan_zip(tmp))
            except Exception as exc:  # noqa: BLE001 - not a zip, truncated: a rejected download
                return f"not a readable zip of the Yale faces ({exc})"
            return f"images do not match the canonical checksums ({', '.join(bad[:3])})" if bad else None

        path = _fetch.download(self.mirrors, dest, self.zip_sha256, check=None if self.zip_sha256 else members_ok)
        bad = self._mismatches(scan_zip(path))
        if bad:
            path.unlink(missing_ok=True)
            raise DataError(f"yalefaces: the downloaded {ZIP_NAME} does not hold the canonical images "
                            f"({', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}); it was deleted. {by_hand}")
        return path

    @staticmethod
    def _mismatches(found: _Found) -> list[str]:
        """Canonical names that are missing from ``found`` or match neither checksum of the table."""
        from ._yalefaces_sums import CANONICAL

        blobs = found.read_all()
        out = []
        for name, (file_sha, pixel_sha) in CANONICAL.items():
            data = blobs.get(name)
            if isinstance(data, Exception):
                out.append(f"{name} unreadable")
            elif data is None:
                out.append(f"{name} missing")
            elif hashlib.sha256(data).hexdigest() != file_sha:
                try:
                    px = decode(name, data, found.describe()).pixels
                except DataError:
                    px = None
                if px is None or hashlib.sha256(px.tobytes()).hexdigest() != pixel_sha:
                    out.append(f"{name} differs")
        return out

    def fetch(self, ctx: DataContext) -> list[Path]:
        return [self.locate(ctx).path]

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        """(file, status) for each of the 165 canonical images of the copy that would be loaded."""
        found = self.locate(ctx)
        bad = {m.split(" ")[0]: m.split(" ", 1)[1] for m in self._mismatches(found)}
        rows = [(n, f"{bad[n]} ({found.describe()})" if n in bad else "ok") for n in canonical_names()]
        rows += [(n, "unexpected file") for n in found.unexpected]
        return rows

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        d.update(n_images=165, n_classes=N_SUBJECTS, conditions=list(CONDITIONS), original_size=[320, 243],
                 mirrors=list(self.mirrors), params={k: p.describe() for k, p in self.param_space.items()},
                 defaults={k: p.default for k, p in inspect.signature(self.load).parameters.items()
                           if k in self.param_space},
                 default_crop=f"{list(DEFAULT_CROP)} of {ORIGINAL_SIZE[0]}x{ORIGINAL_SIZE[1]} (face and hair)",
                 duplicates="subject04.sad=normal; noglasses=normal for 02,03,06,07,09,12,14; "
                            "subject08.glasses=normal (kept on one side of every split)")
        return d

    def show(self, ctx: DataContext, index: int) -> str:
        """Test image ``index`` of the default split: subject, file, and a coarse text rendering."""
        ds = self.load(ctx)
        n = len(ds.y_test)
        if not -n <= index < n:
            raise UserError(f"Dataset 'yalefaces': test image {index} is out of range; the default split holds "
                            f"{n} test images (0..{n - 1}).")
        index %= n
        img = ds.X_test[index, 0]
        rows = img[:: max(1, img.shape[0] // 24), :: max(1, img.shape[1] // 40)]
        ramp = " .:-=+*#%@"
        art = ["".join(ramp[min(int(v * len(ramp)), len(ramp) - 1)] for v in row) for row in rows]
        return "\n".join([f"yalefaces: test image {index}, {ds.classes[int(ds.y_test[index])]}, file "
                          f"{Path(ds.provenance['location']) / ds.meta['files_test'][index]}, shape "
                          f"{tuple(ds.X_test[index].shape)}"] + art)

    # ------------------------------------------------------------------------------------------- load
    def load(self, ctx: DataContext, width: int = 45, height: int = 56, crop: Any = None,
             equalize: bool = True, test_per_subject: int = 3, split_seed: int = 0, skip_bad: bool = False,
             **_: Any) -> Dataset:
        from ._yalefaces_faces import preprocess, read_faces, stratified_group_split

        found = self.locate(ctx)
        faces, skipped = read_faces(found, skip_bad)
        X, box = preprocess([f.pixels for f in faces], crop, width, height, equalize, found.describe())
        y = np.array([int(f.name[7:9]) - 1 for f in faces], dtype=np.int64)
        _, first, groups = np.unique([hashlib.sha256(f.pixels.tobytes()).hexdigest() for f in faces],
                                     return_index=True, return_inverse=True)
        groups = np.argsort(np.argsort(first))[groups]  # ids numbered in file order
        tr, te = stratified_group_split(y, groups, test_per_subject, split_seed)
        names = np.array([f.name for f in faces])
        twins = [names[groups == g].tolist() for g in np.unique(groups) if (groups == g).sum() > 1]
        canonical = _canonical_count(faces)
        if 0 < canonical < len(faces):
            warnings.warn(f"yalefaces: {len(faces) - canonical} of {len(faces)} images in {found.describe()} differ "
                          f"from the canonical release (see provenance['noncanonical']); results may not "
                          f"compare with published ones.", stacklevel=2)
        params = {"width": width, "height": height, "crop": list(box) if box else None, "equalize": equalize,
                  "test_per_subject": test_per_subject, "split_seed": split_seed, "skip_bad": skip_bad}
        return Dataset(
            name=self.name, X_train=X[tr], y_train=y[tr], X_test=X[te], y_test=y[te],
            classes=[f"subject{s:02d}" for s in range(1, N_SUBJECTS + 1)], modality="image",
            groups_train=groups[tr], groups_test=groups[te],
            provenance={
                "source": self.source, "location": str(found.path), "kind": found.kind, "params": params,
                "files": {f.name: f.sha256 for f in faces}, "canonical_files": canonical,
                "noncanonical": [f.name for f in faces if not _is_canonical(f)],
                "duplicate_groups": twins, "skipped": skipped, "ignored": found.ignored,
                "split": "stratified per subject, seeded by split_seed; identical images stay together",
            },
            meta={"files_train": names[tr].tolist(), "files_test": names[te].tolist(),
                  "order_train": tr.copy(), "order_test": te.copy(), "n_images": len(faces)},
        )


def _is_canonical(face: Face) -> bool:
    from ._yalefaces_sums import CANONICAL

    file_sha, pixel_sha = CANONICAL.get(face.name, ("", ""))
    return face.sha256 == file_sha or hashlib.sha256(face.pixels.tobytes()).hexdigest() == pixel_sha


def _canonical_count(faces: list[Face]) -> int:
    return sum(_is_canonical(f) for f in faces)


__all__ = ["CONDITIONS", "DEFAULT_CROP", "BadImage", "YaleFaces", "canonical_names", "decode", "scan_folder",
           "scan_zip"]
