"""Your own table: ``csv:PATH?target=COL`` (CSV or TSV with a header row; Parquet when pyarrow is installed).

Rules, in order (all statistics come from the TRAIN split only, so nothing leaks from the test split):

* Reading: the stdlib ``csv`` module; the delimiter is ``delimiter`` or sniffed among , ; TAB | (TAB for
  .tsv). Text is decoded with ``encoding`` (utf-8); undecodable bytes become U+FFFD and are counted in
  the provenance. Blank lines are skipped; a row with the wrong number of fields is an error naming its line.
* Missing values: an empty cell, NA, N/A, NaN, null, None or ? (any case); inf counts as missing in a
  numeric column.
* Target: the column ``target`` (required); any labels (strings included), classes sorted (numerically
  when every label is a number). A row without a label is an error (``skip_bad=true`` drops such rows).
  Fewer than 2 classes is an error.
* Split: a column named ``split`` (or ``split_column``; "" turns this off) with values train/test gives the
  split; otherwise a seeded stratified split (``test_fraction``, ``split_seed``).
* Features: every other column except ``drop="a,b"``. A column whose non-missing values all parse as numbers
  is numeric (unless listed in ``categorical="a,b"``), any other column is categorical; a column with no
  value at all is dropped.
* Numeric: missing -> the train median (0 when the train split has none), plus a 0/1 column
  ``COL__missing`` when the column has any missing value; then standardized with the train mean and
  standard deviation (``standardize=false`` keeps raw values; the indicator is never scaled).
* Categorical: one-hot over the categories seen in the train split (sorted); a missing value is its own
  category "(missing)"; a category not seen in training encodes as all zeros. More than ``max_categories``
  train categories is an error (an ID column, usually: drop it).
* X is float32 of shape (n, d); ``meta["feature_names"]`` names the d columns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .base import DataContext, Dataset
from .byo_tables import (
    MISSING_CAT,
    TABLE_DEFAULTS,
    TABLE_PARAMS,
    Split,
    Table,
    TableFile,
    is_missing,
    labels_and_split,
    need_columns,
    read_table,
    targets_and_split,
)


def _names(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


class CsvTable(TableFile):
    scheme = "csv"
    modality = "tabular"
    param_space = {
        **TABLE_PARAMS,
        "target": Param(str, nullable=True, doc="the column holding the class labels (required)"),
        "drop": Param(str, nullable=True, doc="comma list of columns to leave out (e.g. an id column)"),
        "categorical": Param(str, nullable=True, doc="comma list of numeric-looking columns to one-hot instead"),
        "standardize": Param(bool, doc="scale numeric columns with the train mean and standard deviation"),
        "max_categories": Param(int, low=2, doc="most distinct train values a categorical column may have"),
        "task": Param(str, choices=("classification", "regression"), doc="regression: a numeric target"),
    }
    defaults = {**TABLE_DEFAULTS, "target": None, "drop": None, "categorical": None, "standardize": True,
                "max_categories": 100, "task": "classification"}

    @property
    def task(self) -> str:  # type: ignore[override]
        return self.effective({})["task"]

    def _table(self, ctx: DataContext, p: dict[str, Any]) -> Table:
        table = read_table(self.name, self.locate(ctx), p["delimiter"], p["encoding"])
        if not p["target"]:
            raise UserError(f"Dataset {self.name!r}: say which column holds the class labels, e.g. "
                            f"csv:{self.path}?target=COLUMN. Columns of {table.path}: "
                            f"{', '.join(map(repr, table.header))}.")
        need_columns(self, table, [p["target"]], "target")
        need_columns(self, table, _names(p["drop"]) + _names(p["categorical"]), "drop/categorical")
        if p["target"] in _names(p["drop"]):
            raise UserError(f"Dataset {self.name!r}: the target column {p['target']!r} is also listed in drop.")
        return table

    def _split(self, table: Table, p: dict[str, Any]) -> Split:
        if p["task"] == "regression":
            return targets_and_split(self, table, p["target"], p)
        return labels_and_split(self, table, p["target"], p, "rows", None)

    def _validate(self, table: Table, p: dict[str, Any]) -> None:
        self._split(table, p)

    def _describe(self, table: Table, p: dict[str, Any], d: dict[str, Any]) -> None:
        if p["target"] in table.header:
            from collections import Counter

            d["class_counts"] = dict(sorted(Counter(v.strip() for v in table.column(p["target"])).items()))

    def load(self, ctx: DataContext, **params: Any) -> Dataset:
        from ._fetch import sha256_file

        p = self.effective(params)
        table = self._table(ctx, p)
        sp = self._split(table, p)
        tr, te = sp.train, sp.test
        skip = {p["target"], sp.column, *_names(p["drop"])}
        forced = set(_names(p["categorical"]))
        unused = np.ones(len(table.rows), bool)
        unused[np.r_[tr, te]] = False
        blocks: list[np.ndarray] = []
        names: list[str] = []
        kinds: dict[str, Any] = {"numeric": [], "categorical": {}, "all_missing": []}
        steps: list[dict[str, Any]] = []  # what `classbench predict` must redo on raw rows
        for j, col in enumerate(table.header):
            if col in skip:
                continue
            cells = [row[j].strip() for row in table.rows]
            miss = np.array([is_missing(c) for c in cells]) | unused  # skipped rows do not decide the type
            if miss.all():
                kinds["all_missing"].append(col)
                continue
            nums = _as_numbers(cells, miss) if col not in forced else None
            if nums is not None:
                has_nan = bool(np.isnan(nums[~unused]).any())
                col_blocks, stats = _numeric(nums, tr, p["standardize"], has_nan)
                blocks += col_blocks
                names += [col] + ([f"{col}__missing"] if has_nan else [])
                steps.append({"name": col, "kind": "numeric", **stats, "indicator": has_nan})
                kinds["numeric"].append(col)
            else:
                tokens = np.array([MISSING_CAT if m else c for c, m in zip(cells, miss)], dtype=object)
                cats = sorted(set(tokens[tr].tolist()))
                if len(cats) > p["max_categories"]:
                    raise UserError(f"Dataset {self.name!r}: column {col!r} of {table.path} has {len(cats)} "
                                    f"distinct values in the train split (more than max_categories="
                                    f"{p['max_categories']}); one-hot encoding it would add that many columns. "
                                    f'Drop it (drop="{col}") or raise max_categories.')
                blocks.append((tokens[:, None] == np.array(cats, dtype=object)[None, :]).astype(np.float32))
                names += [f"{col}={c}" for c in cats]
                kinds["categorical"][col] = len(cats)
                steps.append({"name": col, "kind": "categorical", "categories": cats})
        if not blocks:
            raise DataError(f"Dataset {self.name!r}: {table.path} has no feature column left besides the target "
                            f"{p['target']!r}. Columns: {', '.join(map(repr, table.header))}.")
        X = np.hstack([b if b.ndim == 2 else b[:, None] for b in blocks]).astype(np.float32)
        return Dataset(
            name=self.name, X_train=X[tr], y_train=sp.y_train, X_test=X[te], y_test=sp.y_test,
            classes=sp.classes, modality="tabular", task=p["task"],
            provenance={"source": "csv", "path": str(table.path), "n_files": 1, "sha256": sha256_file(table.path),
                        "n_rows": len(table.rows), "n_used": int(len(tr) + len(te)), "split": sp.how,
                        "delimiter": table.delimiter, "replaced_bytes": table.replaced, "columns": kinds,
                        "skipped_rows": [table.place(i) for i in sp.skipped[:100]], "n_skipped": len(sp.skipped),
                        "missing_rule": "numeric: train median + COL__missing indicator; categorical: own "
                                        "'(missing)' category; unseen categories: all zeros",
                        "params": p, "pipeline": {"columns": steps}},
            meta={"feature_names": names},
        )


def _as_numbers(cells: list[str], miss: np.ndarray) -> np.ndarray | None:
    """Float array with NaN for missing (and inf) cells, or None if some present cell is not a number."""
    out = np.full(len(cells), np.nan)
    for i, (c, m) in enumerate(zip(cells, miss)):
        if m:
            continue
        try:
            v = float(c)
        except ValueError:
            return None
        out[i] = v if math.isfinite(v) else np.nan
    return out


def _numeric(v: np.ndarray, tr: np.ndarray, standardize: bool,
             indicator: bool) -> tuple[list[np.ndarray], dict[str, float]]:
    """The filled (and scaled) column and, if asked, its missing indicator; and the train statistics used
    (``median`` fills missing cells, then ``(x - mean) / std``), which `classbench predict` applies again.

    Parameters
    ----------
    v : float array of shape (n,) with NaN for missing
    """
    train = v[tr]
    train = train[~np.isnan(train)]
    median = float(np.median(train)) if len(train) else 0.0
    filled = np.where(np.isnan(v), median, v)
    mu, sd = 0.0, 1.0
    if standardize:
        mu, sd = float(filled[tr].mean()), float(filled[tr].std())
        sd = sd if sd > 1e-12 else 1.0
        filled = (filled - mu) / sd
    out = [filled.astype(np.float32)]
    if indicator:
        out.append(np.isnan(v).astype(np.float32))
    return out, {"median": median, "mean": mu, "std": sd}
