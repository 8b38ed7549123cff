"""CSV/TSV through pandas, Parquet through pyarrow: into a ``RawTable`` of untyped ("raw") columns.

CSV/TSV: the text is decoded with ``encoding`` (undecodable bytes become U+FFFD and are counted); the
delimiter is given or sniffed among , ; TAB | (TAB for .tsv/.tab). pandas' C parser reads the cells as
strings; a pass of the stdlib ``csv`` tokenizer over the same text gives each record's line number and
field count, so that a row with the wrong number of fields (or an unclosed quote) is an error naming its
line. Blank lines are skipped; delimiters at the end of rows (empty extra fields) are ignored.

``header``: "first" (the first row names the columns), "none" (no header: columns are named by position,
"0", "1", ..., as pandas does with ``header=None``), or "auto" (default): the first row is data when every
column that is numeric in the other rows holds a number in it too (and at least one column is numeric),
as in UCI's header-less files (``0.0200,0.0371,...,R``); otherwise it is the header.

Parquet: pyarrow's schema types the columns: numbers stay numeric, booleans become nominal
("false", "true"), dictionary (pandas categorical) columns become nominal in their dictionary's order,
strings stay raw and are typed like CSV cells.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from .raw import Column, RawTable

PARQUET = (".parquet", ".pq")
HEADER_CHOICES = ("auto", "first", "none")


def _raise_field_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 10


def sniff_delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    sample = text[:65536]
    sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _structure(dataset: str, path: Path, text: str, delimiter: str
               ) -> tuple[list[int], list[int], int, list[int], int]:
    """(indices of non-blank records, their line numbers, the number of fields of the first one, the line
    each record ends on, the most fields of any record).

    Raises DataError naming the line of a record with another number of fields (empty trailing fields
    aside) or of a quoting error.
    """
    _raise_field_limit()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    keep, lines, width, ends, widest = [], [], None, [], 0
    try:
        for k, row in enumerate(reader):
            ends.append(reader.line_num)
            if not row or not "".join(row).strip():
                continue
            widest = max(widest, len(row))
            if width is None:
                width = len(row)
            elif len(row) != width and (len(row) < width or any(c.strip() for c in row[width:])):
                raise DataError(f"Dataset {dataset!r}: {path} line {reader.line_num} has {len(row)} field(s) but "
                                f"the first row has {width} (delimiter {delimiter!r}). Fix that line, or set "
                                f"delimiter=... if the file uses another one.")
            keep.append(k)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable CSV file at line {reader.line_num}: "
                        f"{exc}. Check the quotes on that line.") from None
    if width is None:
        raise DataError(f"Dataset {dataset!r}: {path} is empty; expected rows of {delimiter!r}-separated values.")
    return keep, lines, width, ends, widest


def _cells(dataset: str, path: Path, text: str, delimiter: str, ends: list[int], widest: int) -> np.ndarray:
    """Every record's cells as an object array of str of shape (n_records, >= width), via pandas.

    ``ends[k]`` is the line record k ends on (to name the line of a defect pandas reports by record).
    """
    import re

    import pandas as pd

    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, names=range(widest), dtype=object,
                            na_filter=False, keep_default_na=False, skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as exc:
        found = re.search(r"(?:row|line) (\d+)", str(exc))
        k = int(found.group(1)) if found else -1
        where = f" at line {ends[k - 1] + 1 if k > 0 else 1}" if 0 <= k <= len(ends) else ""
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable CSV file{where}: "
                        f"{str(exc).strip().removeprefix('Error tokenizing data. ')}. Check the quotes on that line.") \
            from None
    n_records = len(ends)
    cells = frame.to_numpy(dtype=object)
    if len(cells) != n_records:  # the tokenizers disagree (never seen): trust the stdlib one
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        cells = np.array([(r + [""] * widest)[:widest] for r in rows], dtype=object).reshape(len(rows), widest)
    return cells


def _looks_like_data(first: np.ndarray, rest: np.ndarray) -> bool:
    """Whether the first row holds numbers in every column that is numeric in the other rows (>= 1 such)."""
    from .columns import parse_numbers, text_cells

    numeric_cols = 0
    for j in range(first.shape[0]):
        cells, miss = text_cells(rest[:, j])
        if miss.all() or parse_numbers(cells, miss)[1].any():
            continue
        numeric_cols += 1
        head, head_miss = text_cells(first[j:j + 1])
        if head_miss[0] or parse_numbers(head, head_miss)[1][0]:
            return False
    return numeric_cols > 0


def read_delimited(dataset: str, path: Path, delimiter: str | None, encoding: str, header: str = "auto") -> RawTable:
    """Read a CSV/TSV file into raw string columns; DataError naming the file and line on any defect."""
    from ..byo import decode_text

    text, replaced = decode_text(path.read_bytes(), encoding)
    delimiter = delimiter or sniff_delimiter(path, text)
    keep, lines, width, ends, widest = _structure(dataset, path, text, delimiter)
    cells = _cells(dataset, path, text, delimiter, ends, widest)[keep, :width]
    if header == "auto":  # decided on the first 1,000 rows
        header = "first" if len(cells) < 2 or not _looks_like_data(cells[0], cells[1:1001]) else "none"
    if header == "first":
        names = [str(c).strip() or f"column_{j + 1}" for j, c in enumerate(cells[0])]
        dup = sorted({c for c in names if names.count(c) > 1})
        if dup:
            raise DataError(f"Dataset {dataset!r}: {path} has repeated column names in its header: "
                            f"{', '.join(map(repr, dup))}. Give every column a distinct name (or add header=none "
                            f"if the first row is data).")
        cells, lines = cells[1:], lines[1:]
        if not len(cells):
            raise DataError(f"Dataset {dataset!r}: {path} has a header but no data rows.")
    else:
        names = [str(j) for j in range(width)]
    columns = [Column(name, "raw", cells[:, j]) for j, name in enumerate(names)]
    return RawTable(path, columns, lines, "line", "csv",
                    {"delimiter": delimiter, "replaced_bytes": replaced, "header": header})


def read_parquet(dataset: str, path: Path) -> RawTable:
    """Read a Parquet file; DataError when pyarrow is missing or the file is unreadable."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"Dataset {dataset!r}: {path} is a Parquet file, and reading Parquet needs pyarrow, which "
                        f"is not installed. Install it with `pip install pyarrow`, or save the table as CSV.") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable Parquet file ({exc}).") from None
    if not table.num_rows:
        raise DataError(f"Dataset {dataset!r}: {path} has no rows.")
    columns = []
    for name, chunked in zip(table.column_names, table.columns):
        typ = chunked.type
        columns.append(_parquet_column(str(name), chunked.combine_chunks(), typ, pa))
    return RawTable(path, columns, list(range(1, table.num_rows + 1)), "row", "parquet", {})


