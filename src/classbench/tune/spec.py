"""What a study is asked to do: the ``tune`` table of a suite (global and per model) and ``--tune N``.

    tune = { trials = 30, timeout = 600, metric = "accuracy", inner = "kfold:3" }   # every model
    [[models]]
    name = "rbf-svm"
    tune = { params = ["C", "gamma"] }      # merged over the global table; `tune = false`: not tuned

Light on purpose: importing it imports neither Optuna nor the models.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import UserError

METRICS = ("accuracy", "macro_f1")
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "halving", "none")
KEYS = ("trials", "timeout", "metric", "inner", "sampler", "pruner", "params")


@dataclass(frozen=True)
class TuneSpec:
    """A study's budget and method.

    trials : candidates to evaluate (failed and pruned ones count; interrupted ones do not)
    timeout : seconds of wall time for the study (candidates still running then are stopped)
    metric : what the inner validation maximises
    inner : "holdout:F" (a group-aware stratified share F of the training rows validates) or "kfold:K"
    sampler : "tpe" (seeded TPE) or "random"
    pruner : "median", "halving" (successive halving) or "none"; epoch-trained models only
    params : search only these (default: every parameter with a range, see classbench.tune.space)
    """

    trials: int | None = None
    timeout: float | None = None
    metric: str = "accuracy"
    inner: str = "holdout:0.2"
    sampler: str = "tpe"
    pruner: str = "median"
    params: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    def inner_kind(self) -> tuple[str, float]:
        """("holdout", fraction) or ("kfold", k)."""
        kind, _, n = self.inner.partition(":")
        if kind == "kfold":
            return "kfold", int(n or 3)
        return "holdout", float(n or 0.2)

    def budget_text(self) -> str:
        parts = ([f"{self.trials} trials"] if self.trials else []) + ([f"{self.timeout:g} s"] if self.timeout else [])
        return " / ".join(parts)


def tune_to_dict(t: Any) -> Any:
    """JSON form: None, False, or the table."""
    return t.to_dict() if isinstance(t, TuneSpec) else t


def parse_tune(value: Any, where: str, base: TuneSpec | None = None) -> TuneSpec | bool | None:
    """A ``tune`` value: a number of trials, ``false``, or a table (merged over ``base``)."""
    if value is None:
        return base
    if value is False:
        return False
    if value is True:
        value = {}
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"trials": value}
    if not isinstance(value, dict):
        raise UserError(f"{where}: 'tune' must be a number of trials, false, or a table such as "
                        f"{{ trials = 30, timeout = 600 }}; got {value!r}.")
    for k in value:
        if k not in KEYS:
            close = difflib.get_close_matches(str(k), KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UserError(f"{where}: unknown key {k!r} in 'tune'.{hint} Allowed keys: {', '.join(KEYS)}.")
    spec = replace(base or TuneSpec(), **{k: (tuple(v) if k == "params" and isinstance(v, list) else v)
                                          for k, v in value.items()})
    check_tune(spec, where)
    return spec


def check_tune(t: TuneSpec, where: str) -> None:
    def bad(what: str, fix: str) -> UserError:
        return UserError(f"{where}: tune.{what}. {fix}")

    if t.trials is not None and (isinstance(t.trials, bool) or not isinstance(t.trials, int) or t.trials < 1):
        raise bad(f"trials must be an integer >= 1, got {t.trials!r}", "Give how many candidates to try, e.g. 30.")
    if t.timeout is not None and (isinstance(t.timeout, bool) or not isinstance(t.timeout, (int, float))
                                  or not t.timeout > 0):
        raise bad(f"timeout must be a positive number of seconds, got {t.timeout!r}", "E.g. timeout = 600.")
    if t.trials is None and t.timeout is None:
        raise bad("needs a budget: trials, timeout or both", "E.g. tune = { trials = 30 } or --tune 30.")
    for name, value, allowed in (("metric", t.metric, METRICS), ("sampler", t.sampler, SAMPLERS),
                                 ("pruner", t.pruner, PRUNERS)):
        if value not in allowed:
            raise bad(f"{name} {value!r} is not known", f"Use one of: {', '.join(allowed)}.")
    kind, _, n = str(t.inner).partition(":")
    ok = False
    try:
        if kind == "kfold":
            ok = int(n or 3) >= 2 and (not n or str(int(n)) == n)
        elif kind == "holdout":
            ok = 0 < float(n or 0.2) < 1
    except ValueError:
        ok = False
    if not ok:
        raise bad(f"inner {t.inner!r} is not a validation scheme",
                  "Use holdout (20% of the training rows), holdout:F with 0 < F < 1, or kfold:K with K >= 2.")
    if not isinstance(t.params, tuple) or not all(isinstance(p, str) for p in t.params):
        raise bad(f"params must be a list of parameter names, got {t.params!r}", 'E.g. params = ["C", "gamma"].')


def parse_suite_tune(value: Any, models: list[Any], where: str) -> tuple[TuneSpec | None, tuple]:
    """(global TuneSpec or None, per-model tuple aligned with ``models``) from a suite's raw data."""
    glob = parse_tune(value, where)
    if glob is False:
        glob = None
    per = []
    for i, m in enumerate(models):
        raw = m.get("tune") if isinstance(m, dict) else None
        per.append(None if raw is None else parse_tune(raw, f"{where}: models[{i}]", glob or None))
    return glob, tuple(per)


def effective(suite: Any, index: int) -> TuneSpec | None:
    """The TuneSpec for the suite's ``index``-th model, or None when it is not tuned."""
    per = suite.model_tune[index] if index < len(suite.model_tune) else None
    if per is False:
        return None
    return per if per is not None else suite.tune
