"""The Ray executor: each trial is a Ray task; results stream back to the driver, which alone writes the store.

``pip install classbench[ray]``. Without an address a local Ray instance is started on 127.0.0.1;
``--address auto`` joins a running cluster on this machine, ``--address HOST:PORT`` a cluster's head node,
``--address ray://HOST:PORT`` a remote one through Ray Client. Datasets are read by the workers, so their
files must be reachable there (same paths or the download cache).

Each trial is a Ray generator task: it first says which node runs it, then, while the model trains, yields
the new rows of its per-epoch history (about once a second), then its result; a trial stopped for its time
budget keeps the epochs it had sent. ``extra["node"]`` of every result names the node that ran it.

Nodes come and go (``ray_nodes.py``): a trial whose node dies is submitted again, up to ``node_retries``
times, or recorded as failed with "node lost" as its reason; a head node that goes away ends the run
with :class:`ClusterLostError` (the runner keeps what finished, and ``--resume`` finishes the rest).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..errors import UserError
from .executors import Event
from .ray_nodes import ClusterLostError, ClusterWatch, import_ray, node_label, preflight

__all__ = ["RayExecutor", "ClusterLostError"]


def _run_remote(spec: dict[str, Any], ctx: dict[str, Any], threads: int, runtime: dict[str, Any]) -> Iterator[Any]:
    """Yield ``("started", node)``, ``("history", rows)`` while the trial trains, then ``("result", result)``."""
    import os
    import socket
    import threading

    import ray

    if runtime.get("plugins") and not os.environ.get("CLASSBENCH_PLUGINS"):  # the driver's plugin models
        os.environ["CLASSBENCH_PLUGINS"] = runtime["plugins"]
    from .trial import _clean_history, run_trial

    yield ("started", {"id": ray.get_runtime_context().get_node_id(), "ip": ray.util.get_node_ip_address(),
                       "name": os.environ.get("CLASSBENCH_NODE_NAME") or socket.gethostname()})
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


@dataclass
class _Attempt:
    """One trial on the cluster (across the attempts a node loss forces)."""

    job: Any
    spec: dict[str, Any]
    ctx: dict[str, Any]
    options: dict[str, Any]  # Ray task options: num_cpus, num_gpus, resources
    t0: float | None = None  # when it started on a node; its time budget counts from there
    node: dict[str, Any] | None = None  # the node running it (from its "started" message)
    announced: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # nodes that died while holding this trial


@dataclass
class RayExecutor:
    workers: int | None = None  # concurrent trials; None: as many as the cluster's CPUs allow
    threads: int = 1
    runtime: dict[str, Any] = field(default_factory=dict)  # per-run options for every trial (device)
    time_budget: float | None = None
    address: str | None = None
    gpu_resource: str | None = None  # a custom Ray resource torch trials ask one unit of (e.g. "fake_gpu")
    node_retries: int = 3  # times a trial is submitted again after its node died
    _ray: Any = None
    _remote: Any = None
    _running: dict[Any, _Attempt] = field(default_factory=dict)
    _gpus: float = 0.0
    _owns_cluster: bool = False
    _auto_workers: bool = False
    _watch: ClusterWatch | None = None
    _nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id -> what its trials said of it

    def __post_init__(self) -> None:
        ray = self._ray = import_ray()
        import os

        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
        if ray.is_initialized():
            ray.shutdown()
        if self.address and self.address != "auto":
            preflight(self.address)
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
        if os.environ.get("CLASSBENCH_PLUGINS"):
            self.runtime.setdefault("plugins", os.environ["CLASSBENCH_PLUGINS"])
        res = ray.cluster_resources()
        cpus = float(res.get("CPU", 0))
        self._gpus = float(res.get("GPU", 0))
        if cpus < self.threads:
            self.shutdown()
            raise UserError(f"The Ray cluster has {cpus:g} CPUs but each trial asks for {self.threads}; "
                            f"add nodes or lower the threads per trial.")
        if self.gpu_resource and res.get(self.gpu_resource, 0) < 1:
            self.shutdown()
            have = ", ".join(sorted(k for k in res if not k.startswith("node:"))) or "none"
            raise UserError(f"--gpu-resource {self.gpu_resource!r}: no node of the Ray cluster at "
                            f"{self.address or 'this machine'} has that resource (the cluster has: {have}). Start "
                            f"the node with it as `ray start ... --resources '{{\"{self.gpu_resource}\": 1}}'`, "
                            f"or drop --gpu-resource.")
        if self.workers is None:
            self.workers = max(1, int(cpus // self.threads))
            self._auto_workers = True
        if not self._owns_cluster and not (self.address or "").startswith("ray://"):
            self._watch = ClusterWatch(ray, self.address or "auto")
        self._remote = ray.remote(max_retries=0)(_run_remote)  # node losses are retried here, counted

    def idle(self) -> int:
        return max(0, (self.workers or 1) - len(self._running))

    def busy(self) -> int:
        return len(self._running)

    def running(self) -> list[Any]:
        return [a.job for a in self._running.values()]

    def _options(self, job: Any) -> dict[str, Any]:
        opts: dict[str, Any] = {"num_cpus": self.threads}
        if getattr(job, "family", "") == "torch":
            if self.gpu_resource:
                opts["resources"] = {self.gpu_resource: 1}
            elif self._gpus >= 1:
                opts["num_gpus"] = 1
        return opts

    def submit(self, job: Any, spec: dict[str, Any], ctx: dict[str, Any]) -> None:
        self._launch(_Attempt(job, spec, ctx, self._options(job)))

    def _launch(self, att: _Attempt) -> None:
        att.t0, att.node, att.history = None, None, []  # a new attempt streams its epochs from the first
        gen = self._remote.options(**att.options).remote(att.spec, att.ctx, self.threads, self.runtime)
        self._running[gen] = att

    def take_unstarted(self) -> list[Any]:
        """Cancel the submitted trials no node has started yet and hand them back (they stay pending)."""
        out = []
        for gen, att in list(self._running.items()):
            if att.t0 is None and not self._ready(gen):
                self._cancel(gen)
                del self._running[gen]
                out.append(att.job)
        return out

    def _ready(self, gen: Any) -> bool:
        return bool(self._ray.wait([gen], num_returns=1, timeout=0)[0])

    def next_events(self, poll: float = 1.0) -> Iterator[Event]:
        ray = self._ray
        if not self._running:
            return
        timeout = poll
        if self.time_budget:
            started = [a.t0 for a in self._running.values() if a.t0 is not None]
            if started:
                timeout = max(0.0, min(poll, min(started) + self.time_budget - time.monotonic()))
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        for gen in ready:
            event = self._take(gen)
            if event is not None:
                yield event
        if self._watch is not None and self._watch.due():
            yield from self._check_cluster()
        if self.time_budget:
            now = time.monotonic()
            for gen, att in list(self._running.items()):
                if att.t0 is not None and now - att.t0 > self.time_budget:
                    yield self._stop(gen, f"stopped after its time budget of {self.time_budget:g} s")

    def _take(self, gen: Any) -> Event | None:
        """Handle the next message of a ready trial: an event for a start or a result, else None."""
        ray = self._ray
        att = self._running[gen]
        try:
            kind, payload = ray.get(next(gen))
        except StopIteration:
            kind, payload = "result", {"status": "failed", "error": "the Ray task ended without a result"}
        except ray.exceptions.NodeDiedError as exc:
            return self._node_lost(gen, exc)
        except Exception as exc:  # noqa: BLE001 - a worker crash is a recorded failure
            kind, payload = "result", {
                "status": "failed", "history": att.history,
                "error": f"the Ray worker failed while running this trial: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
        if kind == "started":
            att.node, att.t0 = payload, time.monotonic()
            self._nodes[payload["id"]] = payload
            if not att.announced:
                att.announced = True
                return Event(att.job, None)
            return None
        if kind == "history":
            att.history.extend(payload)
            return None
        del self._running[gen]
        return Event(att.job, self._with_node(att, payload))

    @staticmethod
    def _with_node(att: _Attempt, result: dict[str, Any]) -> dict[str, Any]:
        extra = dict(result.get("extra") or {})
        if att.node:
            extra["node"] = att.node
        if att.lost:
            extra["nodes_lost"] = list(att.lost)  # the trial was submitted again after each
        return {**result, "extra": extra}

    def _node_lost(self, gen: Any, exc: BaseException) -> Event | None:
        """The node holding this trial died: submit it again, or record it failed with "node lost"."""
        att = self._running.pop(gen)
        if att.node is None:  # it died before the trial's first message: the error names the node
            found = re.search(r"node ID: ([0-9a-f]+)", str(exc))
            att.node = self._nodes.get(found.group(1), {"id": found.group(1)}) if found else None
        where = node_label(att.node) if att.node else "the node it was sent to"
        if self._watch is not None:
            self._watch.check_head()  # a head that went away ends the run (ClusterLostError)
        att.lost.append(where)
        if len(att.lost) <= self.node_retries and self._feasible(att):
            self._launch(att)
            return None
        why = (f"after {len(att.lost)} node losses" if len(att.lost) > self.node_retries else
               f"and no live node has {self._needs(att)} to run it again")
        return Event(att.job, self._with_node(att, {
            "status": "failed", "history": att.history,
            "error": f"node lost: the Ray node {where} died while holding this trial ({why}); "
                     f"`classbench run --resume RUN` runs it again"}))

    @staticmethod
    def _needs(att: _Attempt) -> str:
        res = att.options.get("resources") or {}
        return ", ".join(f"resource {k!r}" for k in res) or "the CPUs"

    def _feasible(self, att: _Attempt) -> bool:
        """Whether the live nodes together still hold what this trial asks for."""
        if self._watch is None:
            return True
        total = self._watch.resources()
        if total is None:
            return True
        return all(total.get(k, 0) >= v for k, v in (att.options.get("resources") or {}).items())

    def _check_cluster(self) -> Iterator[Event]:
        """Every few seconds: the head still there, capacity after node losses, trials nobody can run."""
        assert self._watch is not None
        self._watch.check_head()
        total = self._watch.resources()
        if total is None:
            return
        if self._auto_workers:
            self.workers = max(1, int(float(total.get("CPU", 0)) // self.threads))
        for gen, att in list(self._running.items()):
            if att.t0 is None and not self._feasible(att) and not self._ready(gen):
                self._cancel(gen)
                del self._running[gen]
                yield Event(att.job, self._with_node(att, {
                    "status": "failed", "history": att.history,
                    "error": f"node lost: no live node of the cluster has {self._needs(att)} any more (the node "
                             f"that had it left); restart one and `classbench run --resume RUN` runs this trial"}))

    def _cancel(self, gen: Any) -> None:
        try:
            self._ray.cancel(gen, force=True)
        except Exception:  # noqa: BLE001 - already finished or gone
            pass

    def _stop(self, gen: Any, error: str) -> Event:
        """Cancel a running trial: a ``timeout`` event with the epochs it had sent."""
        att = self._running[gen]
        while gen in self._running and self._ready(gen):  # history rows (or the result) that arrived since
            event = self._take(gen)
            if event is not None and event.result is not None:
                return event
        for g, a in list(self._running.items()):  # its attempt (a new one if its node died meanwhile)
            if a is att:
                del self._running[g]
                self._cancel(g)
        kept = f"; {len(att.history)} finished epoch(s) kept in its history" if att.history else ""
        return Event(att.job, self._with_node(att, {"status": "timeout", "history": att.history,
                                                    "error": error + kept}))

    def stop_all(self, error: str) -> list[Event]:
        """Cancel every running trial now: each becomes a ``timeout`` event with the epochs it had sent."""
        return [self._stop(gen, error) for gen, att in list(self._running.items())
                if gen in self._running and att.t0 is not None]

    def shutdown(self, kill: bool = False) -> None:
        ray = self._ray
        if ray is None:
            return
        lost = self._watch is not None and self._watch.lost
        if not lost:
            for ref in list(self._running):
                self._cancel(ref)
        self._running.clear()
        if ray.is_initialized():
            ray.shutdown()
        self._ray = None
