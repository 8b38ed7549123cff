"""Bring-your-own datasets: names with a scheme, usable wherever a built-in dataset name is.

    imagefolder:PATH                 one subfolder per class of images (optional train/ and test/ level)
    csv:PATH?target=COL              a CSV table (Parquet/ARFF by extension); tsv:, parquet:, arff:, table: alike
    openml:ID or openml:NAME         an OpenML dataset, downloaded into the cache and verified
    textfolder:PATH                  one subfolder per class of text files (optional train/ and test/ level)
    textcsv:PATH?text=COL&label=COL  a CSV with one text column and one label column
    textlines:PATH                   one text per line, one file per class (pos.txt, neg.txt)
    fasttext:PATH                    fastText's "__label__X text" lines
    idx:PATH                         a folder in MNIST's four-file IDX layout (Fashion-MNIST, EMNIST, ...)

Everything after ``?`` is dataset parameters (``&``-separated ``key=value``; values are read as TOML
literals where they parse, e.g. ``size=[32, 32]`` or ``skip_bad=true``, else as plain strings). Parameters
from a suite file or ``--set`` are merged over them. ``resolve_scheme(name)`` builds the source; it is what
``classbench.datasets.get_source`` calls for any name holding a ``:``. Sources pickle as their name, so a
worker process rebuilds the same source from the name alone.

PATH is used as given (``~`` expanded; a relative path is taken from the current folder first, then
from each ``--data-dir`` / ``CLASSBENCH_DATA`` folder). Heavy libraries (Pillow, pyarrow) are imported
only when data is loaded; this module and its siblings import only numpy and the stdlib.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import os
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError, UserError
from ..params import Param, check_params
from .base import DataContext, DatasetSource, stratified_holdout

#: scheme -> (module:class, usage, modality, summary)
SCHEMES: dict[str, tuple[str, str, str, str]] = {
    "imagefolder": ("classbench.datasets.byo_images:ImageFolder", "imagefolder:PATH", "image",
                    "your images: one subfolder per class (PNG/JPEG/GIF/BMP/PGM/PPM), optional train/ and test/"),
    "csv": ("classbench.datasets.byo_csv:CsvTable", "csv:PATH?target=COL", "tabular",
            "your table (CSV; Parquet/ARFF by extension): target by name or position (target=-1), header=none"),
    "tsv": ("classbench.datasets.byo_csv:TsvTable", "tsv:PATH?target=COL", "tabular",
            "your TAB-separated table (same parameters as csv:)"),
    "parquet": ("classbench.datasets.byo_csv:ParquetTable", "parquet:PATH?target=COL", "tabular",
                "your Parquet table (pyarrow): typed columns, categoricals kept as nominal"),
    "arff": ("classbench.datasets.byo_csv:ArffTable", "arff:PATH", "tabular",
             "an ARFF file (Weka, OpenML): nominal attributes, ? missing, sparse rows; target: last attribute; "
             "a STRING attribute makes it a text dataset"),
    "table": ("classbench.datasets.byo_csv:AnyTable", "table:PATH?target=COL", "tabular",
              "any table file, the reader chosen by extension (.csv/.tsv/.txt, .parquet, .arff)"),
    "openml": ("classbench.datasets.tables.openml:OpenMLSource", "openml:ID|NAME", "tabular",
               "an OpenML dataset by id (openml:61) or name (openml:iris): downloaded once into the cache, "
               "md5-verified; its default target"),
    "textfolder": ("classbench.datasets.byo_text:TextFolder", "textfolder:PATH", "text",
                   "your texts: one subfolder per class of text files, optional train/ and test/"),
    "textcsv": ("classbench.datasets.byo_text:TextCsv", "textcsv:PATH?text=COL&label=COL", "text",
                "your texts in a CSV: one text column and one label column"),
    "textlines": ("classbench.datasets.byo_text:TextLines", "textlines:PATH", "text",
                  "your texts one per line, one file per class (PATH/pos.txt, PATH/neg.txt; optional train/, test/)"),
    "fasttext": ("classbench.datasets.byo_text:FastTextFile", "fasttext:PATH", "text",
                 "a fastText file: one text per line, labels written __label__X (test_file=PATH for a test file)"),
    "idx": ("classbench.datasets.byo_images:IdxFolder", "idx:PATH", "image",
            "a folder in MNIST's IDX layout (train-images-idx3-ubyte[.gz], ...), e.g. Fashion-MNIST"),
}

#: files and folders never treated as data (OS and archive litter); they are listed as "ignored"
JUNK = frozenset({"Thumbs.db", "desktop.ini", "__MACOSX", "__pycache__"})

SPLIT_PARAMS = {
    "test_fraction": Param(float, low=0.0, high=0.9, low_open=True, doc="share held out for test (no train/test given)"),
    "split_seed": Param(int, low=0, doc="seed of the stratified train/test split"),
}
SKIP_BAD = Param(bool, doc="skip unreadable or empty files instead of failing (they are listed in the provenance)")


def describe_schemes() -> list[tuple[str, str, str]]:
    """(usage, modality, summary) of each scheme, for ``classbench list datasets``."""
    return [(usage, modality, summary) for _, usage, modality, summary in SCHEMES.values()]


def is_scheme_name(name: str) -> bool:
    return name.partition(":")[0] in SCHEMES and ":" in name


def parse_literal(text: str) -> Any:
    """A TOML literal (``3``, ``0.5``, ``true``, ``[32, 32]``, ``"a,b"``), or the text itself."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


