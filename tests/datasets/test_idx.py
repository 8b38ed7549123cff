"""IDX reader/writer: round trips and every kind of damaged file."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from classbench.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, is_gzip, read_idx, write_idx
from classbench.errors import DataError


def _idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    return struct.pack(">BBBB", 0, 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7,), (5, 28, 28), (3, 4, 2, 2), (0,)])
def test_round_trip(tmp_path, suffix, shape):
    arr = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    path = write_idx(tmp_path / f"a.idx{suffix}", arr)
    assert is_gzip(path) == (suffix == ".gz")
    back = read_idx(path, ndim=len(shape))
    assert back.dtype == np.uint8 and back.shape == shape
    np.testing.assert_array_equal(back, arr)


def test_magic_numbers_match_mnist_convention(tmp_path):
    images = write_idx(tmp_path / "i.idx", np.zeros((2, 3, 3), np.uint8))
    labels = write_idx(tmp_path / "l.idx", np.zeros(2, np.uint8))
    assert struct.unpack(">I", images.read_bytes()[:4])[0] == IMAGES_MAGIC == 0x803
    assert struct.unpack(">I", labels.read_bytes()[:4])[0] == LABELS_MAGIC == 0x801


def test_compression_detected_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    gz_named_raw = write_idx(tmp_path / "x.gz", arr, compress=False)
    raw_named_gz = write_idx(tmp_path / "y.idx", arr, compress=True)
    np.testing.assert_array_equal(read_idx(gz_named_raw), arr)
    np.testing.assert_array_equal(read_idx(raw_named_gz), arr)


def test_result_is_writable_uint8(tmp_path):
    back = read_idx(write_idx(tmp_path / "a.gz", np.ones((2, 2), np.uint8)))
    back[0, 0] = 9  # must not raise (callers may modify in place)
    assert back.dtype == np.uint8


def test_labels_file_where_images_expected_names_both_magics(tmp_path):
    path = write_idx(tmp_path / "labels.gz", np.arange(10, dtype=np.uint8))
    with pytest.raises(DataError) as err:
        read_idx(path, ndim=3)
    msg = str(err.value)
    assert str(path) in msg and "0x00000801" in msg and "0x00000803" in msg


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_not_idx_at_all(tmp_path, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match="not an IDX file") as err:
        read_idx(path)
    assert str(path) in str(err.value)
    if suffix == ".gz":
        assert "not gzip data" in str(err.value)


def test_wrong_type_byte(tmp_path):
    path = tmp_path / "float.idx"
    path.write_bytes(_idx_bytes(np.zeros((2, 2)), type_code=0x0D))
    with pytest.raises(DataError, match="element type 0x0d"):
        read_idx(path)


def test_zero_dimensions_rejected(tmp_path):
    path = tmp_path / "nodims.idx"
    path.write_bytes(b"\x00\x00\x08\x00")
    with pytest.raises(DataError, match="0 dimension"):
        read_idx(path)


@pytest.mark.parametrize("data", [b"", b"\x00\x00", b"\x00\x00\x08\x03\x00\x00\x00\x05\x00"])
def test_truncated_header(tmp_path, data):
    path = tmp_path / "short.idx"
    path.write_bytes(data)
    with pytest.raises(DataError, match="truncated") as err:
        read_idx(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_payload_reports_expected_and_actual_bytes(tmp_path, compress):
    arr = np.ones((4, 5, 5), np.uint8)  # header 16 + payload 100
    data = _idx_bytes(arr)[:-30]  # 70 payload bytes left
    path = tmp_path / ("t.gz" if compress else "t.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError) as err:
        read_idx(path, ndim=3)
    msg = str(err.value)
    assert str(path) in msg and "truncated" in msg
    assert "100 payload bytes" in msg and ("86" in msg if not compress else "70 payload bytes" in msg)
    assert "116" in msg  # expected total


@pytest.mark.parametrize("compress", [False, True])
def test_trailing_garbage_rejected(tmp_path, compress):
    data = _idx_bytes(np.ones((3,), np.uint8)) + b"GARBAGE"
    path = tmp_path / ("g.gz" if compress else "g.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError, match="7 unexpected bytes after its payload") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_corrupt_gzip_body(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    blob = bytearray(gzip.compress(_idx_bytes(arr)))
    for i in range(40, 60):
        blob[i] ^= 0x5A
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="gzip") as err:
        read_idx(path, ndim=3)
    assert str(path) in str(err.value)


def test_cut_gzip_stream(tmp_path):
    arr = np.random.default_rng(2).integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    blob = gzip.compress(_idx_bytes(arr))
    path = tmp_path / "cut.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="gzip") as err:
        read_idx(path, ndim=3)
    assert str(path) in str(err.value)


def test_bad_crc_detected(tmp_path):
    blob = bytearray(gzip.compress(_idx_bytes(np.ones((10,), np.uint8))))
    blob[-8] ^= 0xFF  # CRC32 field of the gzip trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="gzip"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="Cannot read IDX file"):
        read_idx(tmp_path / "nope.gz")


@pytest.mark.parametrize("bad", [np.array([1.5, 2.0]), np.array([-1, 3]), np.array([256]), np.float32(3)])
def test_write_rejects_non_ubyte(tmp_path, bad):
    with pytest.raises(ValueError):
        write_idx(tmp_path / "w.idx", bad)
