"""ARFF (Weka's and OpenML's format) through liac-arff, the reader OpenML's own client uses.

Attributes: NUMERIC / REAL / INTEGER -> numeric; ``{a, b, ...}`` -> nominal, coded in the declared order;
STRING -> a text column. ``?`` is a missing value; quoted values (with spaces, commas, escaped quotes)
are unquoted; sparse rows (``{0 x, 3 y}``) are expanded, an omitted value being 0 (a nominal
attribute's first value), as Weka reads them. DATE and relational attributes are not read: the error
names the line. A defect (unknown nominal value, a number that is not one, a row with too many values)
is an error naming the file, the line and, where it can be told, the attribute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from .raw import Column, RawTable


def _data_lines(lines: list[str]) -> list[int]:
    """1-based numbers of the lines liac-arff reads as data rows (after @DATA; not blank, not a % comment)."""
    start = next((i for i, line in enumerate(lines) if line.strip().upper().startswith("@DATA")), len(lines))
    return [i + 1 for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].strip().startswith("%")]


def _which_attribute(arff: Any, line: str, attributes: list[tuple[str, Any]]) -> str:
    """The first attribute whose value on ``line`` cannot be read, as " (attribute NAME: value V)"; or ""."""
    try:
        values = arff._parse_values(line.strip())
    except Exception:  # noqa: BLE001 - a line liac-arff cannot even split: nothing more to say
        return ""
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for j, v in items:
        if v is None or j >= len(attributes):
            continue
        name, typ = attributes[j]
        if isinstance(typ, (list, tuple)):
            if v not in typ and not (isinstance(values, dict) and v == 0):
                return f" (attribute {name!r}: value {v!r} is not one of its declared values {{{', '.join(typ)}}})"
        elif typ in ("NUMERIC", "REAL", "INTEGER"):
            try:
                float(v)
            except ValueError:
                return f" (attribute {name!r}: {v!r} is not a number)"
    return ""


def _header_attributes(arff: Any, lines: list[str]) -> list[tuple[str, Any]]:
    """The declared attributes (name, type), read from the header alone; [] when it cannot be read."""
    start = next((i for i, line in enumerate(lines) if line.strip().upper().startswith("@DATA")), None)
    if start is None:
        return []
    try:
        return arff.ArffDecoder().decode(lines[: start + 1])["attributes"]
    except Exception:  # noqa: BLE001 - the header itself is broken: the error names its line already
        return []


def read_arff(dataset: str, path: Path, encoding: str = "utf-8") -> RawTable:
    """Read an ARFF file into typed columns; DataError naming the file and line on any defect."""
    import arff

    from ..byo import decode_text

    text, replaced = decode_text(path.read_bytes(), encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    decoder = arff.ArffDecoder()
    try:
        obj = decoder.decode(lines, encode_nominal=True)
    except arff.ArffException as exc:
        line = int(getattr(exc, "line", -1))
        where = lines[line - 1] if 0 < line <= len(lines) else ""
        what = _which_attribute(arff, where, _header_attributes(arff, lines)) if where else ""
        if isinstance(exc, arff.BadAttributeType):
            what = (" (liac-arff reads NUMERIC, REAL, INTEGER, nominal {...} and STRING attributes; DATE and "
                    "relational ones are not supported: convert or remove that attribute)")
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable ARFF file at line {line}{what}: {exc} "
                        f"The line reads: {where.strip()[:200]!r}.") from None
    except (ValueError, TypeError, IndexError, KeyError) as exc:  # liac-arff lets some defects through as these
        raise DataError(f"Dataset {dataset!r}: {path} is not a readable ARFF file ({type(exc).__name__}: {exc}).") \
            from None
    attributes = obj["attributes"]
    data = obj["data"]
    if not data:
        raise DataError(f"Dataset {dataset!r}: {path} has no data rows after @DATA.")
    places = _data_lines(lines)
    if len(places) != len(data):  # liac-arff skipped or joined lines we did not expect: number the rows instead
        places, unit = list(range(1, len(data) + 1)), "row"
    else:
        unit = "line"
    cells = np.empty((len(data), len(attributes)), dtype=object)
    cells[:] = data
    columns = []
    for j, (name, typ) in enumerate(attributes):
        col = cells[:, j]
        absent = np.array([v is None for v in col], dtype=bool)
        if typ == "STRING":
            columns.append(Column(str(name), "string", np.where(absent, None, col).astype(object)))
            continue
        values = np.where(absent, np.nan, col).astype(np.float64)
        if isinstance(typ, (list, tuple)):
            columns.append(Column(str(name), "nominal", values, [str(v) for v in typ]))
        else:
            values[~np.isfinite(values)] = np.nan
            columns.append(Column(str(name), "numeric", values))
    return RawTable(path, columns, places, unit, "arff",
                    {"relation": obj.get("relation", ""), "replaced_bytes": replaced})
