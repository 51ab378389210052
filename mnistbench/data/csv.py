"""Reader for a user's CSV of digits: label, then 784 pixels 0..255, one image per row.

That is the Google ML Crash Course layout (``mnist_train_small.csv``); Kaggle's variant with
a ``label,pixel0,...`` header row is accepted too. Every malformed file is refused with the
line and column to fix, because a silently mis-parsed CSV would give plausible but wrong
results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnistbench.errors import DataError


def csv_file(raw: str) -> Path:
    """The file named by the PATH of ``csv:PATH``; DataError when there is none to read."""
    if not raw.strip():
        raise DataError("csv: needs a file path, e.g. csv:mnist_train_small.csv")
    path = Path(raw).expanduser()
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DataError(
            f"CSV file {raw} {what}; give the path of a CSV file with a label "
            "and 784 pixel values per row"
        )
    return path


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def read_csv(path: Path, raw: str) -> tuple[np.ndarray, np.ndarray]:
    """Uint8 images (n, 28, 28) and int64 labels from ``path`` (``raw``: as the user wrote it)."""
    import pandas as pd

    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
        # A header row is tolerated when none of its fields is a number (e.g. Kaggle's
        # "label,pixel0,..."); a data row with a gap must not be mistaken for one.
        header = 0 if not any(_is_number(v) or not v for v in first.iloc[0]) else None
        table = pd.read_csv(path, header=header)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"CSV file {raw} is empty; it needs at least one row") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        text = " ".join(str(exc).split())
        raise DataError(
            f"CSV file {raw} cannot be parsed ({text}); expected a label and "
            "784 pixel values per row, comma-separated"
        ) from exc
    n_rows, n_cols = table.shape
    first_line = 2 if header == 0 else 1
    if n_cols != 785:
        raise DataError(
            f"CSV file {raw} has {n_cols} columns, expected 785: "
            "the label then 784 pixels (28x28), no index column"
        )
    if n_rows == 0:
        raise DataError(f"CSV file {raw} has no data rows; it needs at least one image")
    bad_cols = [i for i, dt in enumerate(table.dtypes) if not pd.api.types.is_numeric_dtype(dt)]
    if bad_cols:
        col = bad_cols[0]
        values = pd.to_numeric(table.iloc[:, col], errors="coerce")
        rows = np.flatnonzero(values.isna().to_numpy() & table.iloc[:, col].notna().to_numpy())
        row = int(rows[0]) if len(rows) else 0
        raise DataError(
            f"CSV file {raw}: non-numeric value {table.iloc[row, col]!r} on line "
            f"{row + first_line}, column {col + 1}; every field must be a number"
        )
    values = table.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if missing.any():
        row, col = (int(i) for i in np.argwhere(missing)[0])
        raise DataError(
            f"CSV file {raw} has {int(missing.sum())} empty or NaN fields (first on "
            f"line {row + first_line}, column {col + 1}); fill or drop those rows"
        )
    labels, pixels = values[:, 0], values[:, 1:]
    bad = (labels != np.round(labels)) | (labels < 0) | (labels > 9)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"CSV file {raw}: label {labels[row]:g} on line {row + first_line} is "
            "not an integer 0..9; column 1 must hold the digit"
        )
    bad = ((pixels != np.round(pixels)) | (pixels < 0) | (pixels > 255)).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"CSV file {raw}: line {row + first_line} has a pixel value outside the "
            "integers 0..255; pixels must be raw grey levels"
        )
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.int64)
