"""IDX reader: every malformed file becomes one DataError naming the file, never a crash."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from mnistbench.data.idx import idx_bytes, is_gzip, read_idx, read_idx_header
from mnistbench.errors import DataError


def _images(n: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _write(path, data: bytes, compress: bool):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_and_md5(tmp_path, compress):
    arr = _images()
    raw = idx_bytes(arr)
    path = _write(tmp_path / "train-images-idx3-ubyte", raw, compress)
    got = read_idx(path, ndim=3)
    assert got.array.dtype == np.uint8 and got.array.shape == (5, 28, 28)
    np.testing.assert_array_equal(got.array, arr)
    assert got.md5 == hashlib.md5(raw).hexdigest()
    assert got.compressed is compress
    assert not got.array.flags.writeable


def test_gzip_detected_by_magic_not_name(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    gz_without_suffix = _write(tmp_path / "labels", idx_bytes(arr), True)
    raw_with_suffix = _write(tmp_path / "labels.gz", idx_bytes(arr), False)
    assert is_gzip(gz_without_suffix) and not is_gzip(raw_with_suffix)
    np.testing.assert_array_equal(read_idx(gz_without_suffix).array, arr)
    np.testing.assert_array_equal(read_idx(raw_with_suffix).array, arr)


def test_header_only_read(tmp_path):
    path = _write(tmp_path / "x.gz", idx_bytes(_images(7)), True)
    header = read_idx_header(path)
    assert header.shape == (7, 28, 28) and header.type_code == 0x08


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_payload(tmp_path, compress):
    raw = idx_bytes(_images())[:-100]
    path = _write(tmp_path / "imgs", raw, compress)
    with pytest.raises(DataError, match="truncated") as err:
        read_idx(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("compress", [False, True])
def test_oversized_payload(tmp_path, compress):
    path = _write(tmp_path / "imgs", idx_bytes(_images()) + b"\0" * 10, compress)
    with pytest.raises(DataError, match="too long"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    data = gzip.compress(idx_bytes(_images(20)))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated gzip") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_gzip_crc_error(tmp_path):
    data = bytearray(gzip.compress(idx_bytes(_images())))
    data[-8] ^= 0xFF  # first byte of the CRC32 trailer
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt gzip") as err:
        read_idx(path)
    assert "crc.gz" in str(err.value)


@pytest.mark.parametrize(
    "data", [b"\x01\x00\x08\x01" + b"\0" * 20, b"PK\x03\x04" + b"\0" * 20, b"\x00\x00"]
)
def test_wrong_magic(tmp_path, data):
    path = _write(tmp_path / "bad", data, False)
    with pytest.raises(DataError, match="not an IDX file") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_empty_file(tmp_path):
    path = _write(tmp_path / "empty", b"", False)
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(path)


def test_unsupported_element_type(tmp_path):
    raw = bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 3) + np.zeros(3, ">f4").tobytes()
    path = _write(tmp_path / "floats", raw, False)
    with pytest.raises(DataError, match=r"0x0D \(float32\) is not supported"):
        read_idx(path)


def test_unknown_element_type(tmp_path):
    path = _write(tmp_path / "odd", bytes([0, 0, 0x42, 1]) + struct.pack(">I", 3) + b"abc", False)
    with pytest.raises(DataError, match="unknown IDX element type code 0x42"):
        read_idx(path)


def test_wrong_number_of_dimensions(tmp_path):
    path = _write(tmp_path / "labels", idx_bytes(np.arange(4, dtype=np.uint8)), False)
    with pytest.raises(DataError, match="expected 3 dimensions"):
        read_idx(path, ndim=3)


def test_zero_dimension(tmp_path):
    path = _write(tmp_path / "z", bytes([0, 0, 8, 2]) + struct.pack(">II", 0, 28), False)
    with pytest.raises(DataError, match="empty dimension"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_absurd_dimensions_rejected_before_allocation(tmp_path, compress):
    # 4 G x 4 G x 255 bytes would be a MemoryError if the reader trusted the header.
    raw = bytes([0, 0, 8, 3]) + struct.pack(">III", 2**32 - 1, 2**32 - 1, 255) + b"\0" * 64
    path = _write(tmp_path / "huge", raw, compress)
    with pytest.raises(DataError, match="huge"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nope")
