"""IMDB Large Movie Review Dataset v1.0 (Maas et al. 2011): 25,000 + 25,000 reviews, neg / pos.

Where the reviews come from, in order, searched through ``DataContext`` (data dirs, then the cache):

1. the canonical ``aclImdb_v1.tar.gz`` (sha256 checked; a copy with the wrong checksum is never used);
2. an extracted ``aclImdb/`` folder, or another ``.tar.gz`` / ``.tgz`` with the same layout (for example
   a copy without ``train/unsup``): its structure is validated (every split and label present, ratings
   that match the labels, no duplicates) and its own sha256 is recorded in the provenance;
3. a download of the canonical archive into the cache.

Archives are read as a stream, never extracted: only ``{train,test}/{pos,neg}/<id>_<rating>.txt``
members are read (``unsup`` and the BoW files are skipped), and an archive holding any link, absolute
path, ``..`` component or special file is refused, as are oversized members. Undecodable bytes are
replaced (U+FFFD) and counted in the provenance; empty or binary (NUL bytes) files are errors.

The parsed reviews are cached in ``<cache>/imdb/prepared-<key>/`` (UTF-8 blob + offsets per split and a
manifest with every array's sha256), written atomically and rebuilt when any check fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from . import DATASETS
from .base import DataContext, Dataset, DatasetSource

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
_CACHE_FORMAT = "imdb-prepared-v1"
_REVIEW = re.compile(r"(\d{1,9})_(\d{1,2})\.txt")
_ARRAYS = ("text", "offsets", "label", "rating", "id")


@dataclass
class Origin:
    """Where the reviews are: kind is "canonical archive", "archive" or "folder"."""

    kind: str
    path: Path
    sha256: str | None = None


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


def _folder_files(root: Path) -> Iterator[tuple[str, str, Path]]:
    for split in SPLITS:
        for label in CLASSES:
            folder = root / split / label
            if not folder.is_dir():
                raise DataError(f"IMDB: the folder {folder} is missing. An extracted copy needs "
                                f"aclImdb/{{train,test}}/{{pos,neg}}/; extract the whole archive {ARCHIVE} again.")
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
    for split in SPLITS:
        for label in CLASSES:
            folder = root / split / label
            if not folder.is_dir():
                raise DataError(f"IMDB: the folder {folder} is missing. An extracted copy needs "
                                f"aclImdb/{{train,test}}/{{pos,neg}}/; extract the whole archive {ARCHIVE} again.")
            with os.scandir(folder) as entries:
                rows = sorted(f"{split}/{label}/{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n"
                              for e in entries if e.name.endswith(".txt") for st in (e.stat(),))
            h.update("".join(rows).encode())
    return h.hexdigest()


# -------------------------------------------------------------------------------------------- source
@DATASETS.register("imdb")
class IMDB(DatasetSource):
    name = "imdb"
    modality = "text"
    summary = "IMDB movie reviews (aclImdb v1.0): 25,000 train / 25,000 test raw texts, neg vs pos"
    source = ("A. L. Maas, R. E. Daly, P. T. Pham, D. Huang, A. Y. Ng, C. Potts, Learning Word Vectors for "
              f"Sentiment Analysis, ACL-HLT 2011; {ARCHIVE_URL}")
    param_space = {
        "n_train": Param(int, low=1, nullable=True, doc="keep a seeded random N of the training reviews (None: all)"),
        "n_test": Param(int, low=1, nullable=True, doc="keep a seeded random N of the test reviews (None: all)"),
    }

    def locate(self, ctx: DataContext) -> Origin:
        """The copy to read (nothing is parsed): see the module docstring for the order."""
        from ._fetch import _warn_bad, ensure_file, search_file

        s = search_file(ctx, self.name, ARCHIVE, ARCHIVE_SHA256)
        if s.found is not None:
            _warn_bad(self.name, s.mismatches, s.found)
            return Origin("canonical archive", s.found, ARCHIVE_SHA256)
        for folder in ctx.candidates(self.name):
            if (folder / "aclImdb").is_dir():
                return Origin("folder", folder / "aclImdb")
            if folder.is_dir():
                others = sorted(p for p in folder.iterdir() if p.name.endswith((".tar.gz", ".tgz"))
                                and p.name != ARCHIVE and p.is_file())
                if others:
                    return Origin("archive", others[0])
        also = (" Also accepted in those folders: an extracted aclImdb/ folder, or another .tar.gz with the "
                "aclImdb layout (train/ and test/, each with pos/ and neg/).")
        try:
            path = ensure_file(ctx, self.name, ARCHIVE, ARCHIVE_SHA256, [ARCHIVE_URL])
        except DataError as exc:
            raise DataError(str(exc) + also) from None
        return Origin("canonical archive", path, ARCHIVE_SHA256)

    def fetch(self, ctx: DataContext) -> list[Path]:
        return [self.locate(ctx).path]

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        """Re-read the copy in use from scratch (checksum for the canonical archive, structure for any)."""
        try:
            origin = self.locate(ctx)
            if origin.kind == "canonical archive":
                from ._fetch import file_sha256

                if file_sha256(origin.path, use_cache=False) != ARCHIVE_SHA256:
                    return [(str(origin.path), "checksum mismatch")]
            counts = self._parse(origin).check(str(origin.path))
        except DataError as exc:
            return [(ARCHIVE, f"error: {exc}")]
        return [(f"{origin.path} ({origin.kind}, {sum(counts.values()):,} reviews)", "ok")]

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        d.update(n_train=25000, n_test=25000, n_classes=2, classes=CLASSES, archive=ARCHIVE, sha256=ARCHIVE_SHA256,
                 url=ARCHIVE_URL, params={k: p.describe() for k, p in self.param_space.items()})
        try:
            origin = self.locate(DataContext(ctx.data_dirs, ctx.cache_dir, download=False))
            d["found"] = {"kind": origin.kind, "path": str(origin.path)}
        except DataError:
            d["found"] = None
        return d

    # -------------------------------------------------------------------------------------- parsing
    def _parse(self, origin: Origin) -> _Parsed:
        return read_folder(origin.path) if origin.kind == "folder" else read_archive(origin.path)

    def _key(self, ctx: DataContext, origin: Origin) -> str:
        if origin.sha256 is None:
            from ._fetch import file_sha256

            origin.sha256 = (_folder_fingerprint(origin.path) if origin.kind == "folder"
                             else file_sha256(origin.path, ctx.cache_dir))
        return origin.sha256

    def prepared_dir(self, ctx: DataContext, origin: Origin) -> Path:
        key = hashlib.sha256(f"{_CACHE_FORMAT}\n{origin.kind}\n{self._key(ctx, origin)}".encode()).hexdigest()
        return ctx.cache_dir / self.name / f"prepared-{key[:16]}"

    def _prepare(self, origin: Origin) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        parsed = self._parse(origin)
        counts = parsed.check(str(origin.path))
        arrays: dict[str, np.ndarray] = {}
        for split in SPLITS:
            rows = parsed.reviews[split]
            blobs = [t.encode("utf-8") for _, _, _, t in rows]
            arrays[f"{split}_text"] = np.frombuffer(b"".join(blobs), dtype=np.uint8)
            arrays[f"{split}_offsets"] = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype(np.int64)
            for i, name, dtype in ((0, "label", np.int8), (2, "rating", np.int8), (1, "id", np.int32)):
                arrays[f"{split}_{name}"] = np.array([r[i] for r in rows], dtype=dtype)
        complete = all(c == FULL_COUNT for c in counts.values())
        if not complete:
            warnings.warn(f"IMDB: {origin.path} is not the full release ({counts}); results are not comparable "
                          f"with published IMDB numbers.", stacklevel=3)
        info = {"counts": counts, "complete": complete, "replaced_characters": parsed.replaced,
                "n_files_with_replacements": len(parsed.replaced_files),
                "files_with_replacements": parsed.replaced_files[:20]}
        return arrays, info

    def _read_cache(self, folder: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if manifest.get("format") != _CACHE_FORMAT:
                return None
            arrays = {}
            for key, want in manifest["arrays"].items():
                arr = np.load(folder / f"{key}.npy", allow_pickle=False)
                if (str(arr.dtype) != want["dtype"] or list(arr.shape) != want["shape"]
                        or hashlib.sha256(np.ascontiguousarray(arr)).hexdigest() != want["sha256"]):
                    return None
                arrays[key] = arr
            if set(arrays) != {f"{s}_{a}" for s in SPLITS for a in _ARRAYS}:
                return None
            return arrays, manifest["info"]
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def _write_cache(self, folder: Path, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        from ._fetch import atomic_save_npy, atomic_write_bytes

        try:
            entries = {}
            for key, arr in arrays.items():
                arr = np.ascontiguousarray(arr)
                atomic_save_npy(folder / f"{key}.npy", arr)
                entries[key] = {"dtype": str(arr.dtype), "shape": list(arr.shape),
                                "sha256": hashlib.sha256(arr).hexdigest()}
            manifest = {"format": _CACHE_FORMAT, "arrays": entries, "info": info}
            atomic_write_bytes(folder / "manifest.json", json.dumps(manifest, indent=1).encode())
        except OSError as exc:
            warnings.warn(f"IMDB: could not write the prepared cache in {folder} ({exc}); every load will read "
                          f"the archive again. Set CLASSBENCH_CACHE to a writable folder.", stacklevel=3)

    # ----------------------------------------------------------------------------------------- load
    def load(self, ctx: DataContext, n_train: int | None = None, n_test: int | None = None, **_: Any) -> Dataset:
        origin = self.locate(ctx)
        folder = self.prepared_dir(ctx, origin)
        cached = self._read_cache(folder)
        cache_hit = cached is not None
        if cached is None:
            cached = self._prepare(origin)
            self._write_cache(folder, *cached)
        arrays, info = cached
        out: dict[str, Any] = {}
        for split, n in (("train", n_train), ("test", n_test)):
            blob, off = arrays[f"{split}_text"].tobytes(), arrays[f"{split}_offsets"].tolist()
            texts = np.empty(len(off) - 1, dtype=object)
            texts[:] = [blob[a:b].decode("utf-8") for a, b in zip(off[:-1], off[1:])]
            keep = np.arange(len(texts))
            if n is not None:
                if n > len(texts):
                    raise UserError(f"dataset 'imdb': n_{split}={n} but the {split} split has {len(texts)} reviews. "
                                    f"Use a value up to {len(texts)}, or leave it unset for all of them.")
                keep = np.sort(np.random.default_rng(0).permutation(len(texts))[:n])
            out[split] = (texts[keep], arrays[f"{split}_label"][keep].astype(np.int64),
                          arrays[f"{split}_rating"][keep].astype(np.int64), arrays[f"{split}_id"][keep].astype(np.int64))
        provenance = {"source": self.source, "origin": origin.kind, "path": str(origin.path),
                      "sha256": None if origin.kind == "folder" else origin.sha256,
                      "fingerprint": origin.sha256 if origin.kind == "folder" else None,
                      "canonical": origin.kind == "canonical archive",
                      **info, "params": {"n_train": n_train, "n_test": n_test}}
        return Dataset(
            name=self.name, X_train=out["train"][0], y_train=out["train"][1], X_test=out["test"][0],
            y_test=out["test"][1], classes=list(CLASSES), modality="text", provenance=provenance,
            meta={"rating_train": out["train"][2], "rating_test": out["test"][2], "id_train": out["train"][3],
                  "id_test": out["test"][3], "prepared_cache": str(folder), "cache_hit": cache_hit},
        )

    def _show_vectorizer(self, ds: Dataset) -> Any:
        """The models' default vocabulary fitted on the training split, kept beside the prepared cache."""
        from ..text import TextVectorizer
        from ._fetch import atomic_write_bytes

        vec = TextVectorizer()
        path = Path(ds.meta["prepared_cache"]) / f"vocab-{vec.max_words}-{len(ds.y_train)}.json"
        try:
            return vec.set_words(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            vec.fit(ds.X_train)
        try:
            atomic_write_bytes(path, json.dumps(vec.words).encode())
        except OSError:
            pass
        return vec

    def show(self, ctx: DataContext, index: int) -> str:
        """Test review ``index``: its label, rating and file, the ids the models see decoded, and the raw start."""
        from ..text import UNK

        ds = self.load(ctx)
        n = len(ds.y_test)
        if not -n <= index < n:
            raise UserError(f"dataset 'imdb': review index {index} is out of range; the test split holds {n} "
                            f"reviews (0..{n - 1}).")
        index %= n
        vec = self._show_vectorizer(ds)
        row = vec.transform([ds.X_test[index]])[0]
        label, rating, rid = ds.classes[ds.y_test[index]], ds.meta["rating_test"][index], ds.meta["id_test"][index]
        raw = str(ds.X_test[index])
        n_tok = int((row != 0).sum())
        return "\n".join([
            f"imdb test review {index} (aclImdb/test/{label}/{rid}_{rating}.txt): label {label}, rating {rating}/10",
            f"As the models see it (vocabulary of {vec.max_words:,} ids fitted on the training split, maxlen "
            f"{vec.maxlen}; {n_tok} ids, {int((row == UNK).sum())} <unk>):",
            "  " + vec.decode(row),
            f"Raw text ({'first 400 of ' if len(raw) > 400 else ''}{len(raw):,} characters):",
            "  " + raw[:400] + ("..." if len(raw) > 400 else ""),
        ])
