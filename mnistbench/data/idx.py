"""Reader for the IDX format of MNIST-style files, raw or gzip-compressed.

Every structural check (magic, element type, dimensions, payload size) runs before the pixel
buffer is allocated, so a damaged or hostile file fails fast with a message naming it instead
of exhausting memory. The MD5 of the uncompressed bytes is computed while reading, because
the data sources verify official files by that checksum.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnistbench.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"

#: IDX element type codes (third magic byte) and their names; only unsigned bytes are read.
IDX_TYPES: dict[int, str] = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
UINT8_CODE = 0x08
INT32_CODE = 0x0C
#: bytes per element and the NumPy dtype (IDX is big-endian) of the types that are read
_ITEMSIZE = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}
_DTYPES: dict[int, np.dtype[Any]] = {UINT8_CODE: np.dtype(np.uint8), INT32_CODE: np.dtype(">i4")}

# Deflate cannot expand data by more than about 1032:1, so a gzip file claiming more
# uncompressed bytes than this is rejected before anything is allocated.
_MAX_DEFLATE_RATIO = 1100
_CHUNK = 1 << 20


@dataclass(frozen=True)
class IdxHeader:
    """What the first bytes of an IDX file declare."""

    type_code: int
    shape: tuple[int, ...]

    @property
    def header_size(self) -> int:
        return 4 + 4 * len(self.shape)

    @property
    def payload_size(self) -> int:
        """Bytes of data after the header."""
        size = _ITEMSIZE[self.type_code]
        for dim in self.shape:
            size *= dim
        return size


@dataclass(frozen=True)
class IdxArray:
    """A parsed IDX file: the array plus the MD5 of the uncompressed file."""

    array: np.ndarray
    md5: str
    compressed: bool


def is_gzip(path: str | Path) -> bool:
    """Tell gzip from raw IDX by the magic bytes, since file names are not reliable."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def _open(path: Path) -> tuple[io.BufferedIOBase, bool]:
    compressed = is_gzip(path)
    if compressed:
        return gzip.open(path, "rb"), True
    return open(path, "rb"), False


