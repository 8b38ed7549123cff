"""A model's search space, derived from its declared ``param_space`` (classbench.params).

Rules, per parameter:

- never: names in ``NEVER`` (seeds, devices, progress bars), parameters the user fixed (``--set``,
  suite ``params``), and ``Param(..., tune=False)``;
- ``Param(..., tune=TuneRange(...))``: that range or those choices (the model's tuning range, usually
  narrower than what it accepts);
- otherwise derived: ``bool`` -> {False, True}; ``choices`` -> those choices; ``int``/``float`` with both
  bounds -> that range. Log scale where ``low > 0`` and ``high / low >= 100``. Unbounded numbers, nullable
  numbers and lists are left out unless the model declares a ``TuneRange``.

Optuna's categorical distributions hold only None, bool, int, float and str: other choices (tuples of
hidden sizes) are searched by their text (``"256x256"``) and decoded back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import UserError
from ..params import Param, TuneRange

NEVER = frozenset({"random_state", "verbose", "device", "precision"})
LOG_SPAN = 100.0  # high / low at or above which a positive range is searched on a log scale


@dataclass(frozen=True)
class Dim:
    """One searched parameter: ``kind`` is "float", "int" or "cat"."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def distribution(self) -> Any:
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "cat":
            return CategoricalDistribution([_encode(c) for c in self.choices])
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def decode(self, value: Any) -> Any:
        """The parameter value for an Optuna value (tuple choices come back from their text)."""
        if self.kind == "cat":
            for c in self.choices:
                if _encode(c) == value:
                    return list(c) if isinstance(c, tuple) else c
        if self.kind == "int":
            return int(value)
        return value

    def describe(self) -> str:
        if self.kind == "cat":
            return "{" + ", ".join(str(_encode(c)) for c in self.choices) + "}"
        return f"[{self.low:g}, {self.high:g}]" + (" log" if self.log else "")


def _encode(c: Any) -> Any:
    if isinstance(c, (list, tuple)):
        return "x".join(str(v) for v in c) or "none"
    return c


def _dim(name: str, p: Param, owner: str) -> Dim | None:
    t = p.tune
    if t is False or name in NEVER:
        return None
    if isinstance(t, TuneRange):
        if t.choices is not None:
            for c in t.choices:  # a declared choice the model would reject is a bug in the model file
                p.check(owner, name, list(c) if isinstance(c, tuple) else c)
            return Dim(name, "cat", choices=tuple(t.choices))
        p.check(owner, name, t.low)
        p.check(owner, name, t.high)
        return _numeric(name, p.kind, t.low, t.high, t.log)
    if p.kind is bool:
        return Dim(name, "cat", choices=(False, True))
    if p.choices is not None:
        return Dim(name, "cat", choices=tuple(p.choices))
    if p.kind in (int, float) and p.low is not None and p.high is not None and not p.nullable:
        low = p.low
        if p.low_open:  # (0, 1]: a strictly positive lower end
            low = p.low + 1 if p.kind is int else (p.low + (p.high - p.low) * 1e-3)
        return _numeric(name, p.kind, low, p.high, None)
    return None


def _numeric(name: str, kind: Any, low: float, high: float, log: bool | None) -> Dim:
    if log is None:
        log = low > 0 and high / low >= LOG_SPAN
    return Dim(name, "int" if kind is int else "float", low=low, high=high, log=bool(log))


def derive_space(model: str, fixed: Mapping[str, Any] = (), only: tuple[str, ...] | None = None) -> dict[str, Dim]:
    """The search space of registered model ``model``: name -> Dim.

    ``fixed``: parameters the user set (never searched). ``only``: search just these names (each must be
    searchable). Raises UserError when nothing is left to search.
    """
    from ..models import MODELS

    cls = MODELS.get(model)
    space: Mapping[str, Param] = getattr(cls, "param_space", {}) or {}
    owner = f"model {model!r}"
    fixed = dict(fixed or {})
    out: dict[str, Dim] = {}
    for name, p in space.items():
        if name in fixed:
            continue
        dim = _dim(name, p, owner)
        if dim is not None:
            out[name] = dim
    if only:
        bad = [n for n in only if n not in out]
        if bad:
            why = []
            for n in bad:
                if n not in space:
                    why.append(f"{n!r} is not a parameter of {model}")
                elif n in fixed:
                    why.append(f"{n!r} is fixed by the run's parameters")
                else:
                    why.append(f"{n!r} has no finite range to search (declare Param(..., tune=TuneRange(...)))")
            raise UserError(f"tune.params for {owner}: {'; '.join(why)}. Searchable here: "
                            f"{', '.join(out) or '(none)'}.")
        out = {n: out[n] for n in only}
    if not out:
        raise UserError(f"{owner} has no hyperparameter to tune: none of its parameters declares a finite "
                        f"range, choices or a tuning range (or all were fixed by the run). Leave it out of "
                        f"tuning with a per-model `tune = false` in the suite file, or run it untuned.")
    return out
