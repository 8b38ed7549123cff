"""The local executor: N worker processes, each running one trial at a time.

A worker is a spawned process fed trials over a pipe. The driver watches both the pipes and the
processes, so a trial whose worker dies (crash, segfault, killed for memory) is recorded as failed,
and a trial past its time budget has its worker killed and is recorded as ``timeout``; in both cases a
fresh worker replaces the old one and the suite goes on. Trials known to be short (a few ms of
hand-off matter there) are queued one deep behind the running one (see ``LocalExecutor._room``).

While a trial trains, its worker streams each new per-epoch history row to the driver (a watcher thread
reads the model's ``history_`` once a second), so a trial stopped for time, memory or a crash keeps the
epochs it had finished.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Any, Iterator


def _die_with_driver(driver_pid: int | None) -> None:
    """Make this worker stop within about a second of its driver's death, even a SIGKILL that leaves the
    driver no chance to tell it (the pipe's EOF is only read between trials, so a trial would run on).

    On Linux the kernel sends the worker SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``; the
    workers are started by the driver's thread that runs the suite, so that thread's end is the driver's).
    Everywhere, a daemon thread also polls the parent pid twice a second: a worker whose parent changed
    (re-parented to init after the driver died) exits at once.
    """
    if driver_pid is None:
        return
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != driver_pid:  # the driver died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == driver_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="classbench-driver-watch", daemon=True).start()


def _worker_main(conn: Connection, warm: tuple[str, ...] = (), driver_pid: int | None = None) -> None:
    from .._startup import keep_scipy_docstrings, pause_gc, resume_gc

    pause_gc()  # until the first trial: imports run faster without collector passes (see _startup.py)
    keep_scipy_docstrings()  # nor SciPy's docstring rewriting: nothing in a worker shows them
    _die_with_driver(driver_pid)
    import importlib

    from .. import contract, models  # noqa: F401  (warm-up: imports are not charged to the first trial)
    from .trial import run_trial

    def import_all(modules: tuple[str, ...]) -> None:
        for module in modules:  # the suite's model modules (scikit-learn, torch ...), while the driver plans
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the trial that needs it reports the error
                pass

    import_all(warm)
    lock = threading.Lock()

    def send(msg: Any) -> None:
        with lock:
            conn.send(msg)

    watcher = _HistoryWatcher(send)

    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:  # shut down: nothing to flush, so skip the interpreter's teardown (~0.3 s)
            import sys

            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            conn.close()
            os._exit(0)
        if msg[0] == "warm":  # an early worker adopted by an executor: the suite's model modules
            import_all(msg[1])
            continue
        resume_gc()  # the worker's imports are done: collect again, skipping what they made
        job_id, spec, ctx, threads, runtime = msg
        send((job_id, None))  # started: the time budget counts from here, not from process spawn
        try:
            result = run_trial(spec, ctx, threads, runtime, on_model=partial(watcher.watch, job_id))
        finally:
            watcher.stop()
        send((job_id, result))


class _HistoryWatcher:
    """Send ``(job_id, ("history", rows))`` for the per-epoch rows a model appends to ``history_`` while
    it trains.

    One daemon thread per worker, started with the first model it watches and kept for the worker's life:
    a thread started and joined per trial cost about 0.2 ms a trial, a tenth of a tiny trial's hand-off.
    ``watch`` points it at the model being fitted, ``stop`` detaches it; a flush runs under the same lock,
    so nothing of a finished trial is sent after ``stop`` returns (its result carries the whole history).
    """

    def __init__(self, send: Any, every: float = 1.0) -> None:
        self.send, self.every = send, every
        self.lock = threading.Lock()
        self.job_id: Any = None
        self.model: Any = None
        self.sent = 0
        self.thread: threading.Thread | None = None

    def watch(self, job_id: Any, model: Any) -> None:
        with self.lock:
            self.job_id, self.model, self.sent = job_id, model, 0
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name="classbench-history", daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.every)
            with self.lock:
                if self.model is not None:
                    self._flush()

    def _flush(self) -> None:
        from .trial import _clean_history

        history = getattr(self.model, "history_", None)
        if not isinstance(history, list):
            return
        if len(history) < self.sent:  # a new fit started over
            self.sent = 0
        rows = list(history[self.sent:])
        if rows:
            try:
                self.send((self.job_id, ("history", _clean_history(rows))))
            except (OSError, ValueError, TypeError):
                return
            self.sent += len(rows)

    def stop(self) -> None:
        with self.lock:
            self.job_id, self.model, self.sent = None, None, 0


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (0 where /proc is not available)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


@dataclass
class _Worker:
    process: Any
    conn: Connection
    jobs: list[tuple[Any, Any]] = field(default_factory=list)  # (job, message) sent and not finished, in order
    running: bool = False  # jobs[0] has said it started
    started: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)  # epochs streamed so far by the running trial


def _start_worker(ctx: Any, warm: tuple[str, ...]) -> _Worker:
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_main, args=(child, warm, os.getpid()), daemon=True)
    proc.start()
    child.close()
    return _Worker(proc, parent)


# Workers started before their executor exists. Each takes about a second to start (most of it importing
# scikit-learn, which pulls in SciPy and pandas); `classbench run` starts them first thing, so that this
# overlaps the driver's own start-up (its imports, checking the suite, setting up the results database)
# on another core instead of following it.
_EARLY: list[_Worker] = []


@contextmanager
def early_workers(n: int) -> Iterator[None]:
    """Start ``n`` local workers now for the :class:`LocalExecutor` made inside the block to take over (it
    sends them the suite's model modules to import); those not taken are stopped when the block ends
    (an error before the suite ran, or another executor). Only from the thread that will run the suite:
    a worker dies with the thread that started it (see ``_die_with_driver``)."""
    started = [_start_worker(mp.get_context("spawn"), ()) for _ in range(max(0, n))]
    _EARLY.extend(started)
    try:
        yield
    finally:
        for w in started:
            if any(x is w for x in _EARLY):
                _EARLY[:] = [x for x in _EARLY if x is not w]
                LocalExecutor._kill(w)


@dataclass
class Event:
    """What happened to a job: ``result`` is the trial's result dict, or None when the job just started."""

    job: Any
    result: dict[str, Any] | None


@dataclass
class LocalExecutor:
    workers: int = 1
    threads: int = 1
    runtime: dict[str, Any] = field(default_factory=dict)  # per-run options for every trial (device)
    time_budget: float | None = None  # seconds per trial
    memory_budget: float | None = None  # MiB of resident memory per worker
    queue_below: float = 0.5  # queue a trial behind a running one whose kind takes less than this (s)
    _pool: list[_Worker] = field(default_factory=list)
    _ctx: Any = None
    _warm: tuple[str, ...] = ()
    _backlog: list[tuple[Any, Any]] = field(default_factory=list)  # submitted, not yet sent to a worker
    _lost: dict[int, int] = field(default_factory=dict)  # id(job) -> workers that died before it started
    _events: list[Event] = field(default_factory=list)  # decided outside next_events, yielded by it
    _durations: dict[str, list[float]] = field(default_factory=dict)  # kind of trial -> recent durations

    def __post_init__(self) -> None:
        self._ctx = mp.get_context("spawn")

    def prestart(self, warm: tuple[str, ...] = ()) -> None:
        """Start the workers now, importing ``warm`` modules, so that they get ready while the driver plans."""
        self._warm = tuple(warm)
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn())

    def _spawn(self) -> _Worker:
        while _EARLY:  # a worker started before this executor existed (early_workers): take it over
            w = _EARLY.pop(0)
            try:
                if self._warm:
                    w.conn.send(("warm", self._warm))
                return w
            except OSError:  # it died meanwhile: start a fresh one
                self._kill(w)
        return _start_worker(self._ctx, self._warm)

    # Short trials are queued: a worker that runs a trial of a kind known to take under `queue_below`
    # seconds already holds the next one in its pipe, so it starts it the moment it sends its result,
    # without waiting for the driver to record that result (a few ms a trial, most of the overhead of
    # tiny trials). A trial is never queued behind a long one, so no worker idles while another holds
    # two. A queued trial counts as started only when its worker says so.
    @staticmethod
    def _kind(msg: Any) -> str:
        spec = msg[1]
        return repr((spec.get("dataset"), spec.get("model")))

    def _short(self, msg: Any) -> bool:
        recent = self._durations.get(self._kind(msg))
        return bool(recent) and sorted(recent)[len(recent) // 2] < self.queue_below

    def _room(self, w: _Worker) -> bool:
        return not w.jobs or (len(w.jobs) == 1 and self._short(w.jobs[0][1]))

    def idle(self) -> int:
        free = sum(self._room(w) for w in self._pool) + (self.workers - len(self._pool))
        return max(0, free - len(self._backlog))

    def busy(self) -> int:
        return sum(len(w.jobs) for w in self._pool) + len(self._backlog)

    def running(self) -> list[Any]:
        return [w.jobs[0][0] for w in self._pool if w.running]

    def submit(self, job: Any, spec: dict[str, Any], ctx: dict[str, Any]) -> None:
        self._backlog.append((job, (id(job), spec, ctx, self.threads, self.runtime)))
        self._dispatch()

    def _dispatch(self) -> None:
        """Send backlog jobs to idle workers first, then fresh ones, then behind short running trials."""
        while self._backlog:
            worker = next((w for w in self._pool if not w.jobs), None)
            if worker is None and len(self._pool) < self.workers:
                worker = self._spawn()
                self._pool.append(worker)
            if worker is None:
                worker = next((w for w in self._pool if self._room(w)), None)
            if worker is None:
                return
            item = self._backlog.pop(0)
            worker.jobs.append(item)
            try:
                worker.conn.send(item[1])
            except OSError:  # the worker died (killed, out of memory): its jobs go to a fresh one
                self._events.extend(self._retire(worker, "", died="its pipe was closed"))

    def take_unstarted(self) -> list[Any]:
        """Remove and return the jobs that were submitted but never started (after ``stop_all``)."""
        jobs = [job for job, _ in self._backlog]
        self._backlog.clear()
        return jobs

    def next_events(self, poll: float = 1.0) -> Iterator[Event]:
        """Block until at least one job starts, finishes, fails or times out (or ``poll`` s pass); yield them."""
        self._dispatch()
        if self._events:
            events, self._events = self._events, []
            yield from events
            return
        busy = [w for w in self._pool if w.jobs]
        if not busy:
            return
        timeout = 0.2 if self.memory_budget else poll
        if self.time_budget and any(w.running for w in busy):
            left = min(w.started + self.time_budget - time.monotonic() for w in busy if w.running)
            timeout = max(0.0, min(timeout, left))
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for w in busy:
            if w.conn in ready or w.process.sentinel in ready:
                yield from self._receive(w)
            if w.process.sentinel in ready or not w.process.is_alive():
                w.process.join(1)
                code = w.process.exitcode
                why = (f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}")
                if code is not None and code == -9:
                    why += " (SIGKILL: often the kernel's out-of-memory killer)"
                yield from self._retire(w, f"the worker process died while running this trial ({why}); the "
                                           f"rest of the suite went on", died=why)
            elif self.memory_budget and _rss_mb(w.process.pid) > self.memory_budget:
                yield from self._retire(w, f"stopped: its worker went over the memory budget of "
                                           f"{self.memory_budget:g} MiB")
            elif self.time_budget and w.running and time.monotonic() - w.started > self.time_budget:
                yield from self._receive(w)  # the epochs (or the result) that came in since the wait
                if w.running and time.monotonic() - w.started > self.time_budget:
                    yield from self._retire(w, f"stopped after its time budget of {self.time_budget:g} s",
                                            status="timeout")
        self._dispatch()

    def stop_all(self, error: str) -> list[Event]:
        """Stop every running trial now: each becomes a ``timeout`` event with the epochs it had streamed.

        Jobs that had not started go back to the backlog (``take_unstarted``)."""
        events: list[Event] = []
        for w in [w for w in self._pool if w.jobs]:
            events += [e for e in self._receive(w) if e.result is not None]
            events += self._retire(w, error, status="timeout")
        events += [e for e in self._events if e.result is not None]
        self._events = []
        return events

    def _retire(self, w: _Worker, error: str, status: str = "failed", died: str = "") -> list[Event]:
        """Kill ``w``: its running trial ends as ``status`` with ``error`` and the epochs it streamed;
        the jobs it had not started go back to the front of the backlog. ``died``: why the process
        died by itself (a job that loses three workers that way before it starts fails)."""
        self._kill(w)
        self._pool.remove(w)
        events = []
        waiting = w.jobs
        if w.running:
            job = w.jobs[0][0]
            waiting = w.jobs[1:]
            if status == "timeout":
                kept = f"; {len(w.history)} finished epoch(s) kept in its history" if w.history else ""
                error += kept
            events.append(Event(job, {"status": status, "history": w.history, "error": error}))
        back = []
        for job, msg in waiting:  # not started: retry elsewhere
            lost = self._lost[id(job)] = self._lost.get(id(job), 0) + bool(died)
            if lost > 2:
                events.append(Event(job, {"status": "failed", "history": [],
                                          "error": f"{lost} worker processes died before this trial could "
                                                   f"start (the last: {died}); the rest of the suite went on"}))
            else:
                back.append((job, msg))
        self._backlog[:0] = back
        return events

    def _receive(self, w: _Worker) -> list[Event]:
        """Read every message waiting from ``w``: starts, history rows and results, as events."""
        events = []
        while w.jobs:
            try:
                if not w.conn.poll():
                    break
                job_id, msg = w.conn.recv()
            except (EOFError, OSError):
                break
            job, sent = w.jobs[0]
            if job_id != id(job):  # cannot happen: a worker runs its jobs in the order they were sent
                continue
            if msg is None:  # started: the time budget counts from here, not from when it was sent
                w.running, w.started, w.history = True, time.monotonic(), []
                events.append(Event(job, None))
            elif isinstance(msg, tuple) and msg[0] == "history":
                w.history.extend(msg[1])
            else:
                took = (msg.get("extra") or {}).get("trial_s") or time.monotonic() - w.started
                recent = self._durations.setdefault(self._kind(sent), [])
                recent[:] = (recent + [float(took)])[-5:]
                w.jobs.pop(0)
                w.running, w.history = False, []
                events.append(Event(job, msg))
        return events

    @staticmethod
    def _kill(w: _Worker) -> None:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(5)
        w.conn.close()

    def shutdown(self, kill: bool = False) -> None:
        for w in self._pool:
            if kill or w.jobs:
                self._kill(w)
                continue
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            w.process.join(5)
            if w.process.is_alive():
                self._kill(w)
        self._pool.clear()