@dataclass(frozen=True)
class QueryValue:
    """A parameter value as written after ``?`` (typed only once the parameter's kind is known)."""

    text: str

    def typed(self, param: Param | None) -> Any:
        value = parse_literal(self.text)
        if param is not None and param.kind is str and not isinstance(value, str):
            return self.text  # column names such as 0 or true stay strings
        return value


def parse_name(name: str) -> tuple[str, str, dict[str, QueryValue]]:
    """``"csv:data/iris.csv?target=species"`` -> ``("csv", "data/iris.csv", {"target": QueryValue("species")})``."""
    scheme, sep, rest = name.partition(":")
    if not sep or scheme not in SCHEMES:
        close = difflib.get_close_matches(scheme, list(SCHEMES), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(
            f"Dataset {name!r}: unknown scheme {scheme!r}.{hint} Your own data is named SCHEME:PATH with one of: "
            + "; ".join(u for _, u, _, _ in SCHEMES.values())
            + ". Built-in datasets have plain names (see `classbench list datasets`).")
    path, _, query = rest.partition("?")
    if not path.strip():
        raise UserError(f"Dataset {name!r}: no path after '{scheme}:'. Write it as {SCHEMES[scheme][1]}.")
    params: dict[str, QueryValue] = {}
    for part in filter(None, query.split("&")):
        key, eq, value = part.partition("=")
        key = urllib.parse.unquote(key).strip()
        if not eq or not key:
            raise UserError(f"Dataset {name!r}: the parameter {part!r} after '?' must be written KEY=VALUE "
                            f"(several joined by '&'), e.g. {SCHEMES[scheme][1].split('?')[0]}?test_fraction=0.2.")
        if key in params:
            raise UserError(f"Dataset {name!r}: parameter {key!r} is given twice after '?'. Keep one.")
        params[key] = QueryValue(urllib.parse.unquote(value).strip())
    return scheme, path, params


def resolve_scheme(name: str) -> "ByoSource":
    """The source for a ``SCHEME:PATH[?k=v&...]`` name (UserError naming the schemes on a bad one)."""
    scheme, path, query = parse_name(name)
    module, _, attr = SCHEMES[scheme][0].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(name, path, query)


# --------------------------------------------------------------------------------------------- the source
class ByoSource(DatasetSource):
    """A dataset named by the user: scheme, path and parameters from the name.

    Subclasses set ``scheme``, ``modality``, ``param_space``, ``defaults`` and ``want`` ("dir", "file" or
    "any") and implement ``load``.
    """

    scheme: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    want: ClassVar[str] = "dir"

    def __init__(self, name: str, path: str, query: dict[str, QueryValue] | None = None):
        self.name = name
        self.path = path
        self.query = dict(query or {})
        self.summary = SCHEMES[self.scheme][3]
        self.source = f"user data at {path}"

    def __reduce__(self) -> tuple:
        return resolve_scheme, (self.name,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # ------------------------------------------------------------------------------------------ params
    def _typed(self, params: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.query, **params}
        out = {}
        for key, value in merged.items():
            spec = self.param_space.get(key)
            if isinstance(value, QueryValue):
                value = value.typed(spec)
            elif spec is not None and spec.kind is str and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                value = str(value)  # e.g. --set NAME.target=0 for a column named "0"
            out[key] = value
        return out

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = check_params(f"dataset {self.name!r}", self.param_space, self._typed(params))
        self.locate(ctx)
        return checked

    def effective(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults, then the name's parameters, then ``params``; validated."""
        checked = check_params(f"dataset {self.name!r}", self.param_space, self._typed(params))
        return {**self.defaults, **checked}

    # ------------------------------------------------------------------------------------------- files
    def places(self, ctx: DataContext) -> list[Path]:
        p = Path(self.path).expanduser()
        if p.is_absolute():
            return [p]
        return [Path.cwd() / p] + [d / p for d in ctx.data_dirs]

    def locate(self, ctx: DataContext) -> Path:
        """The data's absolute path; DataError naming every place searched when it is not there."""
        places = self.places(ctx)
        for p in places:
            ok = p.is_dir() if self.want == "dir" else p.is_file() if self.want == "file" else p.exists()
            if ok:
                return p.resolve()
        kind = {"dir": "folder", "file": "file", "any": "file or folder"}[self.want]
        wrong = [str(p) for p in places if p.exists()]
        extra = f" ({', '.join(wrong)} exists but is not a {kind})" if wrong else ""
        raise DataError(
            f"Dataset {self.name!r}: {kind} {self.path!r} not found{extra}. Searched: "
            f"{', '.join(str(p) for p in places)}. Give an absolute path, a path relative to the current "
            f"folder, or one relative to a --data-dir / CLASSBENCH_DATA folder.")

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        d.update(scheme=self.scheme, path=str(self.locate(ctx)),
                 name_params={k: v.typed(self.param_space.get(k)) for k, v in self.query.items()},
                 params={k: p.describe() + (f" (default {self.defaults[k]!r})" if k in self.defaults else "")
                         + (f": {p.doc}" if p.doc else "") for k, p in self.param_space.items()})
        return d

    def verify(self, ctx: DataContext) -> list[tuple[str, str]]:
        try:
            return [(self.path, f"ok: {self.locate(ctx)}")]
        except DataError as exc:
            return [(self.path, f"missing: {exc}")]

    def show(self, ctx: DataContext, index: int) -> str:
        """Test sample ``index``: its class, its file (folder layouts) and its content."""
        ds = self.load(ctx)
        n = len(ds.y_test)
        if not -n <= index < n:
            raise UserError(f"Dataset {self.name!r}: sample index {index} is out of range; the test split holds "
                            f"{n} samples (0..{n - 1}).")
        index %= n
        x = ds.X_test[index]
        lines = [f"{self.name}: test sample {index}, class {ds.classes[int(ds.y_test[index])]!r}"]
        if ds.meta.get("files_test"):
            lines.append(f"file: {Path(ds.provenance['path']) / ds.meta['files_test'][index]}")
        if ds.modality == "text":
            text = str(x)
            lines.append(text[:2000] + (f" ... ({len(text):,} characters)" if len(text) > 2000 else ""))
        elif ds.modality == "tabular":
            lines += [f"  {f} = {v:g}" for f, v in zip(ds.meta.get("feature_names", []), x)]
        else:
            lines.append(f"array of shape {tuple(x.shape)}, min {x.min():.3f}, mean {x.mean():.3f}, max {x.max():.3f}")
        return "\n".join(lines)

    def bad_file(self, what: str, path: Path, why: str, more: list[str] = ()) -> DataError:
        others = f" ({len(more)} more: {', '.join(more[:5])}{', ...' if len(more) > 5 else ''})" if more else ""
        return DataError(
            f"Dataset {self.name!r}: {path} {why}{others}. Remove or fix it, or add skip_bad=true to skip "
            f"such {what} (they are then listed in the provenance), e.g. "
            f"{self.scheme}:{self.path}?skip_bad=true.")


# ----------------------------------------------------------------------------------------- class folders
def _hidden(name: str) -> bool:
    return name.startswith(".") or name in JUNK


@dataclass
class FolderLayout:
    """Class folders found under ``root``: ``files[split]`` is a list of (class, path), split "all" or
    "train"/"test"; ``ignored`` holds paths (relative to root) that were not used."""

    root: Path
    presplit: bool
    classes: list[str]
    files: dict[str, list[tuple[str, Path]]]
    ignored: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)

    def n_files(self) -> int:
        return sum(len(v) for v in self.files.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {split: dict(sorted(Counter(c for c, _ in items).items())) for split, items in self.files.items()}

    def listing_sha256(self) -> str:
        """sha256 of the sorted (relative name, size, mtime) list: cheap, changes when any file does."""
        h = hashlib.sha256()
        for split in sorted(self.files):
            for _, p in sorted(self.files[split], key=lambda cp: str(cp[1])):
                st = p.stat()
                h.update(f"{p.relative_to(self.root)}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
        return h.hexdigest()


def _files_under(folder: Path, root: Path, ignored: list[str]) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for f in sorted(filenames):
            p = Path(dirpath) / f
            (ignored.append(str(p.relative_to(root))) if _hidden(f) else out.append(p))
    return out


def scan_class_folders(root: Path, dataset: str, what: str, classes: str | None = None,
                       skip_empty: bool = False) -> FolderLayout:
    """Find ``root/<class>/...`` or ``root/{train,test}/<class>/...``; files inside are not opened."""
    ignored: list[str] = []
    subdirs = sorted(e.name for e in os.scandir(root) if e.is_dir() and not _hidden(e.name))
    layout_hint = (f"Expected {root}/<class>/<{what}> (one subfolder per class) or "
                   f"{root}/train/<class>/... and {root}/test/<class>/...")
    presplit = "train" in subdirs and "test" in subdirs
    if not presplit and ("train" in subdirs or "test" in subdirs):
        have, lack = ("train", "test") if "train" in subdirs else ("test", "train")
        raise UserError(f"Dataset {dataset!r}: {root} has a {have}/ folder but no {lack}/ folder (a val/ folder "
                        f"must be renamed test/). {layout_hint}; with neither, a seeded stratified split is "
                        f"drawn (parameters test_fraction, split_seed).")
    splits = {"train": root / "train", "test": root / "test"} if presplit else {"all": root}
    if presplit:
        ignored += [e.name for e in os.scandir(root) if e.name not in ("train", "test")]
    found: dict[str, dict[str, list[Path]]] = {}
    for split, folder in splits.items():
        names = sorted(e.name for e in os.scandir(folder) if e.is_dir() and not _hidden(e.name))
        prefix = "" if split == "all" else f"{split}/"
        ignored += [prefix + e.name for e in os.scandir(folder) if not e.is_dir() or _hidden(e.name)]
        found[split] = {c: _files_under(folder / c, root, ignored) for c in names}
    available = sorted({c for per in found.values() for c in per})
    if not available:
        raise DataError(f"Dataset {dataset!r}: {root} holds no class folders. {layout_hint}.")
    if classes:
        wanted = [c.strip() for c in classes.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in available]
        if unknown:
            raise UserError(f"Dataset {dataset!r}: classes={classes!r} names {', '.join(map(repr, unknown))}, "
                            f"which is not a class folder in {root}. Class folders: {', '.join(available)}.")
        for split, per in found.items():
            for c in [c for c in per if c not in wanted]:
                ignored.append(("" if split == "all" else f"{split}/") + c + "/")
                del per[c]
    empty = []
    for split, per in found.items():
        for c, files in list(per.items()):
            if not files:
                where = root / ("" if split == "all" else split) / c
                if not skip_empty:
                    raise DataError(f"Dataset {dataset!r}: class folder {where} holds no {what}. Add some, "
                                    f"remove the folder, or add skip_bad=true to skip empty folders.")
                empty.append(str(where.relative_to(root)))
                del per[c]
    if presplit:
        only_test = sorted(set(found["test"]) - set(found["train"]))
        if only_test:
            raise DataError(f"Dataset {dataset!r}: class(es) {', '.join(only_test)} have {what} in {root}/test "
                            f"but none in {root}/train, so no model can learn them. Add training {what} or "
                            f"remove those test folders.")
    cls = sorted({c for per in found.values() for c in per})
    if not cls:
        raise DataError(f"Dataset {dataset!r}: no class folder in {root} holds any {what}. {layout_hint}.")
    files = {split: [(c, p) for c in sorted(per) for p in per[c]] for split, per in found.items()}
    return FolderLayout(root, presplit, cls, files, sorted(ignored), empty)


# ------------------------------------------------------------------------------------------------ splits
def split_stratified(y: np.ndarray, classes: list[str], test_fraction: float, split_seed: int, dataset: str,
                     unit: str, fix: str, groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified (train, test) indices; UserError naming a class too small to be in both.

    Parameters
    ----------
    y : int array of shape (n,), indices into ``classes``
    groups : int array of shape (n,) or None; members of a group land in the same split
    """
    counts = np.bincount(y, minlength=len(classes))
    check_class_sizes(dict(zip(classes, counts.tolist())), dataset, unit, fix)
    return stratified_holdout(y, test_fraction, split_seed, groups)


def duplicate_groups(files: list[str], digests: list[str], labels: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Group ids of byte-identical files (so a copy never sits on both sides of a split) and a summary.

    Returns
    -------
    groups : int array of shape (n,)
    summary : {"duplicate_files": count, "label_conflicts": [first few "a = b (class x vs y)"]}
    """
    _, first, groups = np.unique(np.array(digests, dtype=object), return_index=True, return_inverse=True)
    conflicts = [f"{files[first[g]]} = {files[i]} (class {labels[first[g]]!r} vs {labels[i]!r})"
                 for i, g in enumerate(groups) if labels[i] != labels[first[g]]]
    return groups.astype(np.int64), {"duplicate_files": int(len(digests) - len(first)), "label_conflicts": conflicts[:20]}


def check_class_sizes(counts: dict[str, int], dataset: str, unit: str, fix: str) -> None:
    """UserError naming each class with a single sample (a stratified split cannot put it in both splits)."""
    small = [(c, n) for c, n in counts.items() if 0 < n < 2]
    if small:
        which = ", ".join(f"{c!r} ({n} {unit[:-1] if n == 1 else unit})" for c, n in small)
        raise UserError(f"Dataset {dataset!r}: class {which} cannot be put in both the train and the test split; "
                        f"a stratified split needs at least 2 per class. {fix}")


def check_layout(layout: "FolderLayout", dataset: str, unit: str) -> None:
    """The checks a class-folder layout allows before any file is opened (used by ``check``)."""
    if len(layout.classes) < 2:
        raise DataError(f"Dataset {dataset!r}: only one class ({layout.classes[0]!r}) under {layout.root}; a "
                        f"classifier needs at least 2 class folders.")
    if not layout.presplit:
        check_class_sizes(layout.counts()["all"], dataset, unit,
                          f"Add {unit} to that class folder under {layout.root}, remove it, or give train/ and "
                          f"test/ folders.")


def digest_entries(entries: list[tuple[str, int, str]]) -> str:
    """sha256 of sorted ``relative name \\t size \\t sha256`` lines: one hash for a whole file set."""
    h = hashlib.sha256()
    for rel, size, sha in sorted(entries):
        h.update(f"{rel}\t{size}\t{sha}\n".encode())
    return h.hexdigest()


def decode_text(raw: bytes, encoding: str) -> tuple[str, int]:
    """(text, number of undecodable bytes replaced by U+FFFD); a leading BOM is dropped."""
    import re

    try:
        text = raw.decode(encoding, "surrogateescape")
    except LookupError:
        raise UserError(f"Unknown text encoding {encoding!r}; use a Python codec name such as utf-8, "
                        f"latin-1 or cp1252.") from None
    bad = re.findall("[\udc80-\udcff]", text)
    if bad:
        text = re.sub("[\udc80-\udcff]", "\ufffd", text)
    return text.removeprefix("\ufeff"), len(bad)
