"""Reader for ``npz:PATH``: a NumPy archive with pixels ``X`` and integer labels ``y``.

``X`` is (n, h, w), or (n, h*w) with ``?shape=HxW`` (a square is found without it).
Integer pixels must lie in 0..255, float pixels in [0, 1]. The archive is opened with
``allow_pickle=False``: an object array could run code when unpickled, so it is refused.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from mnistbench.data.usersets import check_classes, integer_labels, parse_shape, split_options
from mnistbench.errors import DataError


def npz_file(raw: str) -> tuple[Path, tuple[int, int] | None]:
    """The file and the ``shape`` option named by the PATH part of ``npz:PATH``."""
    path_text, options = split_options(raw, ("shape",), f"npz:{raw}")
    if not path_text.strip():
        raise DataError("npz: needs a file path, e.g. npz:letters.npz")
    shape = parse_shape(options["shape"], "shape") if "shape" in options else None
    path = Path(path_text).expanduser()
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DataError(
            f"NPZ file {path_text} {what}; give a .npz saved with "
            "numpy.savez(path, X=images, y=labels)"
        )
    return path, shape


def _array(archive: np.lib.npyio.NpzFile, key: str, where: str) -> np.ndarray:
    try:
        return np.asarray(archive[key])
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "object" in str(exc).lower():
            raise DataError(
                f"{where}: array {key} holds Python objects, which mnistbench never loads "
                "(unpickling can run code); save plain numbers, e.g. "
                f"numpy.savez(path, X=X.astype('uint8'), y=y.astype('int64'))"
            ) from None
        raise DataError(f"{where}: array {key} cannot be read ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{where}: array {key} is damaged ({exc}); save the file again") from None


def _pixels(x: np.ndarray, shape: tuple[int, int] | None, where: str) -> tuple[np.ndarray, float]:
    if x.ndim == 3:
        if shape is not None and x.shape[1:] != shape:
            raise DataError(
                f"{where}: X is {x.shape[1]}x{x.shape[2]} images, not the {shape[0]}x{shape[1]} "
                "that ?shape= gives; drop the option or reshape X"
            )
    elif x.ndim == 2:
        n_pixels = x.shape[1]
        if shape is None:
            side = math.isqrt(n_pixels)
            if side * side != n_pixels:
                raise DataError(
                    f"{where}: X has {n_pixels} columns, not a square image; "
                    "give the shape as npz:PATH?shape=HxW"
                )
            shape = (side, side)
        if shape[0] * shape[1] != n_pixels:
            raise DataError(
                f"{where}: X has {n_pixels} columns, but shape {shape[0]}x{shape[1]} "
                f"needs {shape[0] * shape[1]}; fix ?shape="
            )
        x = x.reshape(len(x), *shape)
    else:
        raise DataError(
            f"{where}: X has shape {x.shape}; expected (n, height, width) or (n, height*width)"
        )
    if x.dtype.kind in "iu":
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(f"{where}: integer pixels must lie in 0..255 (raw grey levels)")
        return x.astype(np.uint8), 255.0
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)):
            raise DataError(f"{where}: X holds NaN or infinite pixels; replace them")
        if x.size and (x.min() < 0 or x.max() > 1):
            raise DataError(f"{where}: float pixels must lie in [0, 1] (or give integers 0..255)")
        return x.astype(np.float32), 1.0
    raise DataError(f"{where}: X holds {x.dtype} values; pixels must be numbers")


def read_npz(
    path: Path, shape: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], float]:
    """Images (n, h, w), int64 labels 0..k-1, class names, and the pixel maximum."""
    where = f"NPZ file {path}"
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
        if magic == b"\x93NUMPY":
            raise DataError(
                f"{where} holds a single array (.npy), not an archive with X and y; "
                "save it with numpy.savez(path, X=images, y=labels)"
            )
        if magic[:4] != b"PK\x03\x04":  # never handed to np.load: it could unpickle it
            raise DataError(
                f"{where} is not a NumPy .npz archive (an .npz is a zip file); "
                "save it with numpy.savez(path, X=images, y=labels)"
            )
        archive = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        text = " ".join(str(exc).split())[:120]
        raise DataError(f"{where} cannot be read ({text}); save it again") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):  # cannot happen after the zip check
        raise DataError(f"{where} is not a NumPy .npz archive; save it with numpy.savez")
    with archive:
        missing = [k for k in ("X", "y") if k not in archive.files]
        if missing:
            found = ", ".join(archive.files) or "nothing"
            raise DataError(
                f"{where} has no array {' or '.join(missing)} (it holds {found}); "
                "save it with numpy.savez(path, X=images, y=labels)"
            )
        x = _array(archive, "X", where)
        y = _array(archive, "y", where)
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{where}: y has shape {y.shape}, expected one label per image ({len(x)},)")
    if len(x) == 0:
        raise DataError(f"{where}: X holds no images")
    images, pixel_max = _pixels(x, shape, where)
    labels, names = integer_labels(y, where)
    check_classes(labels, names, where, "rows")
    return images, labels, names, pixel_max
