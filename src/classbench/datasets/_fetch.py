"""Finding, verifying and downloading data files: the ONLY module that uses the network or writes the cache.

- ``find_file`` / ``search_file``: look through ``ctx.candidates(dataset)`` (data dirs, then the cache) for
  a file whose sha256 matches; a present file with the wrong checksum is reported, never used.
- ``download``: try each mirror in order, stream into a temp file beside the destination, rename it into
  place only after its sha256 matches.
- ``ensure_files`` / ``ensure_file``: find, else download into ``ctx.cache_dir/<dataset>`` (when allowed),
  else raise one ``DataError`` naming every place searched and every URL.
- ``atomic_write_bytes`` / ``atomic_save_npy``: temp file + ``os.replace`` for caches.

sha256 results are remembered in ``<cache_dir>/sha256-cache.json`` keyed by (path, size, mtime), so
checking an unchanged file again costs one ``stat``. ``CLASSBENCH_OFFLINE=1`` turns every download off.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import socket
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import numpy as np

from ..errors import DataError
from .base import DataContext

CHUNK = 1 << 20
TIMEOUT_S = 30.0
HASH_CACHE_NAME = "sha256-cache.json"
_HASH_CACHE_MAX = 2000
_USER_AGENT = "classbench/0.1 (python-urllib)"


class DataWarning(UserWarning):
    """A data file was present but unusable (e.g. wrong checksum), and another copy was used."""


def offline() -> bool:
    """True when ``CLASSBENCH_OFFLINE`` is set to 1/true/yes/on."""
    return os.environ.get("CLASSBENCH_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def downloads_allowed(ctx: DataContext) -> bool:
    return bool(ctx.download) and not offline()


# ----------------------------------------------------------------------------------------------- hashing
def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_hash_cache(cache_dir: Path) -> dict:
    try:
        data = json.loads((Path(cache_dir) / HASH_CACHE_NAME).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _remember(cache_dir: Path | None, path: Path, st: os.stat_result, digest: str) -> None:
    """Best effort: a cache that cannot be written only makes the next check slower."""
    if cache_dir is None:
        return
    table = _read_hash_cache(cache_dir)
    table[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
    if len(table) > _HASH_CACHE_MAX:
        table = {k: v for k, v in table.items() if os.path.exists(k)}
        table = dict(list(table.items())[-_HASH_CACHE_MAX:])
    with contextlib.suppress(OSError):
        atomic_write_bytes(Path(cache_dir) / HASH_CACHE_NAME, json.dumps(table, indent=0).encode())


def file_sha256(path: str | os.PathLike, cache_dir: Path | None = None, use_cache: bool = True) -> str:
    """sha256 of ``path``, reusing the result stored in ``cache_dir`` while size and mtime are unchanged."""
    path = Path(path).resolve()
    st = path.stat()
    if cache_dir is not None and use_cache:
        entry = _read_hash_cache(cache_dir).get(str(path))
        if isinstance(entry, dict) and (entry.get("size"), entry.get("mtime_ns")) == (st.st_size, st.st_mtime_ns):
            if isinstance(entry.get("sha256"), str):
                return entry["sha256"]
    digest = sha256_file(path)
    if os.stat(path).st_mtime_ns == st.st_mtime_ns:  # not rewritten while we hashed it
        _remember(cache_dir, path, st, digest)
    return digest


def verify_file(path: str | os.PathLike, sha256: str, cache_dir: Path | None = None, use_cache: bool = True) -> bool:
    """Whether ``path`` exists as a readable file whose sha256 is ``sha256``."""
    try:
        return Path(path).is_file() and file_sha256(path, cache_dir, use_cache) == sha256.lower()
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------ search
@dataclass
class Probe:
    """One place looked at: status is "ok", "missing", "checksum mismatch" or "unreadable"."""

    path: Path
    status: str
    detail: str = ""

    def describe(self) -> str:
        return f"{self.path} ({self.status}{': ' + self.detail if self.detail else ''})"


@dataclass
class Search:
    filename: str
    sha256: str
    found: Path | None = None
    probes: list[Probe] = field(default_factory=list)

    @property
    def mismatches(self) -> list[Probe]:
        """Copies that exist but cannot be used (wrong checksum or unreadable)."""
        return [p for p in self.probes if p.status not in ("ok", "missing")]


def search_file(
    ctx: DataContext, dataset: str, filename: str, sha256: str, *, use_cache: bool = True
) -> Search:
    """Look for ``filename`` in every candidate folder, stopping at the first good copy."""
    result = Search(filename, sha256.lower())
    for folder in ctx.candidates(dataset):
        path = folder / filename
        if not path.exists():
            result.probes.append(Probe(path, "missing"))
            continue
        try:
            if not path.is_file():
                raise IsADirectoryError("not a regular file")
            digest = file_sha256(path, ctx.cache_dir, use_cache)
        except OSError as exc:
            result.probes.append(Probe(path, "unreadable", str(exc)))
            continue
        if digest == result.sha256:
            result.probes.append(Probe(path, "ok"))
            result.found = path
            break
        result.probes.append(
            Probe(path, "checksum mismatch", f"sha256 {digest}, expected {result.sha256}; not used")
        )
    return result


def _warn_bad(dataset: str, probes: Sequence[Probe], used: Path) -> None:
    for p in probes:
        warnings.warn(
            f"{dataset}: ignoring {p.describe()}; using {used} instead. Delete or replace the bad copy.",
            DataWarning,
            stacklevel=3,
        )


def find_file(ctx: DataContext, dataset: str, filename: str, sha256: str) -> Path | None:
    """The first candidate copy of ``filename`` whose sha256 matches, or None.

    Copies with the wrong checksum are skipped and reported with a ``DataWarning``.
    """
    s = search_file(ctx, dataset, filename, sha256)
    if s.found is not None:
        _warn_bad(dataset, s.mismatches, s.found)
    return s.found


# -------------------------------------------------------------------------------------------- atomic I/O
@contextlib.contextmanager
def _atomic(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a temp file beside ``path``; on success fsync and ``os.replace`` it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with _atomic(path) as f:
        f.write(data)
    return Path(path)


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """``np.save`` to exactly ``path`` (no ``.npy`` appended), atomically.

    Parameters
    ----------
    array : array of any shape and a non-object dtype
    """
    with _atomic(path) as f:
        np.save(f, np.asarray(array), allow_pickle=False)
    return Path(path)


# -------------------------------------------------------------------------------------------- downloading
class DownloadError(DataError):
    """Every mirror failed; ``failures`` holds (url, reason) pairs."""

    def __init__(self, message: str, failures: list[tuple[str, str]]):
        super().__init__(message)
        self.failures = failures


def _fetch_one(url: str, tmp: IO[bytes], sha256: str | None, progress: bool, timeout: float, label: str
               ) -> str | None:
    """Stream ``url`` into ``tmp``; return None on success or the reason it failed."""
    from tqdm import tqdm

    h = hashlib.sha256()
    got = 0
    try:
        req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                file=sys.stderr, disable=not progress, leave=False,
            ) as bar:
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    tmp.write(chunk)
                    h.update(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        return f"connection failed ({exc.reason})"
    except http.client.IncompleteRead as exc:
        return f"connection dropped after {got + len(exc.partial)} bytes (short read)"
    except (TimeoutError, socket.timeout):
        return f"timed out after {timeout:g} s ({got} bytes received)"
    except (http.client.HTTPException, OSError, ValueError) as exc:  # resets, TLS errors, disk full
        return f"{type(exc).__name__}: {exc} ({got} bytes received)"
    if total is not None and got != total:
        return f"short read: {got} of {total} bytes"
    digest = h.hexdigest()
    if sha256 is not None and digest != sha256:
        return f"checksum mismatch (got sha256 {digest}, expected {sha256}, {got} bytes; discarded)"
    return None


def download(
    urls: Sequence[str], dest: str | os.PathLike, sha256: str | None, progress: bool = True,
    timeout: float = TIMEOUT_S, check: Callable[[Path], str | None] | None = None,
) -> Path:
    """Download the first mirror whose bytes match ``sha256`` to ``dest``; atomically, or not at all.

    A 404, a refused or dropped connection, a short read or a checksum mismatch moves on to the next
    URL; the temp file of a failed attempt is deleted. Raises ``DownloadError`` when every URL fails.
    ``sha256=None`` is allowed only with ``check``: a function that verifies the downloaded temp file by
    its content (e.g. every member of an archive against a per-file checksum table) and returns None to
    accept it or the reason to reject it.
    """
    dest = Path(dest)
    if sha256 is None and check is None:
        raise ValueError("download() needs a sha256 or a check function: nothing unverified is kept")
    sha256 = sha256.lower() if sha256 else None
    if offline():
        raise DataError(
            f"Not downloading {dest.name}: downloads are turned off by CLASSBENCH_OFFLINE. "
            f"{_manual_hint([dest.name], urls, dest.parent)}"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"Cannot create the download folder {dest.parent} ({exc}). Set CLASSBENCH_CACHE to a writable "
            f"folder, or fetch the file by hand from {', '.join(urls)} and point --data-dir at it."
        ) from exc
    failures: list[tuple[str, str]] = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                why = _fetch_one(url, f, sha256, progress, timeout, dest.name)
                if why is None:
                    f.flush()
                    os.fsync(f.fileno())
            if why is None and check is not None:
                why = check(Path(tmp))
            if why is None:
                os.replace(tmp, dest)
                return dest
            failures.append((url, why))
        except OSError as exc:  # saving the finished temp file failed (disk full, permissions)
            failures.append((url, f"could not save it as {dest}: {exc}"))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    raise DownloadError(
        f"Could not download {dest.name} from any mirror. Tried {_tries(failures)}. "
        f"{_manual_hint([dest.name], [], dest.parent)}",
        failures,
    )


def _tries(failures: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"({i}) {u}: {why}" for i, (u, why) in enumerate(failures, 1)) or "no URL (none is known)"


def _manual_hint(filenames: Sequence[str], urls: Sequence[str], dest_dir: Path, dataset: str = "") -> str:
    """How to fetch by hand; ``urls`` empty means they were already listed in the message."""
    which = ", ".join(filenames)
    sub = f" (or into DIR/{dataset}/ for a folder DIR you pass with --data-dir or CLASSBENCH_DATA)" if dataset else ""
    src = f" from one of {', '.join(urls)}" if urls else " from one of the URLs above (browser, curl or wget)"
    return f"To fetch by hand, download {which}{src} and put it into {dest_dir}{sub}."


# ------------------------------------------------------------------------------------------------ ensure
@dataclass(frozen=True)
class FileSpec:
    """A file a dataset needs: its name, its sha256 and the mirror URLs of that file, in order."""

    filename: str
    sha256: str
    urls: tuple[str, ...] = ()


def ensure_files(
    ctx: DataContext, dataset: str, specs: Sequence[FileSpec], *, progress: bool = True
) -> dict[str, Path]:
    """filename -> path for every spec: found in a candidate folder, or downloaded into the cache.

    Raises one ``DataError`` naming every missing file, every place searched and every URL.
    """
    found: dict[str, Path] = {}
    missing: list[tuple[FileSpec, Search]] = []
    for spec in specs:
        s = search_file(ctx, dataset, spec.filename, spec.sha256)
        if s.found is not None:
            _warn_bad(dataset, s.mismatches, s.found)
            found[spec.filename] = s.found
        else:
            missing.append((spec, s))
    if not missing:
        return found
    dest_dir = ctx.cache_dir / dataset
    if not downloads_allowed(ctx):
        why = "by CLASSBENCH_OFFLINE" if offline() else "for this run"
        raise DataError(_not_found_message(dataset, missing, dest_dir, f"Downloads are turned off {why}."))
    failed: list[tuple[FileSpec, Search, list[tuple[str, str]]]] = []
    for spec, s in missing:
        try:
            path = download(spec.urls, dest_dir / spec.filename, spec.sha256, progress=progress)
        except DownloadError as exc:
            failed.append((spec, s, exc.failures))
            continue
        with contextlib.suppress(OSError):
            _remember(ctx.cache_dir, path.resolve(), path.stat(), spec.sha256.lower())
        _warn_bad(dataset, [p for p in s.mismatches if p.path != path], path)
        found[spec.filename] = path
    if failed:
        tries = " ".join(f"Downloading {spec.filename} failed: {_tries(fails)}." for spec, _, fails in failed)
        raise DataError(_not_found_message(dataset, [(sp, s) for sp, s, _ in failed], dest_dir, tries, listed=True))
    return found


def ensure_file(
    ctx: DataContext, dataset: str, filename: str, sha256: str, urls: Sequence[str], *, progress: bool = True
) -> Path:
    """``ensure_files`` for one file."""
    return ensure_files(ctx, dataset, [FileSpec(filename, sha256, tuple(urls))], progress=progress)[filename]


def _not_found_message(
    dataset: str, missing: Sequence[tuple[FileSpec, Search]], dest_dir: Path, why: str, listed: bool = False
) -> str:
    parts = []
    for spec, s in missing:
        places = ", ".join(p.describe() for p in s.probes) or "(no folder to search)"
        parts.append(f"{spec.filename} (sha256 {spec.sha256}) searched in: {places}.")
    names = [spec.filename for spec, _ in missing]
    urls = [u for spec, _ in missing for u in spec.urls]
    return (
        f"Dataset {dataset!r}: {len(missing)} file(s) not found with the right checksum. "
        + " ".join(parts)
        + f" {why} "
        + _manual_hint(names, [] if listed else urls, dest_dir, dataset)
    )


# ------------------------------------------------------------------------------------------------ OpenML
def md5_file(path: str | os.PathLike) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def md5_check(md5: str) -> Callable[[Path], str | None]:
    """A ``download(check=...)`` function accepting a file whose md5 is ``md5`` (OpenML's checksum)."""

    def check(path: Path) -> str | None:
        got = md5_file(path)
        return None if got == md5.lower() else f"checksum mismatch (got md5 {got}, expected {md5}; discarded)"

    return check


def get_json(url: str, timeout: float = TIMEOUT_S) -> dict:
    """GET a small JSON document (an OpenML API answer); DownloadError with the reason on any failure.

    An HTTP error's JSON body (OpenML: ``{"error": {"code": "372", "message": "No results"}}``) is put into
    the reason; ``failures[0][1]`` starts with ``HTTP <code>`` then.
    """
    if offline():
        raise DownloadError(f"Not fetching {url}: downloads are turned off by CLASSBENCH_OFFLINE.",
                            [(url, "downloads turned off")])
    try:
        req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read(64 << 20)
    except urllib.error.HTTPError as exc:
        why = f"HTTP {exc.code} {exc.reason}"
        with contextlib.suppress(Exception):
            err = json.loads(exc.read(1 << 16)).get("error", {})
            why += f" (OpenML error {err.get('code')}: {err.get('message')})"
        raise DownloadError(f"{url}: {why}", [(url, why)]) from None
    except urllib.error.URLError as exc:
        why = f"connection failed ({exc.reason})"
        raise DownloadError(f"{url}: {why}", [(url, why)]) from None
    except (TimeoutError, socket.timeout):
        raise DownloadError(f"{url}: timed out after {timeout:g} s", [(url, "timed out")]) from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        why = f"{type(exc).__name__}: {exc}"
        raise DownloadError(f"{url}: {why}", [(url, why)]) from None
    try:
        data = json.loads(body)
    except ValueError:
        raise DownloadError(f"{url}: the answer is not JSON ({body[:80]!r})", [(url, "not JSON")]) from None
    if not isinstance(data, dict):
        raise DownloadError(f"{url}: the answer is not a JSON object", [(url, "not a JSON object")])
    return data
