"""Plan a suite into trials, run them in worker processes, record every result, print the leaderboard.

Everything that can be checked is checked before the first trial starts: dataset and model names,
every hyperparameter, data availability, model/data modality, and that the output folder is writable.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from .._startup import resume_gc
from ..config import SuiteSpec, TrialSpec
from ..datasets import DataContext, get_source
from ..errors import UserError
from . import leaderboard as lb
from .executors import LocalExecutor
from .protocols import n_folds
from .ray_nodes import ClusterLostError
from .shard import shard_label, take_shard
from .store import Store
from .trial import versions


@dataclass
class RunOptions:
    out: Path = Path("classbench-out")
    data_dir: str | None = None
    workers: int = 1
    resume: str | None = None
    download: bool = True
    progress: bool = True
    command: str = ""
    time_budget: float | None = None  # seconds per trial; past it the trial is stopped and recorded as timeout
    suite_budget: float | None = None  # seconds for the whole run; then running trials stop, the rest wait for --resume
    memory_budget: float | None = None  # MiB per worker (local executor)
    executor: str = "local"  # local | ray
    address: str | None = None  # Ray cluster address (ray executor)
    device: str | None = None  # auto | cpu | cuda | mps: sets `device` on every model that has one
    skip_incompatible: bool = False  # leave out model/dataset pairs of different modalities (--model all)
    workers_given: bool = False  # whether --workers was given (Ray otherwise fills the cluster)
    save_models: bool = False  # keep every trained model in OUT/runs/RUN/models/<trial key> (classbench.persist)
    shard: tuple[int, int] | None = None  # (i, n): run only the i-th of n shares of the planned trials (shard.py)
    gpu_resource: str | None = None  # Ray: the custom resource torch trials ask for (a node that has a GPU)


@dataclass
class PlannedTrial:
    spec: TrialSpec
    label: str
    family: str
    seq: int

    def row(self) -> dict[str, Any]:
        s = self.spec
        return {"trial_key": s.key, "seq": self.seq, "dataset": s.dataset.name, "model": s.model.name,
                "model_label": self.label, "family": self.family, "seed": s.seed, "fold": s.fold,
                "n_folds": s.n_folds, "protocol": s.protocol.label(), "spec_json": json.dumps(s.to_dict()),
                "params_json": json.dumps(s.model.kwargs)}


@dataclass
class RunResult:
    run_id: str
    out: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False  # stopped before every trial ran (Ctrl-C, SIGTERM or the suite budget)
    budget_exhausted: bool = False  # the suite budget ran out (``interrupted`` is then True too)
    trials: list[dict[str, Any]] = field(default_factory=list, repr=False)  # the run's stored trials

    def to_pandas(self) -> Any:
        """The leaderboard as a pandas DataFrame (see ``classbench.frames``)."""
        from ..frames import leaderboard_frame

        return leaderboard_frame(self.rows)

    def _repr_html_(self) -> str:
        from ..frames import run_result_html

        return run_result_html(self)


EXECUTORS = ("local", "ray")
DEVICES = ("auto", "cpu", "cuda", "mps")


def model_label(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> str:
    """``mlp(loss=squared)``: the model and the hyperparameters that differ from its defaults."""
    diff = [(k, v) for k, v in sorted(params.items()) if k != "random_state" and defaults.get(k) != v]
    if not diff:
        return name

    def fmt(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            return "x".join(str(x) for x in v)
        return str(v)

    return f"{name}({', '.join(f'{k}={fmt(v)}' for k, v in diff)})"


def plan(suite: SuiteSpec, ctx: DataContext, skip_incompatible: bool = False,
         notes: list[str] | None = None) -> list[PlannedTrial]:
    """Validate the whole suite and expand it to trials (datasets x models x seeds x folds).

    A model that cannot take a dataset's modality is an error, or, with ``skip_incompatible`` (what
    ``--model all`` asks for), that pair is left out and a note is added to ``notes``.
    """
    from ..models import MODELS, create_model

    if not suite.datasets or not suite.models:
        raise UserError(f"Suite {suite.name!r} names no datasets or no models; give at least one of each.")
    sources = {}
    for d in suite.datasets:
        source = get_source(d.name)
        source.check(ctx, **d.kwargs)
        sources[d] = source
    labels: dict[Any, tuple[str, str]] = {}
    takes: dict[Any, frozenset[str]] = {}
    tasks: dict[Any, str] = {}
    for m in suite.models:
        entry = MODELS.entry(m.name)
        model = create_model(m.name, **m.kwargs)
        defaults = type(model)().get_params(deep=False)
        labels[m] = (model_label(entry.name, m.kwargs, defaults), entry.meta.get("family", getattr(model, "family", "")))
        takes[m] = frozenset(entry.meta.get("modalities") or type(model).modalities)
        tasks[m] = entry.meta.get("task") or getattr(type(model), "task", "classification")
    pairs = []
    for d in suite.datasets:
        skipped = []
        task = d.kwargs.get("task") or getattr(sources[d], "task", "classification")
        for m in suite.models:
            if sources[d].modality in takes[m] and tasks[m] == task:
                pairs.append((d, m))
            elif skip_incompatible:
                skipped.append(labels[m][0])
            elif tasks[m] != task:
                raise UserError(
                    f"Model {m.name!r} is a {tasks[m]} model, but dataset {d.name!r} is a {task} task. Pair "
                    f"regression models (e.g. ridge-regression) with regression datasets (e.g. diabetes, "
                    f"noisy-sine) and classifiers with classification datasets.")
            else:
                raise UserError(
                    f"Model {m.name!r} takes {', '.join(sorted(takes[m]))} data, but dataset {d.name!r} is "
                    f"{sources[d].modality}. Remove one of them from the suite, run them in separate suites, or "
                    f"use `--model all` to skip such pairs.")
        if skipped and notes is not None:
            notes.append(f"skipped {len(skipped)} model(s) that cannot take {sources[d].modality} data "
                         f"({d.name}): {', '.join(skipped)}")
        if not any(pd == d for pd, _ in pairs):
            raise UserError(f"No model in this run takes {sources[d].modality} data (dataset {d.name!r}). "
                            f"`classbench list models` shows which data each model takes.")
    trials: list[PlannedTrial] = []
    for d in suite.datasets:
        ds = None
        protocol = suite.protocol_for(d)  # the suite's, or the dataset's own (e.g. a fixed split)
        if protocol.kind == "loo":
            ds = sources[d].load(ctx, **sources[d].check(ctx, **d.kwargs))
        folds = n_folds(protocol, ds)
        for m in suite.models:
            if (d, m) not in pairs:
                continue
            for seed in suite.seeds:
                for fold in range(folds):
                    spec = TrialSpec(d, m, seed, protocol, fold, folds)
                    trials.append(PlannedTrial(spec, labels[m][0], labels[m][1], len(trials)))
    return trials


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"Output folder {out} is not writable ({exc.strerror or exc}). "
                        f"Choose another folder with --out.") from None


def _say(opts: RunOptions, msg: str) -> None:
    if opts.progress:
        print(msg, file=sys.stderr, flush=True)


def run_suite(suite: SuiteSpec, opts: RunOptions, on_finish: Callable[[RunResult, Store], None] | None = None
              ) -> RunResult:
    if opts.workers < 1:
        raise UserError(f"--workers must be at least 1, got {opts.workers}.")
    if opts.time_budget is not None and not opts.time_budget > 0:
        raise UserError(f"--time-budget must be a positive number of seconds, got {opts.time_budget}.")
    if opts.suite_budget is not None and not opts.suite_budget > 0:
        raise UserError(f"--suite-budget must be a positive number of seconds, got {opts.suite_budget}.")
    if opts.memory_budget is not None and not opts.memory_budget > 0:
        raise UserError(f"--memory-budget must be a positive number of MiB, got {opts.memory_budget}.")
    if opts.executor not in EXECUTORS:
        import difflib

        close = difflib.get_close_matches(opts.executor, EXECUTORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UserError(f"Unknown executor {opts.executor!r}.{hint} Executors: {', '.join(EXECUTORS)}.")
    if opts.executor != "ray" and opts.address:
        raise UserError("--address is for --executor ray; drop it or add --executor ray.")
    if opts.executor != "ray" and opts.gpu_resource:
        raise UserError("--gpu-resource names a Ray resource; add --executor ray (and --address) or drop it.")
    if opts.executor == "ray" and opts.memory_budget:
        raise UserError("--memory-budget is enforced by the local executor only; with Ray, set memory limits "
                        "on the cluster's nodes instead.")
    if opts.device is not None and opts.device not in DEVICES:
        raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {opts.device!r}.")
    out = Path(opts.out)
    _check_writable(out)
    store = Store(out)
    try:
        return _run(suite, opts, store, on_finish)
    except (sqlite3.OperationalError, OSError) as exc:
        if not _disk_full(exc):
            raise
        raise DiskFullError(
            f"The disk holding {out} is full ({exc}). Everything recorded before this point is intact in "
            f"{store.path}. Free some space, then run the suite again, or finish a started run with "
            f"`classbench run --resume RUN --out {out}` (`classbench show --runs --out {out}` lists runs).") from None
    finally:
        store.close()


def _run(suite: SuiteSpec, opts: RunOptions, store: Store, on_finish: Callable[[RunResult, Store], None] | None
         ) -> RunResult:
    out = Path(opts.out)
    ctx = DataContext.from_env(opts.data_dir, download=opts.download)
    if opts.resume:
        run = store.get_run(opts.resume)
        suite = SuiteSpec.from_dict(json.loads(run["suite_json"]), where=f"run {opts.resume}")
        run_id = opts.resume
        shard = json.loads(run["options_json"] or "{}").get("shard")  # a shard's run resumes that shard
        opts.shard = tuple(int(x) for x in shard.split("/")) if shard else None  # type: ignore[assignment]
    notes: list[str] = []
    executor = None
    if opts.executor == "local":  # workers start (and import the models' libraries) while the suite is checked
        executor = make_executor(opts)
        executor.prestart(_model_modules(suite))
    try:
        trials = plan(suite, ctx, skip_incompatible=opts.skip_incompatible, notes=notes)
        if suite.tune is not None or any(suite.model_tune):  # tuning (issue 14): search spaces checked now
            from ..tune.driver import plan_studies

            plan_studies(suite, trials, notes)
    except BaseException:
        if executor is not None:
            executor.shutdown(kill=True)
        raise
    n_planned = len(trials)
    trials = take_shard(trials, opts.shard)
    if opts.shard:
        notes.append(f"shard {shard_label(opts.shard)}: {len(trials)} of the suite's {n_planned} trials")
    for note in notes:
        _say(opts, note)
    if executor is None:
        executor = make_executor(opts)  # connects to Ray (if asked) before anything is written
    if not opts.resume:
        for attempt in range(5):  # two runs started in the same second into one database: ids may collide
            run_id = new_run_id()
            try:
                store.create_run(run_id, suite.to_dict(), opts.command,
                                 {"workers": opts.workers, "data_dir": opts.data_dir, "executor": opts.executor,
                                  "time_budget": opts.time_budget, "device": opts.device, "notes": notes,
                                  "shard": shard_label(opts.shard), "n_planned": n_planned},
                                 versions())
                break
            except sqlite3.IntegrityError:
                if attempt == 4:
                    raise
    else:
        store.set_run_status(run_id, "running")
    if opts.save_models:  # saved models (issue 8): run_trial saves each fitted model there
        executor.runtime["save_dir"] = str((out / "runs" / run_id / "models").resolve())
    store.add_pending(run_id, [t.row() for t in trials])
    done = {k for k, s in store.status_of(run_id).items() if s == "ok"}
    todo = [t for t in trials if t.spec.key not in done]
    _say(opts, f"run {run_id}: {len(trials)} trials ({len(trials) - len(todo)} already done), "
               f"{opts.executor} executor, {executor.workers} worker(s), results in {store.path}")
    resume_gc()  # the driver's imports are done (`classbench run` paused the collector for them)
    stop = None
    if suite.tune is not None or any(suite.model_tune):  # tuning (issue 14): studies first, on this executor
        from ..tune.driver import tune_first

        stop, todo, trials, opts = tune_first(store, run_id, suite, trials, todo, ctx, opts, executor)
    result = RunResult(run_id, out)
    stop = stop or _execute(store, run_id, todo, ctx, opts, executor, len(trials) - len(todo), len(trials))
    interrupted = result.interrupted = bool(stop)
    result.budget_exhausted = stop == "budget"
    result.trials = store.trials(run_id)
    result.rows = lb.leaderboard(result.trials)
    try:
        store.set_run_status(run_id, "interrupted" if interrupted else "finished")
        write_leaderboard(out, run_id, result.rows)
    except (sqlite3.OperationalError, OSError) as exc:
        if not _disk_full(exc):
            raise
        raise DiskFullError(f"The disk holding {out} is full ({exc}): every trial is recorded in {store.path}, "
                            f"but the leaderboard files could not be written. Free some space and run "
                            f"`classbench show {run_id} --out {out}` to see the leaderboard.") from None
    if on_finish is not None:
        on_finish(result, store)
    return result


def _model_modules(suite: SuiteSpec) -> tuple[str, ...]:
    """The modules that hold the suite's model classes (for workers to import ahead)."""
    from ..models import MODELS

    mods = []
    for m in suite.models:
        try:
            target = MODELS.entry(m.name).target
        except UserError:  # an unknown name: plan() explains it
            continue
        if isinstance(target, str) and target.partition(":")[0] not in mods:
            mods.append(target.partition(":")[0])
    return tuple(mods)


