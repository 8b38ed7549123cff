"""Column typing and coding: raw cells -> float64 (numbers, or category codes), and ``encode_frame``.

Missing cells: empty, NA, N/A, NaN, null, None or ? (any case, surrounding spaces ignored); inf and -inf
in a numeric column count as missing too. A raw column whose present cells all parse as numbers is
numeric, any other is nominal with its distinct values sorted (numerically when all are numbers).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...errors import DataError, UserError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


def is_missing(cell: Any) -> bool:
    if cell is None or (isinstance(cell, float) and cell != cell):
        return True
    return str(cell).strip().lower() in MISSING


def sort_labels(labels: Sequence[str]) -> list[str]:
    """Distinct labels sorted: numerically when all are numbers ("2" before "10"), else as text."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=lambda s: (float(s), s))
    except ValueError:
        return sorted(distinct)


def _series(values: Any) -> Any:
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def text_cells(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(stripped cells as an object array of str, missing mask) of raw cells of shape (n,)."""
    s = _series(values)
    absent = s.isna().to_numpy()
    text = s.where(~absent, "").astype(str).str.strip()
    miss = absent | text.str.lower().isin(MISSING).to_numpy()
    return text.to_numpy(dtype=object), miss


def parse_numbers(cells: np.ndarray, miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values with NaN for missing and for inf, bool mask of present cells that are not numbers).

    Parameters
    ----------
    cells : object array of str of shape (n,); miss : bool array of shape (n,)
    """
    import pandas as pd

    nums = pd.to_numeric(pd.Series(np.where(miss, "nan", cells), dtype=object), errors="coerce")
    out = np.array(nums.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)
    bad = np.isnan(out) & ~miss
    out[~np.isfinite(out)] = np.nan
    return out, bad


def code_cells(cells: np.ndarray, miss: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Float64 codes of ``cells`` in ``categories``; NaN for missing and for values not in it.

    Parameters
    ----------
    cells : object array of str of shape (n,); miss : bool array of shape (n,)
    """
    import pandas as pd

    codes = pd.Categorical(np.where(miss, None, cells), categories=list(categories)).codes.astype(np.float64)
    codes[codes < 0] = np.nan
    return codes


def _category_key(value: Any) -> str:
    """How a raw value is spelled when looked up among categories (1.0 -> "1", True -> "true")."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def encode_frame(frame: Any, columns: list[dict[str, Any]]) -> np.ndarray:
    """Raw rows -> the coded float64 matrix a tabular model was trained on.

    Parameters
    ----------
    frame : pandas DataFrame of n rows holding (at least) the columns named in ``columns``, with strings or
        numbers as cells; extra columns (e.g. the target) are ignored.
    columns : list of d dicts, the training dataset's ``meta["columns"]``

    Returns
    -------
    X : float64 array of shape (n, d). Numeric columns: the numbers, NaN where missing (the markers of
        ``MISSING``, inf). Nominal columns: the category's code, NaN where missing AND where the value is
        not among the training categories (an unseen category is treated as a missing value).

    Raises UserError naming the absent columns, or a cell of a numeric column that is not a number.
    """
    import pandas as pd

    absent = [c["name"] for c in columns if c["name"] not in frame.columns]
    if absent:
        raise UserError(f"The rows lack column(s) {', '.join(map(repr, absent))} that the model was trained on. "
                        f"Columns needed: {', '.join(repr(c['name']) for c in columns)}; columns given: "
                        f"{', '.join(map(repr, map(str, frame.columns)))}.")
    X = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):
        series = frame[col["name"]]
        if col["kind"] == "numeric":
            if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                vals = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)
                vals[~np.isfinite(vals)] = np.nan
            else:
                cells, miss = text_cells(series.to_numpy(dtype=object))
                vals, bad = parse_numbers(cells, miss)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise DataError(f"Row {i + 1}, column {col['name']!r}: {cells[i]!r} is not a number, and the "
                                    f"model was trained on that column as numeric. Fix the value (or leave the "
                                    f"cell empty for a missing value).")
            X[:, j] = vals
        elif col["kind"] == "nominal":
            raw = series.to_numpy(dtype=object)
            miss = np.array([is_missing(v) for v in raw], dtype=bool)
            index = {c: float(i) for i, c in enumerate(col["categories"])}
            lower = {c.lower(): v for c, v in index.items()} if all(c in ("true", "false") for c in index) else {}
            X[:, j] = [np.nan if m else index.get(_category_key(v), lower.get(_category_key(v).lower(), np.nan))
                       for v, m in zip(raw, miss)]
        else:
            raise ValueError(f"column {col['name']!r}: unknown kind {col['kind']!r} (numeric or nominal)")
    return X


def column_meta(name: str, kind: str, categories: Sequence[str] | None = None) -> dict[str, Any]:
    """One entry of ``meta["columns"]``."""
    if kind == "nominal":
        return {"name": name, "kind": "nominal", "categories": [str(c) for c in categories or ()]}
    return {"name": name, "kind": "numeric"}
