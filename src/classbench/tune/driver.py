"""Run the studies of a run on its executor, before its trials; each study ends in one tuned trial.

Called by the runner (``tune_first``) after the run's trials are planned. For every planned trial of a
tuned model (one per dataset x model x seed x outer fold) a study searches that model's space on the
outer fold's training rows; its best configuration becomes a normal trial labelled ``model(tuned)``
(refit on the whole outer training set, tested once) that joins the run's queue beside the default
trial. Candidates go through the same executor as trials, so a candidate that crashes, hangs past
``--time-budget`` or is killed for memory is recorded failed and the study goes on.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from dataclasses import replace
from typing import Any

from ..config import ModelSpec, TrialSpec, _freeze, spec_hash
from .results import _fmt
from .space import derive_space
from .spec import TuneSpec, effective
from .study import Candidate, Study, storage_url


def tuned_label(label: str) -> str:
    """``rbf-svm`` -> ``rbf-svm(tuned)``; ``mlp(loss=squared)`` -> ``mlp(tuned, loss=squared)``."""
    if label.endswith(")") and "(" in label:
        name, _, rest = label.partition("(")
        return f"{name}(tuned, {rest}"
    return f"{label}(tuned)"


def plan_studies(suite: Any, trials: list[Any], notes: list[str]) -> list[tuple[Any, TuneSpec, dict]]:
    """(planned default trial, TuneSpec, search space) for every trial of a tuned model.

    Checks every search space before anything runs (UserError on a bad ``tune.params``). Models with nothing
    to search, and regression models (they choose their own alpha and degree), are left out with a note.
    """
    from ..errors import UserError
    from ..models import MODELS

    out, spaces, skipped, empty = [], {}, [], []
    for t in trials:
        m = t.spec.model
        index = suite.models.index(m) if m in suite.models else -1
        tune = effective(suite, index) if index >= 0 else None
        if tune is None:
            continue
        if getattr(MODELS.get(m.name), "task", "classification") == "regression":
            skipped.append(t.label)
            continue
        key = (m, tune.params)
        if key not in spaces:
            try:
                spaces[key] = derive_space(m.name, m.kwargs, tune.params or None)
            except UserError:
                if tune.params:  # names the user asked for: a mistake to report
                    raise
                spaces[key] = None  # nothing declared to search (e.g. with --model all): runs untuned
        if spaces[key] is None:
            empty.append(t.label)
            continue
        out.append((t, tune, spaces[key]))
    if empty:
        notes.append(f"not tuned (they declare no hyperparameter with a range to search): "
                     f"{', '.join(dict.fromkeys(empty))}")
    if skipped:
        notes.append(f"not tuned (regression models choose alpha and degree by their own CV): "
                     f"{', '.join(dict.fromkeys(skipped))}")
    return out


def _epoch_trained(model: str) -> bool:
    from ..models import default_params

    return "epochs" in default_params(model)


def tune_first(store: Any, run_id: str, suite: Any, trials: list[Any], todo: list[Any], ctx: Any, opts: Any,
               executor: Any) -> tuple[str | None, list[Any], list[Any], Any]:
    """Run every study; returns (stop reason or None, todo + tuned trials, trials + tuned trials, opts with
    the suite budget that is left). A stop reason ("interrupted", "budget") means the run ends here."""
    from dataclasses import asdict

    from ..bench.runner import PlannedTrial

    studies = plan_studies(suite, trials, [])  # checked (and its notes printed) when the run was planned
    url = storage_url(opts.out)
    t0 = time.monotonic()
    suite_deadline = t0 + opts.suite_budget if opts.suite_budget else None
    ctx_dict = asdict(ctx)
    tuned: list[Any] = []
    stop = None
    done = {k for k, s in store.status_of(run_id).items() if s == "ok"}
    for planned, tune, space in studies:
        spec = planned.spec
        name = f"{run_id} {spec.dataset.name} {planned.label} seed={spec.seed} fold={spec.fold}"
        seed = int(spec_hash({"seed": spec.seed, "fold": spec.fold, "model": spec.model.to_dict()}), 16) % (2**31)
        study = Study(name, url, tune, space, spec, planned.label, planned.family, seed,
                      _epoch_trained(spec.model.name))
        if not study.finished:
            stop = _run_study(study, executor, ctx_dict, opts, suite_deadline, run_id)
            if stop:
                break
        info = study.finish()
        t = _tuned_trial(planned, info, len(trials) + len(tuned), PlannedTrial)
        if info["params"] is None:
            _record_no_result(store, run_id, t, info)
        else:
            tuned.append(t)
    if tuned:
        store.add_pending(run_id, [t.row() for t in tuned])
    new_todo = list(todo) + [t for t in tuned if t.spec.key not in done]
    if stop:
        executor.shutdown(kill=True)
    left = None if suite_deadline is None else max(1e-3, suite_deadline - time.monotonic())
    return stop, new_todo, list(trials) + tuned, replace(opts, suite_budget=left) if left else opts


def _tuned_trial(planned: Any, info: dict[str, Any], seq: int, cls: Any) -> Any:
    s = planned.spec
    params = {**s.model.kwargs, **(info["params"] or {})}
    spec = TrialSpec(s.dataset, ModelSpec(s.model.name, _freeze(params)), s.seed, s.protocol, s.fold, s.n_folds,
                     tuned=json.dumps(info, sort_keys=True, default=str))
    return cls(spec, tuned_label(planned.label), planned.family, seq)


def _record_no_result(store: Any, run_id: str, t: Any, info: dict[str, Any]) -> None:
    """A study where no candidate finished: its tuned trial is recorded failed (nothing to refit)."""
    store.add_pending(run_id, [t.row()])
    store.record(run_id, t.spec.key, {
        "status": "failed", "extra": {"tuning": info},
        "error": f"tuning found no configuration that finished: {info['n_candidates']} candidate(s), "
                 f"{info['n_failed']} failed, {info['n_pruned']} pruned (study {info['study']!r} in "
                 f"{info['storage']})"})


class _Stop(Exception):
    pass


def _run_study(study: Study, executor: Any, ctx_dict: dict[str, Any], opts: Any,
               suite_deadline: float | None, run_id: str) -> str | None:
    """Ask/evaluate/tell in batches of ``executor.workers`` until the budget is spent; None when it was,
    else "interrupted" or "budget" (the suite budget ran out)."""
    def on_term(signum: int, frame: Any) -> None:
        raise _Stop()

    import threading

    old = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None
    left = study.time_left()
    mark = time.monotonic()  # the study's clock: asks, tells and candidates alike count against its budget
    deadline = None if left is None else mark + left
    workers = max(1, int(getattr(executor, "workers", 1) or 1))

    def tick() -> None:
        nonlocal mark
        now = time.monotonic()
        study.add_elapsed(now - mark)
        mark = now

    try:
        while True:
            n_left = study.trials_left()
            if n_left == 0 or (deadline is not None and time.monotonic() >= deadline):
                tick()
                return None
            if suite_deadline is not None and time.monotonic() >= suite_deadline:
                tick()
                return "budget"
            batch = study.ask(workers if n_left is None else min(workers, n_left))
            results, why = _evaluate(batch, executor, ctx_dict, deadline, suite_deadline)
            for cand in batch:  # told in the order asked: the same seed proposes the same next candidates
                res = results[cand.number]
                state = study.tell(cand, res)
                _say(opts, _line(study, cand, res, state))
            tick()
            if why == "budget":
                _say(opts, f"\nsuite budget of {opts.suite_budget:g} s used up while tuning {study.label}. "
                           f"Finish with: classbench run --resume {run_id} --out {opts.out}")
                return "budget"
    except (KeyboardInterrupt, _Stop):
        tick()
        executor.shutdown(kill=True)
        _say(opts, f"\ninterrupted while tuning {study.label}: its finished candidates are kept in "
                   f"{study.url}. Go on with: classbench run --resume {run_id} --out {opts.out}")
        return "interrupted"
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _evaluate(batch: list[Candidate], executor: Any, ctx_dict: dict[str, Any], deadline: float | None,
              suite_deadline: float | None) -> tuple[dict[int, dict[str, Any]], str | None]:
    """Run a batch on the executor; stop what still runs at the study's (or the suite's) deadline."""
    for cand in batch:
        executor.submit(cand, cand.spec_dict(), ctx_dict)
    results: dict[int, dict[str, Any]] = {}
    why = None
    while len(results) < len(batch):
        now = time.monotonic()
        ends = [(d, w) for d, w in ((deadline, "study"), (suite_deadline, "budget")) if d is not None]
        first = min(ends, default=None)
        if first is not None and now >= first[0]:
            why = first[1]
            text = ("stopped: the study's time budget ran out" if why == "study"
                    else "stopped: the suite's time budget ran out")
            for event in executor.stop_all(text):
                results[event.job.number] = event.result
            for job in executor.take_unstarted():
                results[job.number] = {"status": "timeout", "error": text + " before it started"}
            for cand in batch:
                results.setdefault(cand.number, {"status": "timeout", "error": text})
            break
        poll = 1.0 if first is None else max(0.0, min(1.0, first[0] - now))
        for event in executor.next_events(poll):
            if event.result is not None:
                results[event.job.number] = event.result
    return results, why


def _line(study: Study, cand: Candidate, res: dict[str, Any], state: str) -> str:
    s = study.base
    n = study.tune.trials
    where = f"[tune {s.dataset.name} · {study.label} · seed {s.seed}" + (
        f" · fold {s.fold + 1}/{s.n_folds}" if s.n_folds > 1 else "") + f"] {cand.number + 1}" + (f"/{n}" if n else "")
    params = ", ".join(f"{k}={_fmt(v)}" for k, v in cand.params.items())
    if state == "COMPLETE":
        best = study.best()
        return f"{where} {params}: {res['value']:.4f} (best {best[1]:.4f})" if best else f"{where} {params}"
    if state == "PRUNED":
        return f"{where} {params}: pruned at step {res.get('step')} ({res.get('value', 0):.4f})"
    err = str(res.get("error") or "").strip().splitlines()
    return f"{where} {params}: {res.get('status', 'failed').upper()}: {err[-1][:160] if err else ''}"


def _say(opts: Any, msg: str) -> None:
    if opts.progress:
        print(msg, file=sys.stderr, flush=True)