def write_leaderboard(out: Path, run_id: str, rows: list[dict[str, Any]]) -> Path:
    from .._io import atomic_write_text

    folder = out / "runs" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "leaderboard.md", lb.to_markdown(rows))
    atomic_write_text(folder / "leaderboard.csv", lb.to_csv(rows))
    return folder


class _Stop(Exception):
    pass


class DiskFullError(UserError):
    """The output folder's disk filled up mid-run; what was written stays consistent."""


def _disk_full(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "full" in str(exc).lower()


def make_executor(opts: RunOptions) -> Any:
    runtime = {"device": opts.device}
    if opts.executor == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(workers=opts.workers if opts.workers_given else None,
                           threads=max(1, (os.cpu_count() or 1) // opts.workers) if opts.workers_given else 1,
                           time_budget=opts.time_budget, address=opts.address, runtime=runtime,
                           gpu_resource=opts.gpu_resource)
    return LocalExecutor(workers=opts.workers, threads=max(1, (os.cpu_count() or 1) // opts.workers),
                         time_budget=opts.time_budget, memory_budget=opts.memory_budget, runtime=runtime)


def _execute(store: Store, run_id: str, todo: list[PlannedTrial], ctx: DataContext, opts: RunOptions,
             executor: Any, n_done: int, n_total: int) -> str | None:
    """Run ``todo`` on the executor; returns None when all ran, else "interrupted" (Ctrl-C / SIGTERM) or
    "budget" (the suite budget ran out)."""
    if not todo:
        executor.shutdown()
        return None
    ctx_dict = asdict(ctx)

    def on_term(signum: int, frame: Any) -> None:
        raise _Stop()

    old = signal.signal(signal.SIGTERM, on_term) if _main_thread() else None
    queue = list(todo)
    finished = n_done
    deadline = time.monotonic() + opts.suite_budget if opts.suite_budget else None
    try:
        while queue or executor.busy():
            if deadline is not None and time.monotonic() >= deadline:
                why = f"stopped: the suite's time budget of {opts.suite_budget:g} s ran out"
                for event in executor.stop_all(why):
                    store.record(run_id, event.job.spec.key, event.result)
                    finished += 1
                    _say(opts, _progress_line(finished, n_total, event.job, event.result))
                queue[:0] = executor.take_unstarted()
                executor.shutdown(kill=True)
                _say(opts, f"\nsuite budget of {opts.suite_budget:g} s used up: {finished} trials recorded, "
                           f"{len(queue)} not started. Finish with: classbench run --resume {run_id} --out {opts.out}")
                return "budget"
            while queue and executor.idle():
                t = queue.pop(0)
                executor.submit(t, t.spec.to_dict(), ctx_dict)
            poll = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
            for event in executor.next_events(poll):
                t = event.job
                if event.result is None:  # it started (a submitted trial may wait behind a short one)
                    store.mark(run_id, t.spec.key, "running")
                    continue
                store.record(run_id, t.spec.key, event.result)
                finished += 1
                _say(opts, _progress_line(finished, n_total, t, event.result))
        executor.shutdown()
        return None
    except (sqlite3.OperationalError, OSError) as exc:
        if not _disk_full(exc):
            raise
        executor.shutdown(kill=True)
        raise DiskFullError(
            f"The disk holding {opts.out} is full ({exc}). Trials recorded before this point are kept intact "
            f"({finished} finished); the trial being written and those after it were not run or not saved. Free "
            f"some space, then finish with: classbench run --resume {run_id} --out {opts.out}") from None
    except ClusterLostError as exc:  # the Ray head went away: what finished stays, --resume runs the rest
        n = store.interrupt_running(run_id)
        store.set_run_status(run_id, "interrupted")
        raise ClusterLostError(
            f"{exc} {finished} finished trial(s) are recorded in {store.path}; {n} running trial(s) are "
            f"marked interrupted. Restart the head node (`ray start --head ...`) and its workers, then finish with: "
            f"classbench run --resume {run_id} --out {opts.out} --executor ray --address HEAD:PORT") from None
    except (KeyboardInterrupt, _Stop):
        executor.shutdown(kill=True)
        n = store.interrupt_running(run_id)
        _say(opts, f"\ninterrupted: {finished} trials recorded, {n} running trial(s) marked interrupted. "
                   f"Finish with: classbench run --resume {run_id} --out {opts.out}")
        return "interrupted"
    finally:
        executor.shutdown(kill=True)
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _progress_line(i: int, n: int, t: PlannedTrial, res: dict[str, Any]) -> str:
    s = t.spec
    where = f"[{i}/{n}] {s.dataset.name} · {t.label} · seed {s.seed}" + (
        f" · fold {s.fold + 1}/{s.n_folds}" if s.n_folds > 1 else "")
    if res["status"] == "ok":
        if res.get("task") == "regression":
            return f"{where}: rmse {res['rmse']:.4g}, r2 {res['r2']:.4f}, train {res['train_s']:.1f} s"
        return f"{where}: accuracy {res['accuracy']:.4f}, train {res['train_s']:.1f} s"
    return f"{where}: {res['status'].upper()}: {str(res.get('error', '')).splitlines()[0][:200]}"

