"""What every data set a user brings (an image folder, an NPZ) must satisfy, and its options.

A name may end in options after a question mark, ``images:FOLDER?size=28x28`` or
``npz:PATH?shape=16x16``; each reader states which it takes. The label checks are shared so
that the two formats refuse the same problems with the same words.
"""

from __future__ import annotations

import numpy as np

from mnistbench.errors import DataError

#: each class needs a row for the training, the validation and the test part
MIN_PER_CLASS = 3
MAX_SIDE = 512  # a larger image side is almost surely a mistake (and a memory hazard)


def split_options(raw: str, allowed: tuple[str, ...], what: str) -> tuple[str, dict[str, str]]:
    """``PATH?key=value&key=value`` as (PATH, options); a ``?`` not followed by options is
    part of the path."""
    path, sep, tail = raw.rpartition("?")
    if not sep or "=" not in tail:
        return raw, {}
    options: dict[str, str] = {}
    for item in tail.split("&"):
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or key not in allowed:
            raise DataError(
                f"{what}: unknown option {item!r} after '?'; "
                f"{' or '.join(k + '=HxW' for k in allowed)} is understood"
            )
        options[key] = value.strip()
    return path, options


def parse_shape(text: str, option: str) -> tuple[int, int]:
    """``"28x28"`` as (28, 28): height by width, each 1..512."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise DataError(f"{option}={text!r} is not HEIGHTxWIDTH, e.g. {option}=28x28")
    height, width = (int(p) for p in parts)
    if not (0 < height <= MAX_SIDE and 0 < width <= MAX_SIDE):
        raise DataError(f"{option}={text}: each side must be between 1 and {MAX_SIDE} pixels")
    return height, width


def check_classes(labels: np.ndarray, names: tuple[str, ...], where: str, unit: str) -> None:
    """At least two classes, each with at least MIN_PER_CLASS rows (``labels`` are 0..k-1)."""
    if len(names) < 2:
        only = f" ({names[0]})" if names else ""
        raise DataError(
            f"{where} holds a single class{only}; a classifier needs at least two classes"
        )
    counts = np.bincount(labels, minlength=len(names))
    for name, count in zip(names, counts, strict=True):
        if count < MIN_PER_CLASS:
            raise DataError(
                f"{where}: class {name!r} has {count} {unit}, too few: each class needs at "
                f"least {MIN_PER_CLASS} (one each for the training, validation and test parts)"
            )


def integer_labels(y: np.ndarray, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels as 0..k-1 int64 and the class names (the original values, sorted).

    Integer labels keep their meaning in the names: labels 3, 5, 7 become 0, 1, 2 named
    "3", "5", "7"; labels already 0..k-1 keep their values.
    """
    if y.dtype.kind == "b" or y.dtype.kind not in "iuf":
        raise DataError(
            f"{where}: labels y are {y.dtype} values, not integers; "
            "save y as an integer array (one class number per row)"
        )
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{where}: label {y[row]:g} in row {row} is not an integer; "
                "save y as an integer array (one class number per row)"
            )
    values = y.astype(np.int64)
    classes, inverse = np.unique(values, return_inverse=True)
    names = tuple(str(int(c)) for c in classes)
    return inverse.astype(np.int64).reshape(-1), names
