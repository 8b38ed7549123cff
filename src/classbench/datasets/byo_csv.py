"""Your own table: ``csv:``/``tsv:``/``parquet:``/``arff:`` or ``table:PATH`` (any of them, by extension).

* Reading (``classbench.datasets.tables``): CSV/TSV with pandas (``header=auto|first|none``, ``delimiter``,
  ``encoding``), Parquet with pyarrow, ARFF with liac-arff (nominal attributes in their declared order, ``?``
  missing, quoted values, sparse rows). ``csv:`` and ``table:`` pick the reader by extension (.parquet/.pq,
  .arff, else delimited text); ``tsv:`` means TAB-delimited.
* Target: ``target`` names the column, or gives its position (``target=-1``: the last, ``target=0``: the
  first; a column's name wins over a position). ARFF files default to their last attribute (Weka's
  convention); other files must say. ``task=regression`` wants a numeric target.
* Labels, split, features: see ``byo_tables``. X is float64 (n, d) with NaN for missing values and category
  codes for nominal columns; ``meta["columns"]`` describes them. Nothing is imputed, scaled or one-hot
  encoded here: the trial does it on its own training rows.
* An ARFF file with a STRING attribute (e.g. Reuters) is a text dataset: X holds that column's texts
  (``text=NAME`` picks one when there are several); other attributes are left out and listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .base import DataContext, Dataset
from .byo_tables import (
    TABLE_DEFAULTS,
    TABLE_PARAMS,
    Split,
    TableFile,
    class_counts,
    labels_and_split,
    names_list,
    need_columns,
    tabular_dataset,
    targets_and_split,
)
from .tables.raw import RawTable


class CsvTable(TableFile):
    scheme: ClassVar[str] = "csv"
    reader: ClassVar[str] = "any"  # "any" (by extension), "delimited", "parquet", "arff"
    param_space = {
        **TABLE_PARAMS,
        "target": Param(str, nullable=True, doc="the class (or regression target) column: a name, or a position "
                                                "such as -1 (last) or 0 (first); ARFF default: the last attribute"),
        "drop": Param(str, nullable=True, doc="comma list of columns to leave out (e.g. an id column)"),
        "categorical": Param(str, nullable=True, doc="comma list of numeric-looking columns to treat as nominal"),
        "max_categories": Param(int, low=2, doc="most distinct values a column typed as nominal from text may have"),
        "task": Param(str, choices=("classification", "regression"), doc="regression: a numeric target"),
        "text": Param(str, nullable=True, doc="ARFF: the STRING attribute that makes it a text dataset"),
    }
    defaults = {**TABLE_DEFAULTS, "target": None, "drop": None, "categorical": None, "max_categories": 100,
                "task": "classification", "text": None}

    def __init__(self, name: str, path: str, query: dict | None = None):
        super().__init__(name, path, query)
        self._cached: tuple[tuple, RawTable] | None = None
        self._modality: str | None = None

    @property
    def task(self) -> str:  # type: ignore[override]
        return self.effective({})["task"]

    def _typed(self, params: dict[str, Any]) -> dict[str, Any]:
        if "standardize" in {**self.query, **params}:
            raise UserError(f"Dataset {self.name!r}: standardize is no longer a parameter of the table loader. The "
                            f"loader now keeps the raw numbers (NaN for missing values) and each trial imputes, "
                            f"scales and one-hot encodes on its own training rows, so no fold sees another's "
                            f"statistics. Remove standardize=... from the dataset name.")
        return super()._typed(params)

    @property
    def modality(self) -> str:  # type: ignore[override]
        """"text" for an ARFF file with a STRING attribute in use, else "tabular" (known once checked)."""
        if self._modality is None:
            if self._format(Path(self.path)) != "arff":
                return "tabular"
            try:
                ctx = DataContext.from_env(download=False)
                p = self.effective({})
                self._modality = "text" if self._text_column(self._read(ctx, p), p) else "tabular"
            except UserError:
                return "tabular"
        return self._modality

    # ------------------------------------------------------------------------------------------ reading
    def _format(self, path: Path) -> str:
        if self.reader != "any":
            return self.reader
        suffix = path.suffix.lower()
        return "parquet" if suffix in (".parquet", ".pq") else "arff" if suffix == ".arff" else "delimited"

    def _read(self, ctx: DataContext, p: dict[str, Any]) -> RawTable:
        from .tables.delimited import read_delimited, read_parquet

        path = self.locate(ctx)
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, p["delimiter"], p["encoding"], p["header"])
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        fmt = self._format(path)
        if fmt == "parquet":
            table = read_parquet(self.name, path)
        elif fmt == "arff":
            from .tables.arff import read_arff

            table = read_arff(self.name, path, p["encoding"])
        else:
            table = read_delimited(self.name, path, p["delimiter"], p["encoding"], p["header"])
        self._cached = (key, table)
        return table

    def _default_target(self, table: RawTable) -> str | None:
        """The target when none is given: ARFF's last attribute (Weka's convention); None: must be given."""
        return table.names[-1] if table.fmt == "arff" else None

    def _dropped(self, table: RawTable, p: dict[str, Any]) -> list[str]:
        """The columns left out: ``drop`` (names or positions)."""
        return need_columns(self, table, names_list(p["drop"]), "drop")

    def _target(self, table: RawTable, p: dict[str, Any]) -> str:
        if p["target"] is None:
            default = self._default_target(table)
            if default is not None:
                return default
            raise UserError(f"Dataset {self.name!r}: say which column holds the class labels, by name or by position, "
                            f"e.g. {self.scheme}:{self.path}?target=COLUMN or ?target=-1 for the last column. Columns of "
                            f"{table.path}: {', '.join(map(repr, table.names[:40]))}"
                            f"{' ...' if len(table.names) > 40 else ''}.")
        return table.resolve(self.name, p["target"], "target")

    def _text_column(self, table: RawTable, p: dict[str, Any]) -> str | None:
        """The STRING column that makes this a text dataset, or None (tabular)."""
        if p["text"]:
            name = table.resolve(self.name, p["text"], "text")
            if table.column(name).kind != "string":
                raise UserError(f"Dataset {self.name!r}: text={p['text']!r} names column {name!r}, which is "
                                f"{table.column(name).kind}, not a STRING attribute of {table.path}.")
            return name
        dropped = set(self._dropped(table, p)) | {self._target(table, p)}
        strings = [c.name for c in table.columns if c.kind == "string" and c.name not in dropped]
        if len(strings) > 1:
            raise UserError(f"Dataset {self.name!r}: {table.path} has {len(strings)} STRING attributes "
                            f"({', '.join(map(repr, strings))}); say which one holds the texts with text=NAME (the "
                            f"others are left out), or drop them for a tabular dataset.")
        return strings[0] if strings else None

    def _table(self, ctx: DataContext, p: dict[str, Any]) -> RawTable:
        table = self._read(ctx, p)
        target = self._target(table, p)
        drop = self._dropped(table, p)
        need_columns(self, table, names_list(p["categorical"]), "categorical")
        if target in drop:
            raise UserError(f"Dataset {self.name!r}: the target column {target!r} is also listed in drop.")
        if self._text_column(table, p) == target:
            raise UserError(f"Dataset {self.name!r}: the target column {target!r} is the text column too.")
        return table

    def _split(self, table: RawTable, p: dict[str, Any]) -> Split:
        target = self._target(table, p)
        if p["task"] == "regression":
            return targets_and_split(self, table, target, p)
        return labels_and_split(self, table, target, p, "rows", None)

    def _validate(self, table: RawTable, p: dict[str, Any]) -> None:
        self._modality = "text" if self._text_column(table, p) else "tabular"
        self._split(table, p)

    def _describe(self, table: RawTable, p: dict[str, Any], d: dict[str, Any]) -> None:
        try:
            target = self._target(table, p)
        except UserError:
            return
        d["target"] = target
        if p["task"] == "classification":
            d["class_counts"] = class_counts(table, target)

    # --------------------------------------------------------------------------------------------- load
    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from ._fetch import sha256_file

        p = self.effective(params)
        table = self._table(ctx, p)
        sp = self._split(table, p)
        prov = {"source": self.scheme, "path": str(table.path), "n_files": 1, "sha256": sha256_file(table.path)}
        text = self._text_column(table, p)
        if text is None:
            return tabular_dataset(self, table, p, self._target(table, p), sp, prov, self._dropped(table, p))
        return text_dataset(self, table, text, self._target(table, p), sp, {**prov, "params": p})


def text_dataset(source: Any, table: RawTable, text: str, target: str, sp: Split, provenance: dict[str, Any]) -> Dataset:
    """A text ``Dataset`` from a table's STRING column (rows with no text are an error naming the first)."""
    values = table.column(text).values
    empty = [i for i in np.r_[sp.train, sp.test] if values[i] is None or not str(values[i]).strip()]
    if empty:
        raise DataError(f"Dataset {source.name!r}: {table.place(int(empty[0]))} of {table.path} has no text in "
                        f"{text!r} ({len(empty)} such row(s)). Fill them in or remove those rows.")
    X = np.empty(table.n_rows, dtype=object)
    X[:] = [str(v) if v is not None else "" for v in values]
    left_out = [c.name for c in table.columns if c.name not in (text, target, sp.column)]
    return Dataset(
        name=source.name, X_train=X[sp.train], y_train=sp.y_train, X_test=X[sp.test], y_test=sp.y_test,
        classes=sp.classes, modality="text",
        provenance={**provenance, "format": table.fmt, "n_rows": table.n_rows,
                    "n_used": int(len(sp.train) + len(sp.test)), "split": sp.how, "target": target,
                    "text_column": text, "left_out": left_out,
                    "skipped_rows": [table.place(i) for i in sp.skipped[:100]], "n_skipped": len(sp.skipped)},
    )


class TsvTable(CsvTable):
    scheme = "tsv"
    reader = "delimited"
    defaults = {**CsvTable.defaults, "delimiter": "\t"}


class ParquetTable(CsvTable):
    scheme = "parquet"
    reader = "parquet"


class ArffTable(CsvTable):
    scheme = "arff"
    reader = "arff"


class AnyTable(CsvTable):
    scheme = "table"
