"""Helpers for the data-layer tests: small generated IDX files and a local HTTP server (127.0.0.1 only)."""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets.idx import write_idx

MNIST_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    return sha256_bytes(Path(path).read_bytes())


def fake_mnist_arrays(n_train: int = 30, n_test: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    """Random 28x28 uint8 images and labels cycling through 0..9 (every class present)."""
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8)[rng.permutation(n_train)],
        "test_images": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % 10).astype(np.uint8),
    }


def write_fake_mnist(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, tuple[str, str]]:
    """Write the four gz IDX files into ``folder``; return role -> (file name, sha256) as on ``MNIST.files``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for role, name in MNIST_NAMES.items():
        path = write_idx(folder / name, arrays[role])
        files[role] = (name, sha256_path(path))
    return files


@dataclass
class FakeMnist:
    data_dir: Path  # the folder to put in DataContext.data_dirs (holds mnist/)
    arrays: dict[str, np.ndarray]
    files: dict[str, tuple[str, str]]

    def path(self, role: str) -> Path:
        return self.data_dir / "mnist" / MNIST_NAMES[role]

    def blobs(self) -> dict[str, bytes]:
        return {name: self.path(role).read_bytes() for role, (name, _) in self.files.items()}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Never touch the user's cache, never honour an inherited offline switch, never leave 127.0.0.1."""
    monkeypatch.setenv("CLASSBENCH_CACHE", str(tmp_path / "default-cache"))
    monkeypatch.delenv("CLASSBENCH_OFFLINE", raising=False)
    real_urlopen = urllib.request.urlopen

    def local_only(req, *args, **kwargs):
        url = req.full_url if isinstance(req, urllib.request.Request) else req
        host = urllib.parse.urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to reach the internet: {url}")
        return real_urlopen(req, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch) -> FakeMnist:
    """A tiny MNIST (30 train / 12 test) in tmp/data/mnist, with MNIST.files patched to its checksums."""
    from classbench.datasets.mnist import MNIST

    arrays = fake_mnist_arrays()
    files = write_fake_mnist(tmp_path / "data" / "mnist", arrays)
    monkeypatch.setattr(MNIST, "files", files)
    monkeypatch.setattr(MNIST, "mirrors", ("http://127.0.0.1:9/unused/",))
    return FakeMnist(tmp_path / "data", arrays, files)


# ------------------------------------------------------------------------------------------ HTTP server
class _Handler(BaseHTTPRequestHandler):
    """GET /<mode>/<name>: good | missing (404) | corrupt (same length, wrong bytes) | drop | slow."""

    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        self.server.log.append(self.path)
        mode, _, name = self.path.lstrip("/").partition("/")
        body = self.server.files.get(name)
        if mode == "missing" or body is None:
            self.send_error(404, "Not Found")
            return
        if mode == "slow":
            time.sleep(self.server.slow_s)
        if mode == "corrupt":
            body = bytes(b ^ 0xFF for b in body[:64]) + body[64:]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop":  # promise the whole file, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients that hang up early are expected
            super().handle_error(request, client_address)

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.log: list[str] = []
        self.slow_s = 2.0


@dataclass
class LocalServer:
    server: _Server
    base: str
    files: dict[str, bytes] = field(default_factory=dict)

    def url(self, mode: str, name: str = "") -> str:
        return f"{self.base}/{mode}/{name}"

    @property
    def log(self) -> list[str]:
        return self.server.log


@pytest.fixture
def http_server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    try:
        yield LocalServer(srv, f"http://{host}:{port}", srv.files)
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def closed_port_url() -> str:
    """A 127.0.0.1 URL on which nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nothing/"
