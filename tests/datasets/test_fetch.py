"""_fetch: mirror fallback against a local HTTP server, atomic writes, checksum cache, clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from classbench.datasets import _fetch
from classbench.datasets._fetch import (
    DataWarning,
    DownloadError,
    atomic_save_npy,
    atomic_write_bytes,
    download,
    ensure_file,
    file_sha256,
    find_file,
    search_file,
    verify_file,
)
from classbench.datasets.base import DataContext
from classbench.errors import DataError

from .conftest import sha256_bytes

BLOB = bytes(range(256)) * 64  # 16 KiB
SHA = sha256_bytes(BLOB)


@pytest.fixture
def served(http_server):
    http_server.files["blob.bin"] = BLOB
    return http_server


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_good(served, tmp_path):
    dest = tmp_path / "dl" / "blob.bin"
    assert download([served.url("good", "blob.bin")], dest, SHA, progress=False) == dest
    assert dest.read_bytes() == BLOB
    assert _leftovers(dest.parent) == ["blob.bin"]


def test_mirror_fallback_in_order(served, tmp_path, closed_port_url):
    urls = [
        served.url("missing", "blob.bin"),
        closed_port_url + "blob.bin",
        served.url("corrupt", "blob.bin"),
        served.url("drop", "blob.bin"),
        served.url("good", "blob.bin"),
        served.url("good", "never-asked"),
    ]
    dest = tmp_path / "dl" / "blob.bin"
    download(urls, dest, SHA, progress=False)
    assert dest.read_bytes() == BLOB
    assert served.log == ["/missing/blob.bin", "/corrupt/blob.bin", "/drop/blob.bin", "/good/blob.bin"]
    assert _leftovers(dest.parent) == ["blob.bin"]


def test_all_mirrors_fail_lists_each_reason_and_leaves_nothing(served, tmp_path, closed_port_url):
    urls = [
        served.url("missing", "blob.bin"),
        served.url("corrupt", "blob.bin"),
        served.url("drop", "blob.bin"),
        closed_port_url + "blob.bin",
    ]
    dest = tmp_path / "dl" / "blob.bin"
    with pytest.raises(DownloadError) as err:
        download(urls, dest, SHA, progress=False)
    msg = str(err.value)
    for url in urls:
        assert url in msg
    for reason in ("HTTP 404", "checksum mismatch", "short read", "connection failed"):
        assert reason in msg
    assert "by hand" in msg and str(dest.parent) in msg
    assert [u for u, _ in err.value.failures] == urls
    assert _leftovers(dest.parent) == []  # no partial or corrupt file kept


def test_failed_download_keeps_previous_file_untouched(served, tmp_path):
    dest = tmp_path / "blob.bin"
    dest.write_bytes(b"old")
    with pytest.raises(DownloadError):
        download([served.url("corrupt", "blob.bin")], dest, SHA, progress=False)
    assert dest.read_bytes() == b"old"
    assert _leftovers(tmp_path) == ["blob.bin"]


def test_timeout_moves_on(served, tmp_path):
    served.server.slow_s = 1.0
    dest = tmp_path / "blob.bin"
    download([served.url("slow", "blob.bin"), served.url("good", "blob.bin")], dest, SHA, progress=False, timeout=0.2)
    assert dest.read_bytes() == BLOB


def test_progress_bar_on_stderr(served, tmp_path, capsys):
    download([served.url("good", "blob.bin")], tmp_path / "blob.bin", SHA, progress=True)
    out = capsys.readouterr()
    assert "blob.bin" in out.err and out.out == ""


def test_offline_env_blocks_download(served, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSBENCH_OFFLINE", "1")
    with pytest.raises(DataError, match="CLASSBENCH_OFFLINE"):
        download([served.url("good", "blob.bin")], tmp_path / "blob.bin", SHA, progress=False)
    assert served.log == []


# ------------------------------------------------------------------------------------- find / verify
def _ctx(tmp_path: Path, download: bool = False) -> DataContext:
    return DataContext(data_dirs=[tmp_path / "d1", tmp_path / "d2"], cache_dir=tmp_path / "cache", download=download)


def test_find_file_order_and_bad_copy_reported(tmp_path):
    ctx = _ctx(tmp_path)
    (tmp_path / "d1" / "ds").mkdir(parents=True)
    (tmp_path / "d1" / "ds" / "blob.bin").write_bytes(b"tampered")
    (tmp_path / "cache" / "ds").mkdir(parents=True)
    (tmp_path / "cache" / "ds" / "blob.bin").write_bytes(BLOB)
    with pytest.warns(DataWarning, match="checksum mismatch") as rec:
        found = find_file(ctx, "ds", "blob.bin", SHA)
    assert found == tmp_path / "cache" / "ds" / "blob.bin"
    assert str(tmp_path / "d1" / "ds" / "blob.bin") in str(rec[0].message)
    # a good copy in an earlier folder wins, with no warning
    (tmp_path / "d2" / "ds").mkdir(parents=True)
    (tmp_path / "d2" / "ds" / "blob.bin").write_bytes(BLOB)
    s = search_file(ctx, "ds", "blob.bin", SHA)
    assert s.found == tmp_path / "d2" / "ds" / "blob.bin"
    assert [p.status for p in s.probes] == ["checksum mismatch", "ok"]


def test_find_file_none_when_absent(tmp_path):
    assert find_file(_ctx(tmp_path), "ds", "blob.bin", SHA) is None


def test_sha_cache_skips_rehash_until_file_changes(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(BLOB)
    cache = tmp_path / "cache"
    calls = []
    real = _fetch.sha256_file
    monkeypatch.setattr(_fetch, "sha256_file", lambda p: calls.append(p) or real(p))
    assert verify_file(path, SHA, cache) and verify_file(path, SHA, cache)
    assert len(calls) == 1
    assert json.loads((cache / _fetch.HASH_CACHE_NAME).read_text())[str(path.resolve())]["sha256"] == SHA
    path.write_bytes(BLOB[:-1] + b"\x00")  # same size, new mtime
    os.utime(path, ns=(1, 1))
    assert not verify_file(path, SHA, cache)
    assert len(calls) == 2
    assert not verify_file(path, SHA, cache, use_cache=False) and len(calls) == 3


def test_corrupt_sha_cache_is_ignored(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / _fetch.HASH_CACHE_NAME).write_text("{not json")
    path = tmp_path / "f.bin"
    path.write_bytes(BLOB)
    assert file_sha256(path, cache) == SHA
    assert json.loads((cache / _fetch.HASH_CACHE_NAME).read_text())  # rewritten cleanly


def test_verify_file_missing_and_directory(tmp_path):
    assert not verify_file(tmp_path / "nope", SHA)
    assert not verify_file(tmp_path, SHA)


# ------------------------------------------------------------------------------------------- ensure
def test_ensure_file_downloads_into_cache_then_finds_it(served, tmp_path):
    ctx = _ctx(tmp_path, download=True)
    urls = [served.url("missing", "blob.bin"), served.url("good", "blob.bin")]
    path = ensure_file(ctx, "ds", "blob.bin", SHA, urls, progress=False)
    assert path == tmp_path / "cache" / "ds" / "blob.bin" and path.read_bytes() == BLOB
    n = len(served.log)
    assert ensure_file(ctx, "ds", "blob.bin", SHA, urls, progress=False) == path
    assert len(served.log) == n  # found in the cache: no request


def test_ensure_file_replaces_corrupt_cached_copy(served, tmp_path):
    ctx = _ctx(tmp_path, download=True)
    bad = tmp_path / "cache" / "ds" / "blob.bin"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"half a file")
    path = ensure_file(ctx, "ds", "blob.bin", SHA, [served.url("good", "blob.bin")], progress=False)
    assert path == bad and bad.read_bytes() == BLOB


@pytest.mark.parametrize("how", ["env", "ctx"])
def test_ensure_file_offline_lists_places_and_urls(served, tmp_path, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("CLASSBENCH_OFFLINE", "1")
    ctx = _ctx(tmp_path, download=(how == "env"))
    (tmp_path / "d2" / "ds").mkdir(parents=True)
    (tmp_path / "d2" / "ds" / "blob.bin").write_bytes(b"wrong")
    urls = [served.url("good", "blob.bin"), "https://mirror.example/blob.bin"]
    with pytest.raises(DataError) as err:
        ensure_file(ctx, "ds", "blob.bin", SHA, urls, progress=False)
    msg = str(err.value)
    for place in ctx.candidates("ds"):
        assert str(place / "blob.bin") in msg
    assert "checksum mismatch" in msg and "missing" in msg
    for url in urls:
        assert url in msg
    assert "by hand" in msg and "turned off" in msg
    assert ("CLASSBENCH_OFFLINE" in msg) == (how == "env")
    assert served.log == []


def test_ensure_file_all_mirrors_fail(served, tmp_path):
    ctx = _ctx(tmp_path, download=True)
    urls = [served.url("missing", "blob.bin"), served.url("corrupt", "blob.bin")]
    with pytest.raises(DataError) as err:
        ensure_file(ctx, "ds", "blob.bin", SHA, urls, progress=False)
    msg = str(err.value)
    assert "HTTP 404" in msg and "checksum mismatch" in msg and str(tmp_path / "d1" / "ds") in msg
    assert _leftovers(tmp_path / "cache" / "ds") == []


# ------------------------------------------------------------------------------------------- atomic
def test_atomic_write_bytes_creates_and_replaces(tmp_path):
    path = tmp_path / "a" / "b.json"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two" and _leftovers(path.parent) == ["b.json"]


def test_atomic_save_npy_round_trip_and_failure_keeps_old(tmp_path):
    path = tmp_path / "x.npy"
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    atomic_save_npy(path, arr)
    np.testing.assert_array_equal(np.load(path), arr)
    with pytest.raises(ValueError):  # object arrays cannot be saved without pickle
        atomic_save_npy(path, np.array([object()], dtype=object))
    np.testing.assert_array_equal(np.load(path), arr)
    assert _leftovers(tmp_path) == ["x.npy"]
