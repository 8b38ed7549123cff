"""Helpers for the table tests: a load() that goes through check like the runner, small files, and a local
HTTP server on 127.0.0.1 that answers like OpenML's REST API (JSON layout as openml.org serves it)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from classbench.datasets import DataContext, get_source

from .._net import forbid_internet


def load(name: str, ctx: DataContext | None = None, **params):
    """check + load through the scheme hook, exactly as the runner and the trial workers do."""
    ctx = ctx or DataContext(data_dirs=[], download=False)
    src = get_source(name)
    return src.load(ctx, **src.check(ctx, **params))


@pytest.fixture(autouse=True)
def _local_only(monkeypatch):
    """Never honour an inherited offline switch or OpenML URL, never leave 127.0.0.1."""
    monkeypatch.delenv("CLASSBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("CLASSBENCH_OPENML_URL", raising=False)
    forbid_internet(monkeypatch)


# A small dataset in the shape OpenML stores them: nominal and numeric attributes, '?' missing values,
# quoted nominal values, a row-id column OpenML marks as such, the class not last.
ARFF = """% a toy credit table
@RELATION toy-credit

@ATTRIBUTE id NUMERIC
@ATTRIBUTE class {good,bad}
@ATTRIBUTE amount NUMERIC
@ATTRIBUTE purpose {'new car','used car',radio/tv}
@ATTRIBUTE age INTEGER

@DATA
""" + "".join(
    f"{i},{'good' if i % 3 else 'bad'},{100 + 7 * i if i % 5 else '?'},"
    f"{['new car', 'used car', 'radio/tv'][i % 3]!r},{20 + i}\n".replace('"', "'") for i in range(24))


def description(did: int, name: str, url: str, md5: str, version: int = 1) -> dict:
    return {"data_set_description": {
        "id": str(did), "name": name, "version": str(version), "format": "ARFF", "licence": "Public",
        "upload_date": "2014-04-06T23:23:39", "url": url, "file_id": str(did), "default_target_attribute": "class",
        "row_id_attribute": "id", "visibility": "public", "status": "active", "md5_checksum": md5}}


def features() -> dict:
    rows = [("id", "numeric"), ("class", "nominal"), ("amount", "numeric"), ("purpose", "nominal"), ("age", "numeric")]
    return {"data_features": {"feature": [
        {"index": str(i), "name": n, "data_type": t, "is_target": str(n == "class").lower(), "is_ignore": "false",
         "is_row_identifier": str(n == "id").lower(), "number_of_missing_values": "0"}
        for i, (n, t) in enumerate(rows)]}}


@dataclass
class FakeOpenML:
    url: str
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def add_json(self, path: str, doc: dict, status: int = 200) -> None:
        self.routes[path] = (status, json.dumps(doc).encode())

    def add_dataset(self, did: int, name: str, arff: str = ARFF, served: bytes | None = None) -> str:
        """Serve description, features and data file of ``did``; ``served`` replaces the data bytes (corrupt)."""
        body = arff.encode()
        md5 = hashlib.md5(body).hexdigest()
        data_path = f"/data/v1/download/{did}/{name}.arff"
        self.add_json(f"/api/v1/json/data/{did}", description(did, name, self.url + data_path, md5))
        self.add_json(f"/api/v1/json/data/features/{did}", features())
        self.routes[data_path] = (200, served if served is not None else body)
        self.add_json(f"/api/v1/json/data/list/data_name/{name}/limit/2/status/active",
                      {"data": {"dataset": [{"did": did, "name": name, "version": 1, "status": "active",
                                             "format": "ARFF", "file_id": did, "quality": []}]}})
        return md5


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake.log.append(self.path)
        path = self.path.split("?")[0].rstrip("/")
        status, body = self.server.fake.routes.get(path, (412, json.dumps(
            {"error": {"code": "372", "message": "No results"}}).encode()))
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if path.startswith("/api") else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenML


@pytest.fixture
def openml_server(monkeypatch):
    """A local OpenML look-alike; CLASSBENCH_OPENML_URL points at it. Unknown paths answer 412 like OpenML."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeOpenML(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("CLASSBENCH_OPENML_URL", server.fake.url)
    try:
        yield server.fake
    finally:
        server.shutdown()
        server.server_close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
