"""The Ray executor: each trial is a Ray task; results stream back to the driver, which alone writes the store.

``pip install classbench[ray]``. Without an address a local Ray instance is started on 127.0.0.1;
``--address auto`` joins a running cluster on this machine, ``--address ray://HOST:PORT`` a remote one through
Ray Client. Datasets are read by the workers, so their files must be reachable there (same paths or the
download cache).

Each trial is a Ray generator task: while the model trains it yields the new rows of its per-epoch history
(about once a second), then its result; a trial stopped for its time budget keeps the epochs it had sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import UserError
from .executors import Event


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray, which is not installed. Install it with "
                        "`pip install 'classbench[ray]'` (or `pip install ray`), or use --executor local.") from None
    return ray


def _run_remote(spec: dict[str, Any], ctx: dict[str, Any], threads: int, runtime: dict[str, Any]) -> Iterator[Any]:
    """Yield ``("history", rows)`` while the trial trains, then ``("result", result)``."""
    import threading

    from .trial import _clean_history, run_trial

    models: list[Any] = []
    box: dict[str, Any] = {}

    def work() -> None:
        box["result"] = run_trial(spec, ctx, threads, runtime, on_model=models.append)

    worker = threading.Thread(target=work, name="classbench-trial", daemon=True)
    worker.start()
    sent = 0
    while True:
        worker.join(1.0)
        history = getattr(models[0], "history_", None) if models else None
        if isinstance(history, list):
            sent = min(sent, len(history))  # a fit that started over
            if len(history) > sent:
                rows = _clean_history(history[sent:])
                sent += len(rows)
                yield ("history", rows)
        if not worker.is_alive():
            break
    yield ("result", box.get("result") or {"status": "failed", "error": "the trial thread ended without a result"})


def _preflight(address: str) -> None:
    """Fail in seconds, not minutes, when nothing listens at HOST:PORT (Ray itself retries for long)."""
    import socket

    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise UserError(f"--address {address!r} is not of the form HOST:PORT, ray://HOST:PORT or auto.")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as exc:
        raise UserError(f"Cannot reach the Ray cluster at {address}: {exc.strerror or exc}. Check that the head "
                        f"node runs (`ray start --head`, `ray status`) and that the address and port are right, "
                        f"or drop --address to start a local Ray instance.") from None


@dataclass
class RayExecutor:
    workers: int | None = None  # concurrent trials; None: as many as the cluster's CPUs allow
    threads: int = 1
    runtime: dict[str, Any] = field(default_factory=dict)  # per-run options for every trial (device)
    time_budget: float | None = None
    address: str | None = None
    _ray: Any = None
    _remote: Any = None
    _running: dict[Any, tuple[Any, float]] = field(default_factory=dict)
    _history: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)  # epochs streamed per running trial
    _gpus: float = 0.0
    _owns_cluster: bool = False
    _started: list[Any] = field(default_factory=list)  # submitted jobs whose start is not yet announced

    def __post_init__(self) -> None:
        ray = self._ray = _import_ray()
        import os

        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
        if ray.is_initialized():
            ray.shutdown()
        if self.address and self.address != "auto":
            _preflight(self.address)
        try:
            if self.address:
                ray.init(address=self.address, **({} if self.address.startswith("ray://") else kwargs))
            else:
                ray.init(num_cpus=os.cpu_count(), _node_ip_address="127.0.0.1", **kwargs)
                self._owns_cluster = True
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError depending on path
            raise UserError(f"Cannot connect to the Ray cluster at {self.address or 'a new local instance'}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. Check the address "
                            f"(`ray status` on the head node shows it), or drop --address to start a local "
                            f"instance.") from None
        res = ray.cluster_resources()
        cpus = float(res.get("CPU", 0))
        self._gpus = float(res.get("GPU", 0))
        if cpus < self.threads:
            self.shutdown()
            raise UserError(f"The Ray cluster has {cpus:g} CPUs but each trial asks for {self.threads}; "
                            f"add nodes or lower the threads per trial.")
        if self.workers is None:
            self.workers = max(1, int(cpus // self.threads))
        self._remote = ray.remote(max_retries=0)(_run_remote)

    def idle(self) -> int:
        return max(0, (self.workers or 1) - len(self._running))

    def busy(self) -> int:
        return len(self._running)

    def running(self) -> list[Any]:
        return [job for job, _ in self._running.values()]

    def submit(self, job: Any, spec: dict[str, Any], ctx: dict[str, Any]) -> None:
        opts: dict[str, Any] = {"num_cpus": self.threads}
        if self._gpus >= 1 and getattr(job, "family", "") == "torch":
            opts["num_gpus"] = 1
        gen = self._remote.options(**opts).remote(spec, ctx, self.threads, self.runtime)
        self._running[gen] = (job, time.monotonic())
        self._history[gen] = []
        self._started.append(job)

    def take_unstarted(self) -> list[Any]:
        """Ray starts every submitted trial (the driver submits no more than the cluster runs at once)."""
        return []

    def next_events(self, poll: float = 1.0) -> Iterator[Event]:
        ray = self._ray
        if self._started:
            started, self._started = self._started, []
            yield from (Event(job, None) for job in started)
        if not self._running:
            return
        timeout = poll
        if self.time_budget:
            left = min(t0 + self.time_budget - time.monotonic() for _, t0 in self._running.values())
            timeout = max(0.0, min(poll, left))
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        for gen in ready:
            result = self._next(gen)
            if result is not None:
                job, _ = self._running.pop(gen)
                self._history.pop(gen, None)
                yield Event(job, result)
        if self.time_budget:
            now = time.monotonic()
            for gen, (_job, t0) in list(self._running.items()):
                if now - t0 > self.time_budget:
                    yield self._stop(gen, f"stopped after its time budget of {self.time_budget:g} s")

    def _next(self, gen: Any) -> dict[str, Any] | None:
        """Take the next message of a ready trial: None after a history message, else its final result."""
        ray = self._ray
        try:
            kind, payload = ray.get(next(gen))
        except StopIteration:
            kind, payload = "result", {"status": "failed", "error": "the Ray task ended without a result"}
        except Exception as exc:  # noqa: BLE001 - a worker crash is a recorded failure
            kind, payload = "result", {
                "status": "failed", "history": self._history.get(gen, []),
                "error": f"the Ray worker failed while running this trial: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
        if kind == "history":
            self._history[gen].extend(payload)
            return None
        return payload

    def _stop(self, gen: Any, error: str) -> Event:
        """Cancel a running trial: a ``timeout`` event with the epochs it had sent."""
        ray = self._ray
        while True:  # history rows (or the result) that arrived since the last wait
            ready, _ = ray.wait([gen], num_returns=1, timeout=0)
            if not ready:
                break
            result = self._next(gen)
            if result is not None:
                job, _ = self._running.pop(gen)
                self._history.pop(gen, None)
                return Event(job, result)
        try:
            ray.cancel(gen, force=True)
        except Exception:  # noqa: BLE001 - already finished or gone
            pass
        job, _ = self._running.pop(gen)
        history = self._history.pop(gen, [])
        kept = f"; {len(history)} finished epoch(s) kept in its history" if history else ""
        return Event(job, {"status": "timeout", "history": history, "error": error + kept})

    def stop_all(self, error: str) -> list[Event]:
        """Cancel every running trial now: each becomes a ``timeout`` event with the epochs it had sent."""
        return [self._stop(gen, error) for gen in list(self._running)]

    def shutdown(self, kill: bool = False) -> None:
        ray = self._ray
        if ray is None:
            return
        for ref in list(self._running):
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001
                pass
        self._running.clear()
        if ray.is_initialized():
            ray.shutdown()
        self._ray = None
