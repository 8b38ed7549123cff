"""A real multi-node Ray cluster on this machine, for the cluster tests and benchmarks/cluster.py.

Each node is one `ray start` in a session of its own (its raylet, agents and workers stay in that session),
with its own temp dir, ports, CPU count and resources, all on the loopback address. ``stop()`` ends every
process of those sessions and nothing else (``ray stop`` would stop every Ray on the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PLUGINS = ROOT / "tests" / "core"  # plugin_models.py: test-sleep, test-majority ...


_TAKEN: set[int] = set()  # every port handed out in this process: the OS may hand a freed one out again


def free_port() -> int:
    """A free loopback port never handed out before by this process, outside Ray's worker range
    (10002-19999) and dashboard port (8265), so the ports of one node (and of its cluster) never collide."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _TAKEN and not 10000 <= port <= 20000 and port != 8265:
            _TAKEN.add(port)
            return port


def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Node:
    name: str
    sid: int
    temp: Path
    cpus: int
    resources: dict = field(default_factory=dict)

    def pids(self) -> list[int]:
        return _session_pids(self.sid)

    def raylet(self) -> int | None:
        return next((p for p in self.pids() if "raylet/raylet " in _cmdline(p)), None)

    def trials_running(self) -> int:
        """Ray workers of this node busy with a classbench trial (Ray names the process after its task)."""
        return sum(_cmdline(p).startswith("ray::_run_remote") for p in self.pids())


class LocalRayCluster:
    """``with LocalRayCluster() as c: c.start_head(cpus=1); c.add_worker("w1", cpus=1, resources=...)``."""

    def __init__(self, fast_failure_detection: bool = True) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cbr", dir="/tmp"))  # short: unix socket paths < 108 bytes
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.nodes: dict[str, Node] = {}
        self.ray = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
        self.env = {**os.environ, **self.driver_env(), "RAY_USAGE_STATS_ENABLED": "0",
                    "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
        self.env.pop("CLASSBENCH_PLUGINS", None)  # the driver forwards its plugins to the trials
        if fast_failure_detection:  # the head declares a silent node dead after ~3 s instead of ~15 s
            self.env.update({"RAY_health_check_period_ms": "1000", "RAY_health_check_failure_threshold": "3"})

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def driver_env(self) -> dict[str, str]:
        """What a driver needs: the cluster's auth token (the tests' clusters answer no one without it)."""
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def _start(self, name: str, args: list[str], cpus: int, resources: dict | None) -> Node:
        import json

        temp = self.root / f"n{len(self.nodes)}"
        temp.mkdir()
        ports = ["--node-manager-port", "--object-manager-port", "--metrics-export-port",
                 "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port"]
        cmd = [self.ray, "start", *args, "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}",
               f"--temp-dir={temp}", "--disable-usage-stats", "--include-log-monitor=false",
               *[f"{p}={free_port()}" for p in ports]]
        if resources:
            cmd.append(f"--resources={json.dumps(resources)}")
        proc = subprocess.Popen(cmd, env={**self.env, "CLASSBENCH_NODE_NAME": name}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        node = Node(name, proc.pid, temp, cpus, dict(resources or {}))
        self.nodes[name] = node
        out, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"`ray start` for node {name} failed ({proc.returncode}):\n{out[-3000:]}")
        return node

    def start_head(self, name: str = "head", cpus: int = 1, resources: dict | None = None) -> Node:
        return self._start(name, ["--head", f"--port={self.port}", "--include-dashboard=false"], cpus, resources)

    def add_worker(self, name: str = "worker", cpus: int = 1, resources: dict | None = None) -> Node:
        return self._start(name, [f"--address={self.address}"], cpus, resources)

    def kill_raylet(self, name: str) -> None:
        """SIGKILL the node's raylet: the node dies as if its machine went away (its workers follow)."""
        pid = self.nodes[name].raylet()
        assert pid is not None, f"node {name} has no raylet"
        os.kill(pid, signal.SIGKILL)

    def kill_node(self, name: str) -> None:
        """SIGKILL every process of the node (for the head: the GCS too, so the cluster is gone)."""
        for pid in self.nodes[name].pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait_running(self, name: str, n: int = 1, timeout: float = 120.0) -> None:
        """Wait until the node runs at least ``n`` trials."""
        deadline = time.monotonic() + timeout
        while self.nodes[name].trials_running() < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"node {name} ran no trial within {timeout:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """End every process of every node's session (TERM, then KILL), then remove the temp dirs."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = [p for node in self.nodes.values() for p in node.pids()]
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while pids and time.monotonic() < deadline:
                pids = [p for node in self.nodes.values() for p in node.pids()]
                time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)

    def left_running(self) -> list[int]:
        return [p for node in self.nodes.values() for p in node.pids()]

    def __enter__(self) -> "LocalRayCluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
