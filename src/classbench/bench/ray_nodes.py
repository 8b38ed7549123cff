"""The Ray cluster around the executor: connecting, naming nodes, noticing a head node that went away."""

from __future__ import annotations

import socket
import time
from typing import Any

from ..errors import UserError


class ClusterLostError(UserError):
    """The Ray head node stopped answering mid-run; finished trials are kept, ``--resume`` finishes the rest."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray, which is not installed. Install it with "
                        "`pip install 'classbench[ray]'` (or `pip install ray`), or use --executor local.") from None
    return ray


def _split(address: str) -> tuple[str, int] | None:
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]") or "127.0.0.1", int(port)


def _answers(host: str, port: int, timeout: float) -> OSError | None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return exc
    return None


def preflight(address: str) -> None:
    """Fail in seconds, not minutes, when nothing listens at HOST:PORT (Ray itself retries for long)."""
    hp = _split(address)
    if hp is None:
        raise UserError(f"--address {address!r} is not of the form HOST:PORT, ray://HOST:PORT or auto.")
    exc = _answers(*hp, timeout=5)
    if exc is not None:
        raise UserError(f"Cannot reach the Ray cluster at {address}: {exc.strerror or exc}. Check that the head "
                        f"node runs (`ray start --head`, `ray status`) and that the address and port are right, "
                        f"or drop --address to start a local Ray instance.") from None


def node_label(node: dict[str, Any]) -> str:
    """``worker-1 (3f2a9c1e)``: the node's name (CLASSBENCH_NODE_NAME or host name) and its id's start."""
    return f"{node.get('name') or node.get('ip') or 'node'} ({str(node.get('id', ''))[:8]})"


class ClusterWatch:
    """Looks at the cluster every ``every`` seconds: whether the head's GCS still answers, what the live
    nodes hold. A head that does not answer twice in a row raises :class:`ClusterLostError`."""

    def __init__(self, ray: Any, address: str, every: float = 3.0) -> None:
        self.ray, self.address, self.every = ray, address, every
        gcs = ""
        try:
            gcs = ray.get_runtime_context().gcs_address or ""
        except Exception:  # noqa: BLE001 - older Ray: probe the address we were given
            pass
        self.gcs = _split(gcs) or (_split(address) if address != "auto" else None)
        self.lost = False
        self._last = time.monotonic()

    def due(self) -> bool:
        if time.monotonic() - self._last < self.every:
            return False
        self._last = time.monotonic()
        return True

    def check_head(self) -> None:
        if self.gcs is None:
            return
        exc = _answers(*self.gcs, timeout=2)
        if exc is None:
            return
        time.sleep(1.0)  # a second try: one refused connection is not yet a lost head
        exc = _answers(*self.gcs, timeout=2)
        if exc is None:
            return
        self.lost = True
        raise ClusterLostError(
            f"Lost the Ray cluster: its head node ({self.address}, GCS at {self.gcs[0]}:{self.gcs[1]}) stopped "
            f"answering ({exc.strerror or exc}) while trials ran.")

    def resources(self) -> dict[str, float] | None:
        """What the live nodes hold together (None when the head could not say)."""
        try:
            return dict(self.ray.cluster_resources())
        except Exception:  # noqa: BLE001 - the next check_head() tells a lost head apart
            return None
