"""The table every reader returns: named columns, typed where the file declares types, and where each row
came from (a line of a CSV or ARFF file, a row of a Parquet file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import UserError

#: kinds of a column: "raw" (strings still to be typed, CSV), "numeric" and "nominal" (float64 values or
#: codes with NaN for missing), "string" (free text, ARFF's string attribute: object array, None missing)
KINDS = ("raw", "numeric", "nominal", "string")


@dataclass
class Column:
    """One column. ``values`` has shape (n_rows,): object array of str for "raw" and "string", float64
    for "numeric" and "nominal" (codes into ``categories``)."""

    name: str
    kind: str
    values: np.ndarray
    categories: list[str] | None = None

    def labels(self) -> tuple[list[str | None], list[str] | None]:
        """(each row's value as text, None where missing; the declared order of the values or None)."""
        from .columns import text_cells

        if self.kind == "nominal":
            cats = self.categories or []
            return [None if v != v else cats[int(v)] for v in self.values], list(cats)
        if self.kind == "numeric":
            return [None if v != v else format(float(v), "g") for v in self.values], None
        cells, miss = text_cells(self.values)
        return [None if m else c for c, m in zip(cells, miss)], None


@dataclass
class RawTable:
    """Columns of equal length; ``places[i]`` is the line (or row) number row i came from."""

    path: Path
    columns: list[Column]
    places: list[int]
    unit: str = "line"
    fmt: str = "csv"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def n_rows(self) -> int:
        return len(self.places)

    def place(self, i: int) -> str:
        return f"{self.unit} {self.places[i]}"

    def column(self, name: str) -> Column:
        return self.columns[self.names.index(name)]

    def resolve(self, dataset: str, spec: str, param: str) -> str:
        """The column named ``spec``, else the one at position ``spec`` (0-based, negative from the end).

        A name wins over a position: in a table whose columns are named 0..d-1 (``header=none``) both agree.
        """
        names = self.names
        if spec in names:
            return spec
        try:
            k = int(spec)
        except ValueError:
            k = None
        if k is not None and -len(names) <= k < len(names):
            return names[k]
        where = (f"; as a position it must lie in {-len(names)}..{len(names) - 1}" if k is not None else "")
        raise UserError(f"Dataset {dataset!r}: {param}={spec!r} is neither a column of {self.path} nor a column "
                        f"position{where}. Its columns: {', '.join(map(repr, names[:40]))}"
                        f"{' ...' if len(names) > 40 else ''} (a position counts from 0; -1 is the last).")
