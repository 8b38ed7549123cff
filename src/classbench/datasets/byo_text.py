"""Your own texts: ``textfolder:``, ``textcsv:``, ``textlines:`` and ``fasttext:``; X is an object array of str.

textfolder: ``PATH/<class>/<files>`` (seeded stratified split) or ``PATH/{train,test}/<class>/<files>``,
like aclImdb's ``train/pos``. Every non-hidden file in a class folder is one document (any extension);
files beside the class folders are ignored, and ``classes="neg,pos"`` keeps only those folders (aclImdb's
``train/unsup`` holds unlabelled reviews). Text is decoded with ``encoding`` (utf-8); undecodable bytes
become U+FFFD and are counted in the provenance. An empty (or whitespace-only) file, or a binary one
(NUL bytes), is an error naming it, unless ``skip_bad=true`` (then it is skipped and listed).

textcsv: the CSV rules of ``csv:`` (delimiter, encoding, split column, skip_bad for rows without a label)
with one text column (``text``, default "text") and one label column (``label``, default "label"); a row
with an empty text is an error naming its line, or is dropped with ``skip_bad=true``.

textlines: ``PATH/pos.txt``, ``PATH/neg.txt``, ... (class = file name without extension), one text per
non-blank line; ``PATH/train/`` and ``PATH/test/`` holding such files give the split. fasttext: lines
``__label__pos a great film`` (``label_prefix``); a line without exactly one label, or without text, is an
error naming its line (``skip_bad=true`` skips and lists it); ``test_file=PATH`` gives the test split.
Identical texts are grouped, so a copy never sits on both sides of a drawn split.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .base import DataContext, Dataset
from .byo import (
    JUNK,
    SKIP_BAD,
    SPLIT_PARAMS,
    ByoSource,
    check_layout,
    decode_text,
    digest_entries,
    duplicate_groups,
    scan_class_folders,
    split_stratified,
)
from .byo_tables import TABLE_DEFAULTS, TABLE_PARAMS, TableFile, labels_and_split, need_columns
from .tables.columns import sort_labels

MAX_FILE_BYTES = 64 << 20


def _class_files_params(classes_doc: str) -> dict[str, Param]:
    """Parameters of the text sources whose files (or folders) are named by class: textfolder:, textlines:."""
    return {**SPLIT_PARAMS, "classes": Param(str, nullable=True, doc=classes_doc),
            "encoding": Param(str, doc="text encoding of the files"), "skip_bad": SKIP_BAD}


_CLASS_FILES_DEFAULTS = {"test_fraction": 0.25, "split_seed": 0, "classes": None, "encoding": "utf-8",
                         "skip_bad": False}


class TextFolder(ByoSource):
    scheme = "textfolder"
    modality = "text"
    want = "dir"
    param_space = _class_files_params("comma list of the class folders to use (default: all)")
    defaults = _CLASS_FILES_DEFAULTS

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        p = {**self.defaults, **checked}
        check_layout(scan_class_folders(self.locate(ctx), self.name, "text files", p["classes"], p["skip_bad"]),
                     self.name, "files")
        return checked

    def info(self, ctx: DataContext) -> dict[str, Any]:
        d = super().info(ctx)
        p = self.effective({})
        layout = scan_class_folders(self.locate(ctx), self.name, "text files", p["classes"], p["skip_bad"])
        d.update(layout="train/ and test/ folders" if layout.presplit else "class folders (split when loaded)",
                 classes=layout.classes, n_files=layout.n_files(), files_per_class=layout.counts(),
                 listing_sha256=layout.listing_sha256(), ignored=layout.ignored[:50])
        return d

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        p = self.effective(params)
        root = self.locate(ctx)
        layout = scan_class_folders(root, self.name, "text files", p["classes"], p["skip_bad"])
        texts, labels, splits, rels, hashes, bad = [], [], [], [], [], []
        replaced, replaced_files = 0, []
        for split, items in layout.files.items():
            for cls, path in items:
                rel = str(path.relative_to(root))
                if path.stat().st_size > MAX_FILE_BYTES:
                    bad.append((path, f"is larger than {MAX_FILE_BYTES >> 20} MB; not a text document"))
                    continue
                raw = path.read_bytes()
                if b"\x00" in raw:
                    bad.append((path, "is binary (it contains NUL bytes), not a text file"))
                    continue
                text, n = decode_text(raw, p["encoding"])
                if not text.strip():
                    bad.append((path, "is empty"))
                    continue
                if n:
                    replaced += n
                    replaced_files.append(rel)
                texts.append(text)
                labels.append(cls)
                splits.append(split)
                rels.append(rel)
                hashes.append((rel, len(raw), hashlib.sha256(raw).hexdigest()))
        if bad and not p["skip_bad"]:
            raise self.bad_file("files", bad[0][0], bad[0][1], [str(b[0]) for b in bad[1:]])
        if not texts:
            raise DataError(f"Dataset {self.name!r}: no usable text file under {root}.")
        classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[c] for c in labels], dtype=np.int64)
        X = np.empty(len(texts), dtype=object)
        X[:] = texts
        if len(classes) < 2:
            raise DataError(f"Dataset {self.name!r}: only one class ({classes[0]!r}) under {root}; a classifier "
                            f"needs at least 2 class folders.")
        groups, dups = duplicate_groups(rels, [h[2] for h in hashes], labels)
        if layout.presplit:
            tr = np.flatnonzero([s == "train" for s in splits])
            te = np.flatnonzero([s == "test" for s in splits])
        else:
            tr, te = split_stratified(y, classes, p["test_fraction"], p["split_seed"], self.name, "files",
                                      f"Add files to that class folder under {root}, remove it, or give train/ "
                                      f"and test/ folders.", groups)
        rel = np.array(rels, dtype=object)
        return Dataset(
            name=self.name, X_train=X[tr], y_train=y[tr], X_test=X[te], y_test=y[te], classes=classes,
            modality="text", groups_train=groups[tr], groups_test=groups[te],
            provenance={"source": "textfolder", "path": str(root),
                        "layout": "train/test folders" if layout.presplit else "stratified split",
                        "n_files": len(hashes), "sha256": digest_entries(hashes),
                        "sha256_rule": "sha256 of sorted 'relative path<TAB>size<TAB>sha256(file)' lines",
                        "replaced_bytes": replaced, "files_with_replaced_bytes": replaced_files[:100],
                        "skipped": [f"{b[0].relative_to(root)}: {b[1]}" for b in bad],
                        "empty_folders": layout.empty, "ignored": layout.ignored[:1000], **dups, "params": p},
            meta={"files_train": list(rel[tr]), "files_test": list(rel[te])},
        )


class TextCsv(TableFile):
    scheme = "textcsv"
    modality = "text"
    param_space = {
        **TABLE_PARAMS,
        "text": Param(str, doc="the column holding the documents (a name, or a position such as 0)"),
        "label": Param(str, doc="the column holding the class labels (a name, or a position such as -1)"),
    }
    defaults = {**TABLE_DEFAULTS, "text": "text", "label": "label"}

    def _table(self, ctx: DataContext, p: dict[str, Any]) -> Any:
        from .tables.delimited import read_delimited

        table = read_delimited(self.name, self.locate(ctx), p["delimiter"], p["encoding"], p["header"])
        text, label = need_columns(self, table, [p["text"], p["label"]], "text/label")
        if text == label:
            raise UserError(f"Dataset {self.name!r}: text and label name the same column {text!r}.")
        return table

    def _columns(self, table: Any, p: dict[str, Any]) -> tuple[str, str]:
        text, label = need_columns(self, table, [p["text"], p["label"]], "text/label")
        return text, label

    def _rows(self, table: Any, p: dict[str, Any]) -> Any:
        """Labels and split of the rows with a text (an empty text is an error unless skip_bad)."""
        text, label = self._columns(table, p)
        texts = [str(t).strip() for t in table.column(text).values]
        empty = [i for i, t in enumerate(texts) if not t]
        if empty and not p["skip_bad"]:
            where = ", ".join(table.place(i) for i in empty[:5]) + (", ..." if len(empty) > 5 else "")
            raise DataError(f"Dataset {self.name!r}: {len(empty)} row(s) of {table.path} have an empty text in "
                            f"column {text!r} ({where}). Fill them in, or add skip_bad=true to drop those rows.")
        keep = np.ones(len(texts), bool)
        keep[empty] = False
        return labels_and_split(self, table, label, p, "rows", keep)

    def _validate(self, table: Any, p: dict[str, Any]) -> None:
        self._rows(table, p)

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from ._fetch import sha256_file

        p = self.effective(params)
        table = self._table(ctx, p)
        sp = self._rows(table, p)
        X = np.empty(table.n_rows, dtype=object)
        X[:] = [str(v) for v in table.column(self._columns(table, p)[0]).values]
        return Dataset(
            name=self.name, X_train=X[sp.train], y_train=sp.y_train, X_test=X[sp.test], y_test=sp.y_test,
            classes=sp.classes, modality="text",
            provenance={"source": "textcsv", "path": str(table.path), "n_files": 1, "sha256": sha256_file(table.path),
                        "n_rows": table.n_rows, "n_used": int(len(sp.train) + len(sp.test)), "split": sp.how,
                        "delimiter": table.details.get("delimiter"), "replaced_bytes": table.details.get("replaced_bytes"),
                        "skipped_rows": [table.place(i) for i in sp.skipped[:100]], "n_skipped": len(sp.skipped),
                        "params": p},
        )


def _line_dataset(source: ByoSource, lines: list[Any], splits: list[str], p: dict[str, Any], root: Any,
                  provenance: dict[str, Any]) -> Dataset:
    """A text Dataset from ``Line`` records; ``splits[i]`` is "train", "test" or "all" (drawn here)."""
    classes = sort_labels([ln.label for ln in lines])
    if len(classes) < 2:
        raise DataError(f"Dataset {source.name!r}: only one class ({classes[0]!r}) in {root}; a classifier needs "
                        f"at least 2.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[ln.label] for ln in lines], dtype=np.int64)
    X = np.empty(len(lines), dtype=object)
    X[:] = [ln.text for ln in lines]
    digests = [hashlib.sha256(ln.text.encode()).hexdigest() for ln in lines]
    where = [f"{ln.file.name}:{ln.line}" for ln in lines]
    groups, dups = duplicate_groups(where, digests, [ln.label for ln in lines])
    if "all" in splits:
        tr, te = split_stratified(y, classes, p["test_fraction"], p["split_seed"], source.name, "texts",
                                  f"Add texts of that class to {root}, or remove them.", groups)
        how = f"stratified (test_fraction={p['test_fraction']}, split_seed={p['split_seed']})"
    else:
        tr = np.flatnonzero([s == "train" for s in splits])
        te = np.flatnonzero([s == "test" for s in splits])
        only_test = sorted(set(y[te].tolist()) - set(y[tr].tolist()))
        if only_test or not len(te):
            what = (f"class(es) {', '.join(classes[c] for c in only_test)} have test texts but no training ones"
                    if only_test else "the test part holds no text")
            raise DataError(f"Dataset {source.name!r}: in {root}, {what}. Add training texts of every class.")
        how = "given train and test files"
    return Dataset(
        name=source.name, X_train=X[tr], y_train=y[tr], X_test=X[te], y_test=y[te], classes=classes,
        modality="text", groups_train=groups[tr], groups_test=groups[te],
        provenance={**provenance, "path": str(root), "split": how, "n_texts": len(lines), **dups, "params": p},
        meta={"lines_train": [where[i] for i in tr], "lines_test": [where[i] for i in te]},
    )


class TextLines(ByoSource):
    """``textlines:DIR``: one text per non-blank line, one file per class (class = file name without its
    extension: ``pos.txt`` -> pos); ``DIR/train/`` and ``DIR/test/`` holding such files give the split."""

    scheme = "textlines"
    modality = "text"
    want = "dir"
    param_space = _class_files_params("comma list of the classes (file names without extension) to use")
    defaults = _CLASS_FILES_DEFAULTS

    def _files(self, root: Any, p: dict[str, Any]) -> tuple[dict[str, list[tuple[str, Any]]], list[str]]:
        """split -> [(class, file)], and the entries ignored."""
        entries = {e.name: e for e in root.iterdir() if not e.name.startswith(".") and e.name not in JUNK}
        presplit = "train" in entries and "test" in entries and entries["train"].is_dir() and entries["test"].is_dir()
        folders = {"train": root / "train", "test": root / "test"} if presplit else {"all": root}
        wanted = [c.strip() for c in (p["classes"] or "").split(",") if c.strip()]
        out: dict[str, list[tuple[str, Any]]] = {}
        ignored = sorted(n for n in entries if n not in ("train", "test")) if presplit else []
        for split, folder in folders.items():
            out[split] = []
            for f in sorted(folder.iterdir()):
                if f.name.startswith(".") or f.name in JUNK or not f.is_file() or (wanted and f.stem not in wanted):
                    ignored.append(str(f.relative_to(root)))
                    continue
                out[split].append((f.stem, f))
        found = sorted({c for items in out.values() for c, _ in items})
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise UserError(f"Dataset {self.name!r}: classes={p['classes']!r} names {', '.join(map(repr, unknown))}, "
                            f"which has no file in {root}. Class files: {', '.join(found) or 'none'}.")
        for split, items in out.items():
            labels = [c for c, _ in items]
            twice = sorted({c for c in labels if labels.count(c) > 1})
            if twice:
                raise UserError(f"Dataset {self.name!r}: class {twice[0]!r} has several files in {folders[split]} "
                                f"({', '.join(f.name for c, f in items if c == twice[0])}); keep one file per class.")
        if len(found) < 2:
            raise DataError(f"Dataset {self.name!r}: {root} holds {len(found)} class file(s); expected one text file "
                            f"per class (e.g. pos.txt and neg.txt, one text per line), at least 2, or train/ and "
                            f"test/ folders holding such files.")
        return out, ignored

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        self._files(self.locate(ctx), {**self.defaults, **checked})
        return checked

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from .tables.texts import class_files

        p = self.effective(params)
        root = self.locate(ctx)
        files, ignored = self._files(root, p)
        lines, splits, bad, hashes, replaced = [], [], [], [], 0
        for split, items in files.items():
            for cls, path in items:
                got, n, why = class_files(path, cls, p["encoding"], MAX_FILE_BYTES)
                if why:
                    bad.append((path, why))
                    continue
                lines += got
                splits += [split] * len(got)
                replaced += n
                raw = path.read_bytes()
                hashes.append((str(path.relative_to(root)), len(raw), hashlib.sha256(raw).hexdigest()))
        if bad and not p["skip_bad"]:
            raise self.bad_file("files", bad[0][0], bad[0][1], [str(b[0]) for b in bad[1:]])
        return _line_dataset(self, lines, splits, p, root, {
            "source": "textlines", "n_files": len(hashes), "sha256": digest_entries(hashes),
            "sha256_rule": "sha256 of sorted 'relative path<TAB>size<TAB>sha256(file)' lines",
            "replaced_bytes": replaced, "ignored": ignored[:1000],
            "skipped": [f"{b[0].relative_to(root)}: {b[1]}" for b in bad]})


class FastTextFile(ByoSource):
    """``fasttext:FILE``: fastText's supervised format, ``__label__pos great film`` per line; a second file
    (``test_file=PATH``) gives the test split, else a seeded stratified split is drawn."""

    scheme = "fasttext"
    modality = "text"
    want = "file"
    param_space = {
        **SPLIT_PARAMS,
        "test_file": Param(str, nullable=True, doc="a second file in the same format holding the test texts"),
        "label_prefix": Param(str, doc="the prefix that marks a label word"),
        "encoding": Param(str, doc="text encoding of the file"),
        "skip_bad": Param(bool, doc="skip lines without exactly one label or without text (listed in the provenance)"),
    }
    defaults = {"test_fraction": 0.25, "split_seed": 0, "test_file": None, "label_prefix": "__label__",
                "encoding": "utf-8", "skip_bad": False}

    def _paths(self, ctx: DataContext, p: dict[str, Any]) -> dict[str, Any]:
        paths = {"train" if p["test_file"] else "all": self.locate(ctx)}
        if p["test_file"]:
            other = type(self)(f"{self.scheme}:{p['test_file']}", p["test_file"])
            paths["test"] = other.locate(ctx)
        return paths

    def _read(self, ctx: DataContext, p: dict[str, Any]) -> tuple[list[Any], list[str], list[str], int, dict]:
        from .tables.texts import fasttext_lines

        lines, splits, bad, replaced, paths = [], [], [], 0, self._paths(ctx, p)
        for split, path in paths.items():
            got, n, problems, why = fasttext_lines(path, p["encoding"], p["label_prefix"], MAX_FILE_BYTES)
            if why:
                raise DataError(f"Dataset {self.name!r}: {path} {why}. Give a fastText file: one text per line, "
                                f"starting with its label, e.g. '{p['label_prefix']}pos a great film'.")
            if problems and not p["skip_bad"]:
                more = f" ({len(problems) - 1} more such line(s))" if len(problems) > 1 else ""
                raise DataError(f"Dataset {self.name!r}: {path} line {problems[0][0]} {problems[0][1]}{more}. Fix it, "
                                f"or add skip_bad=true to skip such lines (they are listed in the provenance).")
            lines += got
            splits += [split] * len(got)
            bad += [f"{path.name}:{k}: {why}" for k, why in problems]
            replaced += n
        return lines, splits, bad, replaced, paths

    def check(self, ctx: DataContext, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        self._read(ctx, {**self.defaults, **checked})
        return checked

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from ._fetch import sha256_file

        p = self.effective(params)
        lines, splits, bad, replaced, paths = self._read(ctx, p)
        return _line_dataset(self, lines, splits, p, paths.get("all") or paths["train"], {
            "source": "fasttext", "files": {s: {"path": str(f), "sha256": sha256_file(f)} for s, f in paths.items()},
            "n_files": len(paths), "replaced_bytes": replaced, "skipped_lines": bad[:100], "n_skipped": len(bad)})
