"""What every table-backed source shares (``csv:``/``tsv:``/``parquet:``/``arff:``/``table:``, ``textcsv:``,
``openml:``, the named UCI tables): which column is the target, the labels and the train/test split, and
the coded feature matrix of the tabular contract (``classbench.datasets.tables``).

Labels: classes in the file's declared order (ARFF, Parquet dictionary) or sorted (numerically when every
label is a number). A row without a label is an error naming its line, unless ``skip_bad=true`` (then it is
dropped and listed). Split: a column named ``split`` (or ``split_column``; "" turns this off) with train/test
values, else a seeded stratified split (``test_fraction``, ``split_seed``).

Features: every other column except ``drop``; a raw (CSV) column whose present values all parse as numbers
is numeric (unless listed in ``categorical``), any other is nominal; a column with no value at all is left
out (listed in the provenance). Nothing is filled in, scaled or one-hot encoded here: that is the trial's
pipeline, fitted on the training rows of each trial.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, UserError
from ..params import Param
from .base import Dataset
from .byo import SKIP_BAD, SPLIT_PARAMS, ByoSource, split_stratified
from .tables.columns import column_meta, sort_labels, text_cells
from .tables.raw import RawTable


def names_list(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def need_columns(source: ByoSource, table: RawTable, names: list[str], param: str) -> list[str]:
    """The columns named (or positioned) by ``names``; UserError listing the table's columns otherwise."""
    return [table.resolve(source.name, n, param) for n in names]


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


def _split_column(source: ByoSource, table: RawTable, label_col: str, p: dict[str, Any]) -> str | None:
    col = p["split_column"]
    if col is None and "split" in table.names and label_col != "split":
        col = "split"
    return need_columns(source, table, [col], "split_column")[0] if col else None


def _split_values(table: RawTable, col: str, rows: np.ndarray) -> list[str]:
    labels, _ = table.column(col).labels()
    return [(labels[i] or "").lower() for i in rows]


def targets_and_split(source: ByoSource, table: RawTable, col: str, p: dict[str, Any]) -> Split:
    """Numeric regression targets and a seeded random split (or the split column's)."""
    column = table.column(col)
    if column.kind == "numeric":
        y_all, bad = column.values, np.zeros(table.n_rows, bool)
        raw = [format(v, "g") for v in y_all]
    else:
        from .tables.columns import parse_numbers

        labels, _ = column.labels()
        raw = [v or "" for v in labels]
        miss = np.array([v is None for v in labels])
        y_all, bad = parse_numbers(np.array(raw, dtype=object), miss)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"Dataset {source.name!r}: the regression target {col!r} must be numeric, but "
                        f"{table.place(i)} of {table.path} holds {raw[i]!r}. Fix the value, or use "
                        f"task=classification for class labels.")
    keep = ~np.isnan(y_all)
    if not keep.all() and not p["skip_bad"]:
        i = int(np.flatnonzero(~keep)[0])
        raise DataError(f"Dataset {source.name!r}: {table.place(i)} of {table.path} has no value in the target "
                        f"column {col!r}. Fill it in, or add skip_bad=true to drop such rows.")
    rows = np.flatnonzero(keep)
    y = y_all[rows]
    if not len(y) or np.ptp(y) == 0:
        raise DataError(f"Dataset {source.name!r}: the target column {col!r} of {table.path} is constant; there is "
                        f"nothing to regress. Is {col!r} the right column? Columns: {', '.join(map(repr, table.names))}.")
    split_col = _split_column(source, table, col, p)
    if split_col:
        values = _split_values(table, split_col, rows)
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
    return Split([], rows[tr], rows[te], y[tr], y[te], how, split_col, np.flatnonzero(~keep).tolist())


