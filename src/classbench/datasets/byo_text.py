"""Your own texts: ``textfolder:PATH`` and ``textcsv:PATH?text=COL&label=COL``; X is an object array of str.

textfolder: ``PATH/<class>/<files>`` (seeded stratified split) or ``PATH/{train,test}/<class>/<files>``,
like aclImdb's ``train/pos``. Every non-hidden file in a class folder is one document (any extension);
files beside the class folders are ignored, and ``classes="neg,pos"`` keeps only those folders (aclImdb's
``train/unsup`` holds unlabelled reviews). Text is decoded with ``encoding`` (utf-8); undecodable bytes
become U+FFFD and are counted in the provenance. An empty (or whitespace-only) file, or a binary one
(NUL bytes), is an error naming it, unless ``skip_bad=true`` (then it is skipped and listed).

textcsv: the CSV rules of ``csv:`` (delimiter, encoding, split column, skip_bad for rows without a label)
with one text column (``text``, default "text") and one label column (``label``, default "label"); a row
with an empty text is an error naming its line, or is dropped with ``skip_bad=true``.
"""

from __future__ import annotations

import hashlib
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
    decode_text,
    digest_entries,
    duplicate_groups,
    scan_class_folders,
    split_stratified,
)
from .byo_tables import TABLE_DEFAULTS, TABLE_PARAMS, TableFile, labels_and_split, need_columns

MAX_FILE_BYTES = 64 << 20


class TextFolder(ByoSource):
    scheme = "textfolder"
    modality = "text"
    want = "dir"
    param_space = {
        **SPLIT_PARAMS,
        "classes": Param(str, nullable=True, doc="comma list of the class folders to use (default: all)"),
        "encoding": Param(str, doc="text encoding of the files"),
        "skip_bad": SKIP_BAD,
    }
    defaults = {"test_fraction": 0.25, "split_seed": 0, "classes": None, "encoding": "utf-8", "skip_bad": False}

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
