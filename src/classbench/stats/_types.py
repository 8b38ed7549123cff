"""Result records of the statistics package: frozen, JSON-able through ``to_dict``."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


def _clean(value: Any) -> Any:
    """JSON-able copy: numpy scalars to Python numbers, NaN and infinities to None, arrays to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _clean(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    return value


@dataclass(frozen=True)
class PairTest:
    """One paired comparison of model ``a`` against model ``b``.

    ``diff`` is the mean of ``a - b`` (positive: ``a`` scored higher); ``ci_low``/``ci_high`` bound that
    difference; ``n01`` (``a`` wrong, ``b`` right) and ``n10`` (``a`` right, ``b`` wrong) are McNemar's
    discordant counts; ``df`` the degrees of freedom of a t or F statistic; ``note`` says anything the
    numbers alone do not (e.g. why a p-value is missing).
    """

    method: str
    statistic: float
    p_value: float
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n01: int | None = None
    n10: int | None = None
    df: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON: NaN and infinities become None."""
        return _clean(asdict(self))


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman's test over ``n_datasets`` blocks and ``n_models`` treatments, with the Iman-Davenport F.

    ``mean_ranks`` has one entry per model (rank 1 = best), in the column order of the scores.
    ``chi2`` is tie-corrected unless ``tie_corrected`` is False (Demšar's 2006 formula has no correction).
    """

    chi2: float
    p_value: float
    iman_davenport_f: float
    iman_davenport_p: float
    df1: int
    df2: int
    n_datasets: int
    n_models: int
    mean_ranks: tuple[float, ...] = field(default_factory=tuple)
    tie_corrected: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON: NaN and infinities become None."""
        return _clean(asdict(self))
