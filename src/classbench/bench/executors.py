"""The local executor: N worker processes, each running one trial at a time.

A worker is a spawned process fed trials over a pipe. The driver watches both the pipes and the
processes, so a trial whose worker dies (crash, segfault, killed for memory) is recorded as failed,
and a trial past its time budget has its worker killed and is recorded as ``timeout``; in both cases a
fresh worker replaces the old one and the suite goes on.

While a trial trains, its worker streams each new per-epoch history row to the driver (a watcher thread
reads the model's ``history_`` once a second), so a trial stopped for time, memory or a crash keeps the
epochs it had finished.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Iterator


def _worker_main(conn: Connection, warm: tuple[str, ...] = ()) -> None:
    import importlib

    from .. import contract, models  # noqa: F401  (warm-up: imports are not charged to the first trial)
    from .trial import run_trial

    for module in warm:  # the suite's model modules (scikit-learn, torch ...), while the driver plans
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the trial that needs it reports the error
            pass

    lock = threading.Lock()

    def send(msg: Any) -> None:
        with lock:
            conn.send(msg)

    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        job_id, spec, ctx, threads, runtime = msg
        send((job_id, None))  # started: the time budget counts from here, not from process spawn
        watcher = _HistoryWatcher(job_id, send)
        try:
            result = run_trial(spec, ctx, threads, runtime, on_model=watcher.watch)
        finally:
            watcher.stop()
        send((job_id, result))


class _HistoryWatcher:
    """Send ``("history", rows)`` for the per-epoch rows a model appends to ``history_`` while it trains."""

    def __init__(self, job_id: int, send: Any, every: float = 1.0) -> None:
        self.job_id, self.send, self.every = job_id, send, every
        self.model: Any = None
        self.sent = 0
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def watch(self, model: Any) -> None:
        self.model = model
        self.thread = threading.Thread(target=self._loop, name="classbench-history", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.done.wait(self.every):
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
        self.done.set()
        if self.thread is not None:
            self.thread.join(5)


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
    job: Any = None
    started: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)  # epochs streamed so far by the running trial


@dataclass
class Event:
    """What happened to a job: ``result`` is the trial's result dict."""

    job: Any
    result: dict[str, Any]


@dataclass
class LocalExecutor:
    workers: int = 1
    threads: int = 1
    runtime: dict[str, Any] = field(default_factory=dict)  # per-run options for every trial (device)
    time_budget: float | None = None  # seconds per trial
    memory_budget: float | None = None  # MiB of resident memory per worker
    _pool: list[_Worker] = field(default_factory=list)
    _ctx: Any = None
    _warm: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._ctx = mp.get_context("spawn")

    def prestart(self, warm: tuple[str, ...] = ()) -> None:
        """Start the workers now, importing ``warm`` modules, so that they get ready while the driver plans."""
        self._warm = tuple(warm)
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self._warm), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def idle(self) -> int:
        return sum(w.job is None for w in self._pool) + (self.workers - len(self._pool))

    def busy(self) -> int:
        return sum(w.job is not None for w in self._pool)

    def submit(self, job: Any, spec: dict[str, Any], ctx: dict[str, Any]) -> None:
        worker = next((w for w in self._pool if w.job is None), None)
        if worker is None:
            worker = self._spawn()
            self._pool.append(worker)
        worker.job, worker.started = job, time.monotonic() + 3600.0  # reset when the worker says it started
        worker.history = []
        msg = (id(job), spec, ctx, self.threads, self.runtime)
        try:
            worker.conn.send(msg)
        except OSError:  # the idle worker died (killed, out of memory): a fresh one takes the trial
            self._replace(worker)
            worker = self._spawn()
            self._pool.append(worker)
            worker.job, worker.started, worker.history = job, time.monotonic() + 3600.0, []
            worker.conn.send(msg)

    def running(self) -> list[Any]:
        return [w.job for w in self._pool if w.job is not None]

    def next_events(self, poll: float = 1.0) -> Iterator[Event]:
        """Block until at least one job finishes, fails or times out (or ``poll`` s pass); yield them."""
        busy = [w for w in self._pool if w.job is not None]
        if not busy:
            return
        timeout = 0.2 if self.memory_budget else poll
        if self.time_budget:
            left = min(w.started + self.time_budget - time.monotonic() for w in busy)
            timeout = max(0.0, min(poll, left))
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for w in busy:
            if w.conn in ready:
                result = self._receive(w)
                if result is not None:
                    job, w.job = w.job, None
                    yield Event(job, result)
                    continue
                if w.process.is_alive() and w.process.sentinel not in ready:
                    continue
            if w.process.sentinel in ready or not w.process.is_alive():
                w.process.join(1)
                code = w.process.exitcode
                why = (f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}")
                if code is not None and code == -9:
                    why += " (SIGKILL: often the kernel's out-of-memory killer)"
                job, history = w.job, w.history
                self._replace(w)
                yield Event(job, {"status": "failed", "history": history,
                                  "error": f"the worker process died while running this "
                                           f"trial ({why}); the rest of the suite went on"})
            elif self.memory_budget and _rss_mb(w.process.pid) > self.memory_budget:
                job, history = w.job, w.history
                self._replace(w)
                yield Event(job, {"status": "failed", "history": history,
                                  "error": f"stopped: its worker went over the memory budget "
                                           f"of {self.memory_budget:g} MiB"})
            elif self.time_budget and time.monotonic() - w.started > self.time_budget:
                result = self._receive(w)  # the epochs (or the result) that came in since the wait
                if result is not None:
                    job, w.job = w.job, None
                    yield Event(job, result)
                    continue
                job, history = w.job, w.history
                self._replace(w)
                kept = f"; {len(history)} finished epoch(s) kept in its history" if history else ""
                yield Event(job, {"status": "timeout", "history": history,
                                  "error": f"stopped after its time budget of {self.time_budget:g} s{kept}"})

    def stop_all(self, error: str) -> list[Event]:
        """Stop every running trial now: each becomes a ``timeout`` event with the epochs it had streamed."""
        events = []
        for w in [w for w in self._pool if w.job is not None]:
            result = self._receive(w)
            job, history = w.job, w.history
            self._replace(w)
            events.append(Event(job, result if result is not None else
                                {"status": "timeout", "history": history, "error": error}))
        return events

    @staticmethod
    def _receive(w: _Worker) -> dict[str, Any] | None:
        """Read every message waiting from ``w``: note "started" and history rows; return a final result."""
        while True:
            try:
                if not w.conn.poll():
                    return None
                _, msg = w.conn.recv()
            except (EOFError, OSError):
                return None
            if msg is None:  # the "started" message
                w.started = time.monotonic()
            elif isinstance(msg, tuple) and msg[0] == "history":
                w.history.extend(msg[1])
            else:
                return msg

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        self._pool.remove(w)

    @staticmethod
    def _kill(w: _Worker) -> None:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(5)
        w.conn.close()

    def shutdown(self, kill: bool = False) -> None:
        for w in self._pool:
            if kill or w.job is not None:
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
