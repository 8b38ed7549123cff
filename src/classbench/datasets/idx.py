"""The IDX format of MNIST-style files (raw or gzip-compressed), read strictly.

Layout (all integers big-endian)::

    bytes 0-1   zero
    byte  2     element type (0x08 = unsigned byte; the only type read here)
    byte  3     number of dimensions d
    4*d bytes   size of each dimension (uint32)
    payload     prod(sizes) elements, nothing after it

So MNIST images start with the magic number 0x00000803 and labels with 0x00000801.
Every defect (bad magic, wrong number of dimensions, short or overlong payload, broken gzip)
raises ``DataError`` naming the file.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import DataError

UBYTE = 0x08
IMAGES_MAGIC = 0x00000803  # ubyte, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 0x00000801  # ubyte, 1 dimension (count)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_REFETCH = "The file is damaged or incomplete: delete it and fetch it again."


def is_gzip(path: str | os.PathLike) -> bool:
    """Whether the file starts with the gzip magic bytes (the name is not trusted)."""
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def read_idx(path: str | os.PathLike, *, ndim: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (raw or gzip) into a uint8 array.

    Parameters
    ----------
    path : path of the file
    ndim : expected number of dimensions (3 for images, 1 for labels), or None to accept any

    Returns
    -------
    array of shape given by the header (e.g. (n, 28, 28) for images, (n,) for labels), dtype uint8
    """
    path = Path(path)
    try:
        compressed = is_gzip(path)
    except OSError as exc:
        raise DataError(f"Cannot read IDX file {path}: {exc}. Check that it exists and is readable.") from exc
    try:
        if compressed:
            with gzip.open(path, "rb") as f:
                return _parse(f, path, ndim, compressed=True)
        with open(path, "rb") as f:
            return _parse(f, path, ndim, compressed=False, file_size=path.stat().st_size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(
            f"IDX file {path} is not a valid gzip stream ({type(exc).__name__}: {exc}). {_REFETCH}"
        ) from exc


def _read_exact(f: BinaryIO, n: int) -> bytearray:
    """Up to ``n`` bytes (fewer only at end of stream)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _parse(
    f: BinaryIO, path: Path, ndim: int | None, *, compressed: bool, file_size: int | None = None
) -> np.ndarray:
    what = "decompressed IDX data" if compressed else "IDX file"
    head = _read_exact(f, 4)
    if len(head) < 4:
        raise DataError(
            f"IDX file {path} is truncated: {len(head)} bytes of {what}, fewer than the 4-byte magic number. "
            f"{_REFETCH}"
        )
    magic = struct.unpack(">I", bytes(head))[0]
    zero, dtype_code, dims = head[0:2], head[2], head[3]
    expect = f" (expected 0x{(UBYTE << 8) | ndim:08x}: unsigned bytes, {ndim} dimension(s))" if ndim else ""
    if zero != b"\x00\x00":
        hint = (
            " Its name ends in .gz but it is not gzip data either."
            if path.suffix == ".gz" and not compressed
            else ""
        )
        raise DataError(f"{path} is not an IDX file: magic number 0x{magic:08x}{expect}.{hint} {_REFETCH}")
    if dtype_code != UBYTE:
        raise DataError(
            f"IDX file {path} has element type 0x{dtype_code:02x} (magic 0x{magic:08x}); only unsigned "
            f"bytes (0x08) are supported{expect}."
        )
    if dims == 0 or (ndim is not None and dims != ndim):
        want = f"{ndim}" if ndim is not None else "at least 1"
        raise DataError(
            f"IDX file {path} declares {dims} dimension(s) (magic 0x{magic:08x}) but {want} were "
            f"expected{expect}. Is it the right file (images vs labels)?"
        )
    raw_shape = _read_exact(f, 4 * dims)
    if len(raw_shape) < 4 * dims:
        raise DataError(
            f"IDX file {path} is truncated inside its header: {4 + len(raw_shape)} of {4 + 4 * dims} header "
            f"bytes present. {_REFETCH}"
        )
    shape = struct.unpack(f">{dims}I", bytes(raw_shape))
    header = 4 + 4 * dims
    expected = int(np.prod(shape, dtype=np.int64))
    dims_text = " x ".join(str(s) for s in shape)
    if file_size is not None and file_size < header + expected:
        raise DataError(
            f"IDX file {path} is truncated: its header declares {dims_text} = {expected} payload bytes, so "
            f"{header + expected} bytes in total were expected, but the file has {file_size}. {_REFETCH}"
        )
    try:
        payload = _read_exact(f, expected)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(
            f"IDX file {path} is a damaged gzip stream: it broke off while reading the payload of {dims_text} "
            f"= {expected} bytes ({type(exc).__name__}: {exc}). {_REFETCH}"
        ) from exc
    if len(payload) < expected:
        raise DataError(
            f"IDX file {path} is truncated: its header declares {dims_text} = {expected} payload bytes "
            f"({header + expected} bytes of {what} in total) but only {len(payload)} payload bytes "
            f"({header + len(payload)} in total) are present. {_REFETCH}"
        )
    extra = 0
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        extra += len(chunk)
    if extra:
        raise DataError(
            f"IDX file {path} has {extra} unexpected bytes after its payload: the header declares {dims_text} = "
            f"{expected} payload bytes ({header + expected} bytes of {what} in total) but there are "
            f"{header + expected + extra}. {_REFETCH}"
        )
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an unsigned-byte IDX file; gzip-compressed when the name ends in ``.gz``.

    Parameters
    ----------
    path : destination (written directly; wrap it with an atomic helper for caches)
    array : integer array of any shape with 1 to 255 dimensions, values in 0..255
    compress : force (True) or suppress (False) gzip; default: by suffix
    """
    arr = np.asarray(array)
    if arr.ndim < 1 or arr.ndim > 255:
        raise ValueError(f"IDX arrays need 1 to 255 dimensions, got {arr.ndim}")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.integer) or (arr.size and (arr.min() < 0 or arr.max() > 255)):
            raise ValueError(f"IDX ubyte files hold integers in 0..255; got dtype {arr.dtype}")
        arr = arr.astype(np.uint8)
    header = struct.pack(">BBBB", 0, 0, UBYTE, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data = header + np.ascontiguousarray(arr).tobytes()
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path
