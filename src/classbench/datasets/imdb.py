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
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from . import DATASETS
from ._imdb_files import (
    ARCHIVE,
    ARCHIVE_SHA256,
    ARCHIVE_URL,
    CLASSES,
    FULL_COUNT,
    SPLITS,
    _folder_fingerprint,
    _Parsed,
    read_archive,
    read_folder,
)
from .base import DataContext, Dataset, DatasetSource

_CACHE_FORMAT = "imdb-prepared-v1"
_ARRAYS = ("text", "offsets", "label", "rating", "id")


@dataclass
class Origin:
    """Where the reviews are: kind is "canonical archive", "archive" or "folder"."""

    kind: str
    path: Path
    sha256: str | None = None


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