def labels_and_split(source: ByoSource, table: RawTable, label_col: str, p: dict[str, Any], unit: str,
                     keep: np.ndarray | None) -> Split:
    """Class labels and the train/test split of the rows where ``keep`` is True.

    Parameters
    ----------
    keep : bool array of shape (n_rows,), rows still in use (e.g. not dropped for an empty text); None: all
    """
    raw, declared = table.column(label_col).labels()
    keep = np.ones(len(raw), bool) if keep is None else keep.copy()
    no_label = [i for i, v in enumerate(raw) if keep[i] and v is None]
    if no_label and not p["skip_bad"]:
        where = ", ".join(table.place(i) for i in no_label[:5]) + (", ..." if len(no_label) > 5 else "")
        raise DataError(f"Dataset {source.name!r}: {len(no_label)} row(s) of {table.path} have no value in the label "
                        f"column {label_col!r} ({where}). Fill them in, or add skip_bad=true to drop those rows.")
    keep[no_label] = False
    rows = np.flatnonzero(keep)
    present = {raw[i] for i in rows}
    classes = [c for c in declared if c in present] if declared else sort_labels(list(present))
    if len(classes) < 2:
        raise DataError(f"Dataset {source.name!r}: the label column {label_col!r} of {table.path} holds "
                        f"{'one value only, ' + repr(classes[0]) if classes else 'no value'}; classification needs "
                        f"at least 2 classes. Is {label_col!r} the right column? Columns: "
                        f"{', '.join(map(repr, table.names))}.")
    if len(classes) > 20 and len(classes) > len(rows) // 3:
        try:
            vals = [float(c) for c in classes]
        except ValueError:
            vals = []
        if vals and any(not float(v).is_integer() for v in vals):
            raise DataError(f"Dataset {source.name!r}: the target column {label_col!r} of {table.path} holds "
                            f"{len(classes)} distinct numbers in {len(rows)} rows: it looks like a regression "
                            f"target, not class labels. Add task=regression (e.g. {source.scheme}:{source.path}?"
                            f"target={label_col}&task=regression) and use a regression model such as ridge-regression.")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[raw[i]] for i in rows], dtype=np.int64)
    col = _split_column(source, table, label_col, p)
    if col:
        values = _split_values(table, col, rows)
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
    return Split(classes, rows[tr], rows[te], y[tr], y[te], how, col, np.flatnonzero(~keep).tolist())


def class_counts(table: RawTable, col: str) -> dict[str, int]:
    labels, declared = table.column(col).labels()
    counts = Counter(v for v in labels if v is not None)
    order = declared or sort_labels(list(counts))
    return {c: counts[c] for c in order if c in counts}


def features(source: ByoSource, table: RawTable, skip: set[str], forced: set[str], max_categories: int | None,
             used: np.ndarray) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, Any]]:
    """The coded feature matrix of every column but ``skip``: (X of shape (n_rows, d), meta columns, summary).

    Parameters
    ----------
    used : int array of the rows in use; only they decide a raw column's type and categories
    """
    blocks, metas = [], []
    summary: dict[str, Any] = {"numeric": [], "nominal": {}, "all_missing": []}
    for col in table.columns:
        if col.name in skip:
            continue
        if col.kind == "string":
            raise UserError(f"Dataset {source.name!r}: column {col.name!r} of {table.path} is a string attribute "
                            f"(free text), which a tabular model cannot take. Leave it out (drop={col.name}), or read "
                            f"the file as a text dataset (text={col.name}).")
        if col.kind == "raw":
            kind, values, cats = _type_raw(col.values, used, col.name in forced)
        elif col.kind == "numeric" and col.name in forced:
            kind, values, cats = _type_raw(np.array([None if v != v else format(v, "g") for v in col.values],
                                                    dtype=object), used, True)
        else:
            kind, values, cats = col.kind, col.values, col.categories
        if np.isnan(values[used]).all():
            summary["all_missing"].append(col.name)
            continue
        if col.kind == "raw" and kind == "nominal" and max_categories and len(cats) > max_categories:
            raise UserError(f"Dataset {source.name!r}: column {col.name!r} of {table.path} has {len(cats)} distinct "
                            f"values (more than max_categories={max_categories}); one-hot encoding it would add that "
                            f'many columns. Drop it (drop="{col.name}") or raise max_categories.')
        blocks.append(values)
        metas.append(column_meta(col.name, kind, cats))
        if kind == "numeric":
            summary["numeric"].append(col.name)
        else:
            summary["nominal"][col.name] = len(cats or ())
    if not blocks:
        raise DataError(f"Dataset {source.name!r}: {table.path} has no feature column left besides the target "
                        f"and the columns left out. Columns: {', '.join(map(repr, table.names))}.")
    return np.stack(blocks, axis=1).astype(np.float64), metas, summary