def _parquet_column(name: str, arr: Any, typ: Any, pa: Any) -> Column:
    """One Arrow array as a Column (shape (n,)), typed by its Arrow type."""
    if pa.types.is_dictionary(typ):
        cats = [str(v) for v in arr.dictionary.to_pylist()]
        codes = arr.indices.to_numpy(zero_copy_only=False).astype(np.float64)
        codes[np.asarray(arr.is_null().to_numpy(zero_copy_only=False), bool)] = np.nan
        return Column(name, "nominal", codes, cats)
    if pa.types.is_boolean(typ):
        vals = arr.to_pylist()
        return Column(name, "nominal", np.array([np.nan if v is None else float(v) for v in vals]), ["false", "true"])
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        vals = np.array([np.nan if v is None else float(v) for v in arr.to_pylist()], dtype=np.float64)
        vals[~np.isfinite(vals)] = np.nan
        return Column(name, "numeric", vals)
    return Column(name, "raw", np.array([None if v is None else str(v) for v in arr.to_pylist()], dtype=object))


def read_any(dataset: str, path: Path, delimiter: str | None, encoding: str, header: str) -> RawTable:
    """Dispatch on the file's extension: Parquet, ARFF, else delimited text."""
    suffix = path.suffix.lower()
    if suffix in PARQUET:
        return read_parquet(dataset, path)
    if suffix == ".arff":
        from .arff import read_arff

        return read_arff(dataset, path, encoding)
    return read_delimited(dataset, path, delimiter, encoding, header)
