"""Small generated Yale-style folders (165 tiny GIFs named subjectNN.condition) and an isolated environment."""

from __future__ import annotations

import functools
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets.yalefaces import CONDITIONS, canonical_names

from .._net import forbid_internet

#: the pixel-identical pairs of the real release (see shared/datasets/README.md): copy -> original
TWINS = {"subject04.sad": "subject04.normal", "subject08.glasses": "subject08.normal",
         **{f"subject{s:02d}.noglasses": f"subject{s:02d}.normal" for s in (2, 3, 6, 7, 9, 12, 14)}}


def gif_bytes(pixels: np.ndarray, version: bytes = b"GIF89a") -> bytes:
    """A single-frame greyscale GIF of ``pixels`` (uint8 array of shape (h, w)), GIF87a or GIF89a."""
    return _gif(pixels.tobytes(), pixels.shape, version)


@functools.lru_cache(maxsize=2048)
def _gif(raw: bytes, shape: tuple[int, int], version: bytes) -> bytes:
    from PIL import Image

    pixels = np.frombuffer(raw, dtype=np.uint8).reshape(shape)

    buf = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buf, format="GIF")
    data = buf.getvalue()
    return version + data[6:]  # the two versions share the layout this image uses


def synthetic_faces(size: tuple[int, int] = (12, 16), seed: int = 0) -> dict[str, np.ndarray]:
    """canonical name -> uint8 (h, w) image: a per-subject template plus per-condition lighting and noise.

    Subjects are well apart, so simple models separate them; the TWINS pairs are pixel-identical.
    ``size`` is (width, height). Returns fresh copies (callers may modify them).
    """
    return {k: v.copy() for k, v in _synthetic_faces(size, seed).items()}


@functools.lru_cache(maxsize=8)
def _synthetic_faces(size: tuple[int, int], seed: int) -> dict[str, np.ndarray]:
    w, h = size
    rng = np.random.default_rng(seed)
    templates = rng.uniform(40, 215, size=(15, h, w))
    ramp = np.linspace(-1, 1, w)[None, :]
    out: dict[str, np.ndarray] = {}
    for name in canonical_names():
        s, cond = int(name[7:9]) - 1, name.split(".")[1]
        light = {"leftlight": -25.0, "rightlight": 25.0}.get(cond, 0.0) * ramp
        img = templates[s] + light + rng.normal(0, 6, size=(h, w)) + CONDITIONS.index(cond)
        out[name] = np.clip(img, 0, 255).astype(np.uint8)
    for copy, orig in TWINS.items():
        out[copy] = out[orig].copy()
    return out


def split_faces() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """8 train / 3 test synthetic faces per subject: (X_tr, y_tr, X_te, y_te), X of shape (n, 1, 16, 12);
    the happy, sleepy and wink faces are the test ones."""
    faces = synthetic_faces()
    names = sorted(faces)
    X = np.stack([faces[n] for n in names])[:, None].astype(np.float32) / 255.0
    y = np.array([int(n[7:9]) - 1 for n in names])
    test = np.isin([n.split(".")[1] for n in names], ["happy", "sleepy", "wink"])
    return X[~test], y[~test], X[test], y[test]


def write_faces(folder: Path, size: tuple[int, int] = (12, 16), skip: tuple[str, ...] = (),
                rename: dict[str, str] | None = None, version: bytes = b"GIF89a") -> dict[str, bytes]:
    """Write the 165 synthetic GIFs into ``folder``; returns file name -> bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, px in synthetic_faces(size).items():
        if name in skip:
            continue
        fname = (rename or {}).get(name, name)
        data = gif_bytes(px, version)
        (folder / fname).write_bytes(data)
        written[fname] = data
    return written


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """One BLAS thread: these matrices are tiny, and spare threads only spin on a shared machine."""
    import scipy.linalg  # noqa: F401  (load the BLAS libraries first, so the limit reaches them)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Own cache, no inherited data dirs or offline switch, and no connection beyond 127.0.0.1."""
    monkeypatch.setenv("CLASSBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CLASSBENCH_OFFLINE", raising=False)
    forbid_internet(monkeypatch)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """tmp/data/yalefaces holding the 165 synthetic GIFs; returns tmp/data."""
    write_faces(tmp_path / "data" / "yalefaces")
    return tmp_path / "data"


@pytest.fixture
def ctx(data_dir):
    from classbench.datasets import DataContext

    return DataContext(data_dirs=[data_dir], cache_dir=data_dir.parent / "cache", download=False)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = self.server.files.get(self.path.lstrip("/"))  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_files():
    """(base URL, dict name -> bytes served at base/name) on 127.0.0.1."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", srv.files  # type: ignore[attr-defined]
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
