"""The local executor: N worker processes, each running one trial at a time.

A worker is a spawned process fed trials over a pipe. The driver watches both the pipes and the
processes, so a trial whose worker dies (crash, segfault, killed for memory) is recorded as failed,
and a trial past its time budget has its worker killed and is recorded as ``timeout``; in both cases a
fresh worker replaces the old one and the suite goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Iterator


def _worker_main(conn: Connection) -> None:
    from .. import contract, models  # noqa: F401  (warm-up: imports are not charged to the first trial)
    from .trial import run_trial

    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        job_id, spec, ctx, threads, runtime = msg
        conn.send((job_id, None))  # started: the time budget counts from here, not from process spawn
        conn.send((job_id, run_trial(spec, ctx, threads, runtime)))


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

    def __post_init__(self) -> None:
        self._ctx = mp.get_context("spawn")

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
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
        worker.conn.send((id(job), spec, ctx, self.threads, self.runtime))

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
                try:
                    _, result = w.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is None and w.process.is_alive():  # the "started" message
                    w.started = time.monotonic()
                    continue
                if result is not None:
                    job, w.job = w.job, None
                    yield Event(job, result)
                    continue
            if w.process.sentinel in ready or not w.process.is_alive():
                w.process.join(1)
                code = w.process.exitcode
                why = (f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}")
                if code is not None and code == -9:
                    why += " (SIGKILL: often the kernel's out-of-memory killer)"
                job = w.job
                self._replace(w)
                yield Event(job, {"status": "failed", "error": f"the worker process died while running this "
                                                               f"trial ({why}); the rest of the suite went on"})
            elif self.memory_budget and _rss_mb(w.process.pid) > self.memory_budget:
                job = w.job
                self._replace(w)
                yield Event(job, {"status": "failed", "error": f"stopped: its worker went over the memory budget "
                                                               f"of {self.memory_budget:g} MiB"})
            elif self.time_budget and time.monotonic() - w.started > self.time_budget:
                job = w.job
                self._replace(w)
                yield Event(job, {"status": "timeout", "error": f"stopped after its time budget of "
                                                                f"{self.time_budget:g} s"})

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