def _type_raw(values: np.ndarray, used: np.ndarray, force_nominal: bool) -> tuple[str, np.ndarray, list[str] | None]:
    """Type a raw column on the rows in use, then code every row (rows not in use may become NaN)."""
    from .tables.columns import code_cells, parse_numbers

    cells, miss = text_cells(values)
    if not force_nominal:
        nums, bad = parse_numbers(cells, miss)
        if not bad[used].any():
            return "numeric", nums, None
    cats = sort_labels(cells[used][~miss[used]].tolist())
    return "nominal", code_cells(cells, miss, cats), cats


def tabular_dataset(source: ByoSource, table: RawTable, p: dict[str, Any], target: str, sp: Split,
                    provenance: dict[str, Any], drop: list[str] | None = None) -> Dataset:
    """The tabular ``Dataset`` of ``table``: the contract's coded float64 X and ``meta["columns"]``.

    ``drop``: the columns left out (default: ``p["drop"]``, names or positions).
    """
    tr, te = sp.train, sp.test
    drop = set(need_columns(source, table, names_list(p.get("drop")), "drop") if drop is None else drop)
    forced = set(need_columns(source, table, names_list(p.get("categorical")), "categorical"))
    skip = {target, *drop} | ({sp.column} if sp.column else set())
    X, metas, summary = features(source, table, skip, forced, p.get("max_categories"), np.sort(np.r_[tr, te]))
    return Dataset(
        name=source.name, X_train=X[tr], y_train=sp.y_train, X_test=X[te], y_test=sp.y_test,
        classes=sp.classes, modality="tabular", task=p.get("task", "classification"),
        provenance={**provenance, "format": table.fmt, "n_rows": table.n_rows, "n_used": int(len(tr) + len(te)),
                    "split": sp.how, "target": target, "columns": summary, "left_out": sorted(drop),
                    "skipped_rows": [table.place(i) for i in sp.skipped[:100]], "n_skipped": len(sp.skipped),
                    **{k: v for k, v in table.details.items() if k in ("delimiter", "replaced_bytes", "header",
                                                                       "relation")},
                    "missing_rule": "missing cells are NaN; the trial's pipeline imputes them (fitted on its "
                                    "training rows)", "params": p},
        meta={"columns": metas, "feature_names": [m["name"] for m in metas]},
    )


class TableFile(ByoSource):
    """A dataset read from one table file: the shared check and info.

    Subclasses give ``_table`` (read the file, check the named columns) and ``_validate`` (everything
    ``load`` would refuse, run by ``check`` so that it fails before any trial starts)."""

    want = "file"

    def _table(self, ctx: Any, p: dict[str, Any]) -> RawTable:
        raise NotImplementedError

    def _validate(self, table: RawTable, p: dict[str, Any]) -> None:
        raise NotImplementedError

    def _describe(self, table: RawTable, p: dict[str, Any], d: dict[str, Any]) -> None:
        """Add source-specific facts to ``info`` (none by default)."""

    def check(self, ctx: Any, **params: Any) -> dict[str, Any]:
        checked = super().check(ctx, **params)
        p = {**self.defaults, **checked}
        self._validate(self._table(ctx, p), p)  # fail before any trial
        return checked

    def info(self, ctx: Any) -> dict[str, Any]:
        d = super().info(ctx)
        p = self.effective({})
        table = self._table(ctx, p)
        d.update(columns=table.names, n_rows=table.n_rows, format=table.fmt,
                 **{k: v for k, v in table.details.items() if k in ("delimiter", "header", "relation")})
        self._describe(table, p, d)
        return d


TABLE_PARAMS = {
    **SPLIT_PARAMS,
    "split_column": Param(str, nullable=True, doc='column of train/test values (default: one named "split"; "" for none)'),
    "delimiter": Param(str, nullable=True, doc="field delimiter (default: sniffed; TAB for .tsv)"),
    "encoding": Param(str, doc="text encoding of the file"),
    "header": Param(str, choices=("auto", "first", "none"),
                    doc="first: the first row names the columns; none: no header, columns are named 0, 1, ...; "
                        "auto: a header unless the first row holds numbers where the other rows do"),
    "skip_bad": SKIP_BAD,
}
TABLE_DEFAULTS = {"test_fraction": 0.25, "split_seed": 0, "split_column": None, "delimiter": None,
                  "encoding": "utf-8", "header": "auto", "skip_bad": False}
