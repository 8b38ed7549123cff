"""Tables of strings from CSV/TSV (stdlib ``csv``) or Parquet, and the label/split rules shared by
``csv:`` (``byo_csv.py``) and ``textcsv:`` (``byo_text.py``): see ``byo_csv.py`` for the rules in full.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .byo import SKIP_BAD, SPLIT_PARAMS, ByoSource, decode_text, split_stratified

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MISSING_CAT = "(missing)"
PARQUET = (".parquet", ".pq")


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


@dataclass
class Table:
    """A table of strings: ``rows[i]`` came from ``place(i)`` ("line 12" of a CSV, "row 12" of Parquet)."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    replaced: int = 0
    delimiter: str | None = None
    unit: str = "line"

    def place(self, i: int) -> str:
        return f"{self.unit} {self.lines[i]}"

    def column(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [r[j] for r in self.rows]


def _raise_field_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 10


def read_table(dataset: str, path: Path, delimiter: str | None, encoding: str) -> Table:
    """Read a CSV/TSV (or Parquet) file into strings; DataError naming the file and line on any defect."""
    if path.suffix.lower() in PARQUET:
        return _read_parquet(dataset, path)
    text, replaced = decode_text(path.read_bytes(), encoding)
    if delimiter is None:
        if path.suffix.lower() in (".tsv", ".tab"):
            delimiter = "\t"
        else:
            sample = text[:65536]
            sample = sample[: sample.rfind("\n") + 1] or sample
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
    _raise_field_limit()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows, lines = [], []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            if header is None:
                header = [c.strip() or f"column_{j + 1}" for j, c in enumerate(row)]
                dup = sorted({c for c in header if header.count(c) > 1})
                if dup:
                    raise DataError(f"Dataset {dataset!r}: {path} has repeated column names in its header: "
                                    f"{', '.join(map(repr, dup))}. Give every column a distinct name.")
                continue
            if len(row) > len(header) and not any(c.strip() for c in row[len(header):]):
                row = row[: len(header)]  # trailing delimiters
            if len(row) != len(header):
                raise DataError(f"Dataset {dataset!r}: {path} line {reader.line_num} has {len(row)} field(s) but "
                                f"the header has {len(header)} (delimiter {delimiter!r}). Fix that line, or set "
                                f"delimiter=... if the file uses another one.")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable CSV file at line {reader.line_num}: "
                        f"{exc}.") from None
    if header is None:
        raise DataError(f"Dataset {dataset!r}: {path} is empty; expected a header row and data rows.")
    if not rows:
        raise DataError(f"Dataset {dataset!r}: {path} has a header but no data rows.")
    return Table(path, header, rows, lines, replaced, delimiter)


def _read_parquet(dataset: str, path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"Dataset {dataset!r}: {path} is a Parquet file, and reading Parquet needs pyarrow, which "
                        f"is not installed. Install it with `pip install pyarrow`, or save the table as CSV.") from None

    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable Parquet file ({exc}).") from None
    cols = table.to_pydict()
    header = [str(c) for c in table.column_names]
    rows = [[cell(cols[c][i]) for c in table.column_names] for i in range(table.num_rows)]
    if not rows:
        raise DataError(f"Dataset {dataset!r}: {path} has no rows.")
    return Table(path, header, rows, list(range(1, len(rows) + 1)), unit="row")


