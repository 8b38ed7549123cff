"""Reading the aclImdb reviews from a .tar.gz stream or an extracted folder, safely (see ``imdb.py``)."""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import DataError

ARCHIVE = "aclImdb_v1.tar.gz"
ARCHIVE_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
ARCHIVE_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
CLASSES = ["neg", "pos"]
SPLITS = ("train", "test")
FULL_COUNT = 12_500  # reviews per split and label in the canonical release
RATINGS = {"neg": range(1, 5), "pos": range(7, 11)}

MAX_REVIEW_BYTES = 1 << 20  # the longest canonical review is about 14 KB
MAX_TEXT_BYTES = 1 << 30  # all reviews together
MAX_MEMBERS = 500_000  # the canonical archive has about 100,000
MAX_TAR_BYTES = 8 << 30  # uncompressed archive
_REVIEW = re.compile(r"(\d{1,9})_(\d{1,2})\.txt")


@dataclass
class _Parsed:
    """Reviews of both splits in canonical order (neg then pos, ids ascending) plus decoding statistics."""

    reviews: dict[str, list[tuple[int, int, int, str]]] = field(default_factory=dict)  # split -> (label,id,rating,text)
    replaced: int = 0
    replaced_files: list[str] = field(default_factory=list)

    def add(self, split: str, label: str, name: str, raw: bytes, where: str) -> None:
        m = _REVIEW.fullmatch(name)
        if m is None:
            raise DataError(f"IMDB: {where} is not named <id>_<rating>.txt as in the aclImdb release. "
                            f"Remove it, or use the canonical archive {ARCHIVE}.")
        rid, rating = int(m.group(1)), int(m.group(2))
        if rating not in RATINGS[label]:
            raise DataError(f"IMDB: {where} has rating {rating}, but {label} reviews are rated "
                            f"{RATINGS[label].start}-{RATINGS[label].stop - 1}. The folder and the rating disagree: "
                            f"the file is in the wrong folder or the copy is not the aclImdb release.")
        self.reviews.setdefault(split, []).append((CLASSES.index(label), rid, rating, self._decode(raw, where)))

    def _decode(self, raw: bytes, where: str) -> str:
        if not raw.strip():
            raise DataError(f"IMDB: {where} is empty. Every review holds text; the copy is damaged. "
                            f"Replace it with the canonical archive {ARCHIVE} ({ARCHIVE_URL}).")
        if b"\x00" in raw:
            raise DataError(f"IMDB: {where} is a binary file (it holds NUL bytes), not a review. The copy is "
                            f"damaged; replace it with the canonical archive {ARCHIVE} ({ARCHIVE_URL}).")
        try:
            return raw.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
        bad = text.count("\ufffd") - raw.count("\ufffd".encode())
        if bad > max(16, len(text) // 10):
            raise DataError(f"IMDB: {where} is not UTF-8 text ({bad} undecodable bytes in {len(raw)}); it looks "
                            f"binary. Replace the copy with the canonical archive {ARCHIVE}.")
        self.replaced += bad
        self.replaced_files.append(where)
        return text

    def check(self, source: str) -> dict[str, int]:
        counts = {}
        for split in SPLITS:
            rows = sorted(self.reviews.get(split, []))
            self.reviews[split] = rows
            for li, label in enumerate(CLASSES):
                ids = [rid for lab, rid, _, _ in rows if lab == li]
                if not ids:
                    raise DataError(f"IMDB: {source} holds no reviews in {split}/{label}/ (aclImdb/{split}/{label}/"
                                    f"<id>_<rating>.txt). The folder is missing; use a complete copy such as the "
                                    f"canonical archive {ARCHIVE} ({ARCHIVE_URL}).")
                dup = next((a for a, b in zip(ids, ids[1:]) if a == b), None)
                if dup is not None:
                    raise DataError(f"IMDB: {source} holds review id {dup} twice in {split}/{label}/. "
                                    f"Use a clean copy of the aclImdb release.")
                counts[f"{split}/{label}"] = len(ids)
        return counts


# ------------------------------------------------------------------------------------------- reading
def _role(name: str) -> tuple[str, str, str] | None:
    """(split, label, file name) for ``[top/]split/label/file``; None for anything else."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if len(parts) in (3, 4) and parts[-3] in SPLITS and parts[-2] in CLASSES and parts[-1].endswith(".txt"):
        return parts[-3], parts[-2], parts[-1]
    return None


def _check_member(m: tarfile.TarInfo, path: Path) -> None:
    name = m.name
    where = f"member {name!r} of {path}"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        raise DataError(f"IMDB: {where} has an absolute path; refusing the archive (it could write outside "
                        f"its folder). Use the canonical archive {ARCHIVE}.")
    if ".." in re.split(r"[/\\]", name):
        raise DataError(f"IMDB: {where} contains '..' (path traversal); refusing the archive. "
                        f"Use the canonical archive {ARCHIVE}.")
    if m.issym() or m.islnk():
        raise DataError(f"IMDB: {where} is a {'symbolic' if m.issym() else 'hard'} link (to {m.linkname!r}); "
                        f"archives with links are refused. Use the canonical archive {ARCHIVE}.")
    if not (m.isfile() or m.isdir()):
        raise DataError(f"IMDB: {where} is a special file (device, FIFO ...); refusing the archive. "
                        f"Use the canonical archive {ARCHIVE}.")
    if m.offset_data + m.size > MAX_TAR_BYTES:
        raise DataError(f"IMDB: {path} unpacks to more than {MAX_TAR_BYTES >> 30} GiB; refusing it.")


def read_archive(path: Path) -> _Parsed:
    """Stream a .tar.gz, reading only the train/test pos/neg reviews (see the module docstring)."""
    parsed, total = _Parsed(), 0
    try:
        with tarfile.open(path, mode="r|*") as tf:
            for n, m in enumerate(tf, 1):
                if n > MAX_MEMBERS:
                    raise DataError(f"IMDB: {path} holds more than {MAX_MEMBERS:,} members; refusing it.")
                _check_member(m, path)
                role = _role(m.name)
                if role is None or not m.isfile():
                    continue
                if m.size > MAX_REVIEW_BYTES:
                    raise DataError(f"IMDB: member {m.name!r} of {path} is {m.size:,} bytes, over the "
                                    f"{MAX_REVIEW_BYTES:,}-byte limit for one review; refusing the archive.")
                total += m.size
                if total > MAX_TEXT_BYTES:
                    raise DataError(f"IMDB: the reviews in {path} exceed {MAX_TEXT_BYTES >> 20} MiB; refusing it.")
                f = tf.extractfile(m)
                raw = f.read() if f is not None else b""
                parsed.add(*role, raw, f"member {m.name!r} of {path}")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"IMDB: {path} is not a readable .tar.gz archive ({type(exc).__name__}: {exc}). It may be "
                        f"truncated or damaged; download {ARCHIVE} again from {ARCHIVE_URL}.") from None
    return parsed


def _label_folders(root: Path) -> Iterator[tuple[str, str, Path]]:
    """(split, label, folder) for aclImdb/{train,test}/{pos,neg}/; DataError naming a missing one."""
    for split in SPLITS:
        for label in CLASSES:
            folder = root / split / label
            if not folder.is_dir():
                raise DataError(f"IMDB: the folder {folder} is missing. An extracted copy needs "
                                f"aclImdb/{{train,test}}/{{pos,neg}}/; extract the whole archive {ARCHIVE} again.")
            yield split, label, folder


def _folder_files(root: Path) -> Iterator[tuple[str, str, Path]]:
    for split, label, folder in _label_folders(root):
        for p in sorted(folder.iterdir()):
            if p.name.endswith(".txt"):
                yield split, label, p


def read_folder(root: Path) -> _Parsed:
    """Read an extracted aclImdb/ folder (only train/test pos/neg)."""
    parsed, total = _Parsed(), 0
    for split, label, p in _folder_files(root):
        if not p.is_file():
            raise DataError(f"IMDB: {p} is not a regular file; remove it or extract {ARCHIVE} again.")
        size = p.stat().st_size
        if size > MAX_REVIEW_BYTES:
            raise DataError(f"IMDB: {p} is {size:,} bytes, over the {MAX_REVIEW_BYTES:,}-byte limit for one review.")
        total += size
        if total > MAX_TEXT_BYTES:
            raise DataError(f"IMDB: the reviews in {root} exceed {MAX_TEXT_BYTES >> 20} MiB; refusing them.")
        parsed.add(split, label, p.name, p.read_bytes(), str(p))
    return parsed


def _folder_fingerprint(root: Path) -> str:
    """sha256 over the review files' names, sizes and modification times (os.scandir: fast for 50,000)."""
    h = hashlib.sha256()
    for split, label, folder in _label_folders(root):
        with os.scandir(folder) as entries:
            rows = sorted(f"{split}/{label}/{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n"
                          for e in entries if e.name.endswith(".txt") for st in (e.stat(),))
        h.update("".join(rows).encode())
    return h.hexdigest()