def _read_exact(fh: io.BufferedIOBase, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = fh.read(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _parse_header(path: Path, fh: io.BufferedIOBase) -> tuple[IdxHeader, bytes]:
    magic = _read_exact(fh, 4)
    if len(magic) < 4:
        raise DataError(
            f"{path}: not an IDX file (only {len(magic)} bytes); re-download it or remove it"
        )
    if magic[0] != 0 or magic[1] != 0:
        raise DataError(
            f"{path}: not an IDX file (magic bytes {magic.hex()} do not start "
            "with 0000); re-download it or remove it"
        )
    type_code, ndim = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        raise DataError(
            f"{path}: unknown IDX element type code 0x{type_code:02X}; "
            "re-download the file or remove it"
        )
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares 0 dimensions; re-download it or remove it")
    dims_raw = _read_exact(fh, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DataError(
            f"{path}: truncated IDX header ({ndim} dimensions declared); "
            "re-download it or remove it"
        )
    shape = struct.unpack(f">{ndim}I", dims_raw)
    if any(d == 0 for d in shape):
        raise DataError(
            f"{path}: IDX header declares an empty dimension {shape}; re-download it or remove it"
        )
    return IdxHeader(type_code, tuple(int(d) for d in shape)), magic + dims_raw


def _wrap_io_error(path: Path, exc: BaseException) -> DataError:
    if isinstance(exc, EOFError):
        what = "compressed data ends early (truncated gzip)"
    elif isinstance(exc, gzip.BadGzipFile | zlib.error):
        what = f"corrupt gzip data ({exc})"
    else:
        what = f"cannot be read ({exc})"
    return DataError(f"{path}: {what}; re-download it or remove it")


def _check_header(
    path: Path,
    header: IdxHeader,
    *,
    ndim: int | None,
    max_shape: tuple[int | None, ...] | None,
    compressed: bool,
    file_size: int,
    element: int = UINT8_CODE,
) -> None:
    """Every check that needs no pixel: element type, dimensions, what the data set can
    hold, and whether the file can hold what the header declares."""
    if header.type_code != element:
        raise DataError(
            f"{path}: IDX element type 0x{header.type_code:02X} "
            f"({IDX_TYPES[header.type_code]}) is not supported here; this file must "
            f"store {IDX_TYPES[element]}s (0x{element:02X})"
        )
    if ndim is not None and len(header.shape) != ndim:
        raise DataError(
            f"{path}: expected {ndim} dimensions, the IDX header declares "
            f"{len(header.shape)} {header.shape}; is this the right file?"
        )
    if max_shape is not None:
        for got, cap in zip(header.shape, max_shape, strict=False):
            if cap is not None and got > cap:
                limit = "x".join("?" if c is None else str(c) for c in max_shape)
                raise DataError(
                    f"{path}: header declares shape {header.shape}, this data set "
                    f"holds at most {limit}; re-download it or remove it"
                )
    need = header.payload_size
    if not compressed:
        actual = file_size - header.header_size
        if actual != need:
            kind = "truncated" if actual < need else "too long"
            raise DataError(
                f"{path}: {kind}: header declares shape {header.shape} "
                f"({need} bytes of data), the file holds {actual}; "
                "re-download it or remove it"
            )
    elif need > _MAX_DEFLATE_RATIO * file_size:
        raise DataError(
            f"{path}: header declares shape {header.shape} ({need} bytes), more than "
            f"this {file_size}-byte gzip file can hold; re-download it or remove it"
        )


def inspect_idx(
    path: str | Path,
    *,
    ndim: int | None = None,
    max_shape: tuple[int | None, ...] | None = None,
    element: int = UINT8_CODE,
) -> IdxHeader:
    """The header, after every check :func:`read_idx` makes before reading pixels (so a
    listing can judge a file as loading would, reading a few bytes)."""
    path = Path(path)
    try:
        file_size = os.stat(path).st_size
        fh, compressed = _open(path)
        with fh:
            header, _ = _parse_header(path, fh)
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise _wrap_io_error(path, exc) from exc
    _check_header(
        path,
        header,
        ndim=ndim,
        max_shape=max_shape,
        compressed=compressed,
        file_size=file_size,
        element=element,
    )
    return header


def read_idx_header(path: str | Path) -> IdxHeader:
    """Read only the header, e.g. to report a sample count without parsing the data."""
    path = Path(path)
    try:
        fh, _ = _open(path)
        with fh:
            header, _ = _parse_header(path, fh)
    except DataError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _wrap_io_error(path, exc) from exc
    return header


def read_idx(
    path: str | Path,
    *,
    ndim: int | None = None,
    max_shape: tuple[int | None, ...] | None = None,
    element: int = UINT8_CODE,
) -> IdxArray:
    """Parse an IDX file of unsigned bytes into a read-only uint8 array, hashing as it reads.

    ``ndim`` (when given) is the number of dimensions the caller expects, e.g. 3 for images;
    ``max_shape`` the most each dimension may declare (None: no limit), which caps what a
    gzip file is allowed to decompress to before a byte of it is. ``element`` INT32_CODE
    reads big-endian int32 files instead (QMNIST's labels), returned as native int32.
    """
    path = Path(path)
    try:
        file_size = os.stat(path).st_size
        fh, compressed = _open(path)
        with fh:
            header, head_bytes = _parse_header(path, fh)
            _check_header(
                path,
                header,
                ndim=ndim,
                max_shape=max_shape,
                compressed=compressed,
                file_size=file_size,
                element=element,
            )
            need = header.payload_size
            digest = hashlib.md5(head_bytes, usedforsecurity=False)
            out = np.empty(need, dtype=np.uint8)
            view = out.data  # a writable memoryview of the array
            got = 0
            while got < need:
                n = fh.readinto(view[got : got + min(_CHUNK, need - got)])
                if not n:
                    break
                got += n
            if got < need:
                raise DataError(
                    f"{path}: truncated: header declares shape {header.shape} ({need} bytes of "
                    f"data), the file holds {got}; re-download it or remove it"
                )
            digest.update(view)
            extra = fh.read(1)
            if extra:
                raise DataError(
                    f"{path}: too long: data continues past the {need} bytes that shape "
                    f"{header.shape} declares; re-download it or remove it"
                )
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise _wrap_io_error(path, exc) from exc
    array = out.view(_DTYPES[element]).reshape(header.shape)
    if element != UINT8_CODE:
        array = array.astype(array.dtype.newbyteorder("="))
    array.flags.writeable = False
    return IdxArray(array=array, md5=digest.hexdigest(), compressed=compressed)


def idx_bytes(array: np.ndarray) -> bytes:
    """Serialise a uint8 (or int32) array as an IDX file; used to write test fixtures."""
    code = INT32_CODE if np.asarray(array).dtype == np.int32 else UINT8_CODE
    array = np.ascontiguousarray(array, dtype=_DTYPES[code])
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.tobytes()
