"""A study: one model spec on one outer fold, a budget, and its candidates in an Optuna storage.

The storage is an SQLite file next to the results database (``OUT/tuning.db``; not inside
``classbench.db``, whose ``trials`` table would collide with Optuna's), so ``optuna-dashboard
sqlite:///OUT/tuning.db`` opens it. Candidates are asked and told in the driver, in batches of as many
candidates as the executor has workers, told in the order they were asked: with the same seed the same
candidates are proposed whatever order the workers finish in. Each ask uses a sampler seeded from the
study's seed and the candidate's number, so a resumed study proposes what an uninterrupted one would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ModelSpec, TrialSpec, _freeze
from .space import Dim
from .spec import TuneSpec

STORAGE_NAME = "tuning.db"
COUNTED = ("COMPLETE", "PRUNED", "FAIL")


def storage_url(out: Path | str) -> str:
    return f"sqlite:///{(Path(out) / STORAGE_NAME).resolve()}"


_STORAGES: dict[str, Any] = {}


def open_storage(url: str) -> Any:
    """An Optuna RDB storage (cached per process); SQLite waits for a busy file instead of failing."""
    if url not in _STORAGES:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _STORAGES[url] = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    return _STORAGES[url]


def make_pruner(name: str) -> Any:
    import optuna

    if name == "median":  # after 3 finished candidates, stop one below their median at the same epoch (>= 2)
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def make_sampler(tune: TuneSpec, seed: int) -> Any:
    import optuna

    if tune.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    startup = 10 if tune.trials is None else max(3, min(10, tune.trials // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)


@dataclass
class Candidate:
    """A job for the executor: one configuration of one study."""

    study: "Study"
    number: int
    trial_id: int
    params: dict[str, Any]  # decoded, as the model takes them
    family: str = ""

    def spec_dict(self) -> dict[str, Any]:
        s = self.study
        model = ModelSpec(s.base.model.name, _freeze({**s.base.model.kwargs, **self.params}))
        d = TrialSpec(s.base.dataset, model, s.base.seed, s.base.protocol, s.base.fold, s.base.n_folds).to_dict()
        d["candidate"] = {"study": s.name, "storage": s.url, "trial_id": self.trial_id, "number": self.number,
                          "inner": s.tune.inner, "metric": s.tune.metric, "pruner": s.pruner}
        return d


class Study:
    """Wraps an Optuna study stored at ``url`` (created, or loaded when resuming)."""

    def __init__(self, name: str, url: str, tune: TuneSpec, space: dict[str, Dim], base: TrialSpec,
                 label: str, family: str, seed: int, epoch_trained: bool):
        import optuna

        self.name, self.url, self.tune, self.space, self.base = name, url, tune, space, base
        self.label, self.family, self.seed = label, family, seed
        self.pruner = tune.pruner if (epoch_trained or tune.inner.startswith("kfold")) else "none"
        storage = open_storage(url)
        self.optuna = optuna.create_study(study_name=name, storage=storage, direction="maximize",
                                          load_if_exists=True, pruner=make_pruner(self.pruner))
        attrs = self.optuna.user_attrs
        if "budget" not in attrs:
            for k, v in {"budget": tune.to_dict(), "model": base.model.name, "label": label,
                         "dataset": base.dataset.name, "seed": base.seed, "fold": base.fold,
                         "n_folds": base.n_folds, "space": {n: d.describe() for n, d in space.items()},
                         "fixed": base.model.kwargs, "elapsed_s": 0.0, "pruner": self.pruner}.items():
                self.optuna.set_user_attr(k, v)
        self._interrupted_leftovers()

    def _interrupted_leftovers(self) -> None:
        """Candidates left RUNNING by an interrupted session: failed, marked ``interrupted``, not counted."""
        from optuna.trial import TrialState

        storage = self.optuna._storage
        for t in self.optuna.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
            storage.set_trial_user_attr(t._trial_id, "interrupted", True)
            storage.set_trial_user_attr(t._trial_id, "status", "interrupted")
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)

    # budget ---------------------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return float(self.optuna.user_attrs.get("elapsed_s", 0.0))

    def add_elapsed(self, seconds: float) -> None:
        self.optuna.set_user_attr("elapsed_s", self.elapsed + seconds)

    def counted(self) -> int:
        return sum(t.state.name in COUNTED and not t.user_attrs.get("interrupted")
                   for t in self.optuna.get_trials(deepcopy=False))

    @property
    def finished(self) -> bool:
        return bool(self.optuna.user_attrs.get("finished"))

    def trials_left(self) -> int | None:
        return None if self.tune.trials is None else max(0, self.tune.trials - self.counted())

    def time_left(self) -> float | None:
        return None if self.tune.timeout is None else self.tune.timeout - self.elapsed

    # ask / tell -----------------------------------------------------------------------------------
    def ask(self, k: int) -> list[Candidate]:
        dists = {n: d.distribution() for n, d in self.space.items()}
        out = []
        for _ in range(k):
            number = len(self.optuna.get_trials(deepcopy=False))
            self.optuna.sampler = make_sampler(self.tune, (self.seed * 1_000_003 + number) % (2**31 - 1))
            trial = self.optuna.ask(fixed_distributions=dists)
            params = {n: self.space[n].decode(v) for n, v in trial.params.items()}
            out.append(Candidate(self, trial.number, trial._trial_id, params, self.family))
        return out

    def tell(self, cand: Candidate, result: dict[str, Any]) -> str:
        """Record a candidate's result; returns its state name (COMPLETE, PRUNED or FAIL)."""
        from optuna.trial import TrialState

        storage = self.optuna._storage
        status = result.get("status", "failed")
        storage.set_trial_user_attr(cand.trial_id, "status", status)
        storage.set_trial_user_attr(cand.trial_id, "seconds", (result.get("extra") or {}).get("trial_s"))
        storage.set_trial_user_attr(cand.trial_id, "finished_at", time.time())
        for key in ("error", "note"):  # note: e.g. why a Ray node could not prune
            if result.get(key):
                storage.set_trial_user_attr(cand.trial_id, key, str(result[key])[:2000])
        if status == "ok":
            self.optuna.tell(cand.number, float(result["value"]))
            return "COMPLETE"
        if status == "pruned":
            self.optuna.tell(cand.number, state=TrialState.PRUNED)
            return "PRUNED"
        self.optuna.tell(cand.number, state=TrialState.FAIL)
        return "FAIL"

    # outcome --------------------------------------------------------------------------------------
    def best(self) -> tuple[dict[str, Any], float] | None:
        """(decoded params, inner score) of the best finished candidate (the earliest among ties), or None."""
        from optuna.trial import TrialState

        done = self.optuna.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not done:
            return None
        best = max(done, key=lambda t: (t.value, -t.number))
        return {n: self.space[n].decode(v) for n, v in best.params.items()}, float(best.value)

    def summary(self) -> dict[str, Any]:
        trials = self.optuna.get_trials(deepcopy=False)
        states = [t.state.name for t in trials if not t.user_attrs.get("interrupted")]
        return {"study": self.name, "storage": self.url, "budget": self.tune.to_dict(),
                "tune_s": round(self.elapsed, 3), "n_candidates": len(states),
                "n_pruned": states.count("PRUNED"), "n_failed": states.count("FAIL"),
                "n_complete": states.count("COMPLETE")}

    def finish(self) -> dict[str, Any]:
        """Mark the study done and return what the tuned trial records (params, inner score, budget, time)."""
        got = self.best()
        info = self.summary()
        info.update({"params": got[0] if got else None, "inner_score": got[1] if got else None,
                     "metric": self.tune.metric, "inner": self.tune.inner})
        if not self.finished:
            self.optuna.set_user_attr("finished", True)
            self.optuna.set_user_attr("result", info)
        return dict(self.optuna.user_attrs["result"])