def sort_labels(labels: list[str]) -> list[str]:
    """Distinct labels sorted: numerically when all are numbers ("2" before "10"), else as text."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=lambda s: (float(s), s))
    except ValueError:
        return sorted(distinct)


def need_columns(source: ByoSource, table: Table, names: list[str], param: str) -> None:
    missing = [n for n in names if n not in table.header]
    if missing:
        raise UserError(f"Dataset {source.name!r}: {param} names column(s) {', '.join(map(repr, missing))}, which "
                        f"{table.path} does not have. Its columns: {', '.join(map(repr, table.header))}.")


@dataclass
class Split:
    """Labels and split of the rows in use: ``train``/``test`` are row indices of the table."""

    classes: list[str]
    train: np.ndarray
    test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    how: str
    column: str | None
    skipped: list[int]


def targets_and_split(source: ByoSource, table: Table, col: str, p: dict[str, Any]) -> Split:
    """Numeric regression targets and a seeded random split (or the split column's)."""
    raw = [v.strip() for v in table.column(col)]
    keep = np.array([not is_missing(v) for v in raw])
    if not keep.all() and not p["skip_bad"]:
        i = int(np.flatnonzero(~keep)[0])
        raise DataError(f"Dataset {source.name!r}: {table.place(i)} of {table.path} has no value in the target "
                        f"column {col!r}. Fill it in, or add skip_bad=true to drop such rows.")
    rows = np.flatnonzero(keep)
    y = np.empty(len(rows))
    for k, i in enumerate(rows):
        try:
            y[k] = float(raw[i])
        except ValueError:
            raise DataError(f"Dataset {source.name!r}: the regression target {col!r} must be numeric, but "
                            f"{table.place(i)} of {table.path} holds {raw[i]!r}. Fix the value, or use "
                            f"task=classification for class labels.") from None
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
        raise DataError(f"Dataset {source.name!r}: the target column {col!r} of {table.path} is constant (or not "
                        f"finite); there is nothing to regress. Is {col!r} the right column? Columns: "
                        f"{', '.join(map(repr, table.header))}.")
    split_col = p["split_column"]
    if split_col is None and "split" in table.header and col != "split":
        split_col = "split"
    if split_col:
        need_columns(source, table, [split_col], "split_column")
        values = [table.rows[i][table.header.index(split_col)].strip().lower() for i in rows]
        tr = np.flatnonzero([v == "train" for v in values])
        te = np.flatnonzero([v == "test" for v in values])
        how = f"column {split_col!r}"
    else:
        perm = np.random.default_rng(p["split_seed"]).permutation(len(rows))
        k = max(1, int(round(p["test_fraction"] * len(rows))))
        tr, te = np.sort(perm[k:]), np.sort(perm[:k])
        how = f"random (test_fraction={p['test_fraction']}, split_seed={p['split_seed']})"
    if not len(tr) or not len(te):
        raise DataError(f"Dataset {source.name!r}: the split of {table.path} leaves no train or no test rows.")
    return Split([], rows[tr], rows[te], y[tr], y[te], how, split_col or None, np.flatnonzero(~keep).tolist())


def labels_and_split(source: ByoSource, table: Table, label_col: str, p: dict[str, Any], unit: str,
                     keep: np.ndarray | None) -> Split:
    """Class labels and the train/test split of the rows where ``keep`` is True.

    Parameters
    ----------
    keep : bool array of shape (n_rows,), rows still in use (e.g. not dropped for an empty text); None: all
    """
    raw = [v.strip() for v in table.column(label_col)]
    keep = np.ones(len(raw), bool) if keep is None else keep
    no_label = [i for i, v in enumerate(raw) if keep[i] and is_missing(v)]
    if no_label and not p["skip_bad"]:
        where = ", ".join(table.place(i) for i in no_label[:5]) + (", ..." if len(no_label) > 5 else "")
        raise DataError(f"Dataset {source.name!r}: {len(no_label)} row(s) of {table.path} have no value in the label "
                        f"column {label_col!r} ({where}). Fill them in, or add skip_bad=true to drop those rows.")
    keep = keep.copy()
    keep[no_label] = False
    rows = np.flatnonzero(keep)
    classes = sort_labels([raw[i] for i in rows])
    if len(classes) < 2:
        raise DataError(f"Dataset {source.name!r}: the label column {label_col!r} of {table.path} holds "
                        f"{'one value only, ' + repr(classes[0]) if classes else 'no value'}; classification needs "
                        f"at least 2 classes. Is {label_col!r} the right column? Columns: "
                        f"{', '.join(map(repr, table.header))}.")
    if len(classes) > 20 and len(classes) > len(rows) // 3:
        try:
            vals = [float(c) for c in classes]
        except ValueError:
            vals = []
        if vals and any(not float(v).is_integer() for v in vals):
            raise DataError(f"Dataset {source.name!r}: the target column {label_col!r} of {table.path} holds "
                            f"{len(classes)} distinct numbers in {len(rows)} rows: it looks like a regression "
                            f"target, not class labels. Add task=regression (e.g. csv:{table.path}?target="
                            f"{label_col}&task=regression) and use a regression model such as ridge-regression.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[raw[i]] for i in rows], dtype=np.int64)
    col = p["split_column"]
    if col is None and "split" in table.header and label_col != "split":
        col = "split"
    if col:
        need_columns(source, table, [col], "split_column")
        values = [table.rows[i][table.header.index(col)].strip().lower() for i in rows]
        bad = [k for k, v in enumerate(values) if v not in ("train", "test")]
        if bad:
            raise DataError(f"Dataset {source.name!r}: the split column {col!r} of {table.path} must hold train or "
                            f"test, but {table.place(rows[bad[0]])} holds {values[bad[0]]!r}. Fix it, or add "
                            f'split_column="" to use that column as an ordinary one.')
        tr = np.flatnonzero([v == "train" for v in values])
        te = np.flatnonzero([v == "test" for v in values])
        only_test = sorted(set(y[te].tolist()) - set(y[tr].tolist()))
        if only_test or not len(te):
            what = (f"class(es) {', '.join(classes[c] for c in only_test)} occur only in the test rows"
                    if only_test else "no row is marked test")
            raise DataError(f"Dataset {source.name!r}: with the split column {col!r} of {table.path}, {what}. "
                            f"Mark some rows of every class as train and some as test.")
        how = f"column {col!r}"
    else:
        tr, te = split_stratified(y, classes, p["test_fraction"], p["split_seed"], source.name, unit,
                                  f"Add {unit} of that class to {table.path}, remove them, or give a split column "
                                  f"(train/test).")
        how = f"stratified (test_fraction={p['test_fraction']}, split_seed={p['split_seed']})"
    return Split(classes, rows[tr], rows[te], y[tr], y[te], how, col or None,
                 np.flatnonzero(~keep).tolist())


class TableFile(ByoSource):
    """A dataset read from one delimited text file (``csv:``, ``textcsv:``): the shared check and info.

    Subclasses give ``_table`` (read the file, check the named columns) and ``_validate`` (everything
    ``load`` would refuse, run by ``check`` so that it fails before any trial starts)."""

    want = "file"

    def _table(self, ctx: Any, p: dict[str, Any]) -> Table:
        raise NotImplementedError

    def _validate(self, table: Table, p: dict[str, Any]) -> None:
        raise NotImplementedError

    def _describe(self, table: Table, p: dict[str, Any], d: dict[str, Any]) -> None:
        """Add source-specific facts to ``info`` (none by default)."""

    def check(self, ctx: Any, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        p = {**self.defaults, **checked}
        self._validate(self._table(ctx, p), p)  # fail before any trial
        return checked

    def info(self, ctx: Any) -> dict[str, Any]:
        d = super().info(ctx)
        p = self.effective({})
        table = read_table(self.name, self.locate(ctx), p["delimiter"], p["encoding"])
        d.update(columns=table.header, n_rows=len(table.rows), delimiter=table.delimiter)
        self._describe(table, p, d)
        return d


TABLE_PARAMS = {
    **SPLIT_PARAMS,
    "split_column": Param(str, nullable=True, doc='column of train/test values (default: one named "split"; "" for none)'),
    "delimiter": Param(str, nullable=True, doc="field delimiter (default: sniffed; TAB for .tsv)"),
    "encoding": Param(str, doc="text encoding of the file"),
    "skip_bad": SKIP_BAD,
}
TABLE_DEFAULTS = {"test_fraction": 0.25, "split_seed": 0, "split_column": None, "delimiter": None,
                  "encoding": "utf-8", "skip_bad": False}
