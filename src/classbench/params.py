"""Declared hyperparameters: type, range or choices; checked before any training starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import UserError


@dataclass(frozen=True)
class TuneRange:
    """A tuning range narrower than (or, for unbounded parameters, absent from) the validation range.

    Either ``low``/``high`` (inclusive; ``log`` None means log scale when ``low > 0`` and ``high / low >= 100``)
    or ``choices`` (any values the parameter accepts, e.g. ``(None, 8, 16)`` or hidden sizes ``((128,), (256, 256))``).
    Used by ``classbench.tune`` to derive a model's search space.
    """

    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    log: bool | None = None


@dataclass(frozen=True)
class Param:
    """One hyperparameter's contract.

    kind : int, float, str, bool, or "seq" for a list/tuple of ints (e.g. hidden sizes)
    low/high : inclusive bounds for numbers (``low_open`` makes the lower bound exclusive)
    choices : allowed values for str (or any kind)
    nullable : whether None is accepted
    tune : how ``--tune`` searches it: a ``TuneRange``, ``False`` (never), or None (derived from
        low/high/choices when those are finite; unbounded parameters are then left out)
    """

    kind: Any
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    nullable: bool = False
    low_open: bool = False
    doc: str = ""
    tune: TuneRange | bool | None = None  # tuning: a TuneRange, False (never tuned), None (derived from the range)

    def describe(self) -> str:
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            name = self.kind if isinstance(self.kind, str) else self.kind.__name__
            name = "list of int" if self.kind == "seq" else name
            lo = "" if self.low is None else (f"> {self.low}" if self.low_open else f">= {self.low}")
            hi = "" if self.high is None else f"<= {self.high}"
            text = name + (" " + " and ".join(b for b in (lo, hi) if b) if (lo or hi) else "")
        return text + (" or None" if self.nullable else "")

    def check(self, owner: str, name: str, value: Any) -> Any:
        """Return ``value`` coerced to the declared kind, or raise UserError naming owner and name."""

        def bad(why: str) -> UserError:
            return UserError(
                f"{owner}: parameter {name!r} got {value!r} ({why}); accepted values: {self.describe()}."
            )

        if value is None:
            if self.nullable:
                return None
            raise bad("None is not allowed")
        kind = self.kind
        if kind == "seq":
            if isinstance(value, (int,)) and not isinstance(value, bool):
                value = (value,)
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise bad("expected a list of integers")
            value = tuple(value)
            items = value
        elif kind is bool:
            if not isinstance(value, bool):
                raise bad("expected true or false")
            items = ()
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad("expected an integer")
            items = (value,)
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad("expected a number")
            value = float(value)
            items = (value,)
        elif kind is str:
            if not isinstance(value, str):
                raise bad("expected a string")
            items = ()
        else:
            items = ()
        if self.choices is not None and value not in self.choices:
            raise bad("not an accepted choice")
        for v in items:
            if self.low is not None and (v <= self.low if self.low_open else v < self.low):
                raise bad("out of range")
            if self.high is not None and v > self.high:
                raise bad("out of range")
        return value


def check_params(owner: str, space: Mapping[str, Param], params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``params`` against ``space``: unknown names get a "did you mean"."""
    import difflib

    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in space:
            close = difflib.get_close_matches(name, list(space), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(space)) or "(none)"
            raise UserError(f"{owner}: unknown parameter {name!r}.{hint} Accepted parameters: {known}.")
        out[name] = space[name].check(owner, name, value)
    return out
