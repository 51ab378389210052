"""Saved runs as one table file (CSV or Parquet) for notebooks, spreadsheets and databases.

One row per task: ``Run.to_frame()``'s columns (spec, seed, data set, split fingerprint,
every metric, every timing, each phase's disturbance flag) preceded by the run and the
machine it ran on, and, when a record holds a second test part (QMNIST's ``qmnist-50k``),
its score in columns ``<part>_accuracy``, ``<part>_accuracy_ci_low``/``_high``,
``<part>_n_test`` and ``<part>_predict_s``. Values only; ``mnistbench export`` writes the
file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mnistbench.errors import MnistbenchError
from mnistbench.files import atomic_write
from mnistbench.results.store import SavedRun

#: Suffix -> format. Parquet needs a Parquet engine (pyarrow, a dependency of mnistbench).
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: What the export adds in front of ``Run.to_frame()``'s columns: the run, and the machine
#: (those of these that ``to_frame`` already has are left where it puts them).
RUN_COLUMNS = ("run_id", "run_path", "host", "cpu", "cores_available", "commit")


def _run_columns(run: SavedRun) -> dict[str, list[object]]:
    envs = [r.record.environment for r in run.results]
    return {
        "run_id": [run.run_id] * len(envs),
        "run_path": [str(run.path)] * len(envs),
        **{
            key: [getattr(e, key, None) if e else None for e in envs]
            for key in ("host", "cpu", "cores_available", "commit")
        },
    }


def _extra_test_columns(run: SavedRun) -> dict[str, list[object]]:
    """Each second test part's score, one column per value (none: no record has one)."""
    names = list(dict.fromkeys(n for r in run.results for n in r.record.extra_tests))
    out: dict[str, list[object]] = {}
    for name in names:
        scores = [r.record.extra_tests.get(name) for r in run.results]
        cis = [(s.accuracy_ci or [None, None]) if s else [None, None] for s in scores]
        out[f"{name}_accuracy"] = [s.accuracy if s else None for s in scores]
        out[f"{name}_accuracy_ci_low"] = [ci[0] for ci in cis]
        out[f"{name}_accuracy_ci_high"] = [ci[1] for ci in cis]
        out[f"{name}_n_test"] = [s.n_test if s else None for s in scores]
        out[f"{name}_predict_s"] = [s.predict_s if s else None for s in scores]
    return out


def export_frame(runs: Sequence[SavedRun]) -> pd.DataFrame:
    """Every task of ``runs``, one row each: the run and the host, then ``Run.to_frame()``
    (every column of it, in its order)."""
    frames = []
    for run in runs:
        frame = run.to_frame()
        extra = {k: v for k, v in _run_columns(run).items() if k not in frame.columns}
        parts = pd.DataFrame(_extra_test_columns(run), index=frame.index)
        frames.append(pd.concat([pd.DataFrame(extra, index=frame.index), frame, parts], axis=1))
    if not frames:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def table_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file name; a user error for anything else."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise MnistbenchError(f"cannot tell the format of {path}: name it *.csv or *.parquet")
    return fmt


#: What a spreadsheet takes for the start of a formula (OWASP's CSV-injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)`` as a spec name
    from a foreign results folder), with a leading apostrophe so it shows as text; numbers,
    negative ones included, are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        frame = frame.copy()
        text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
        for col in text:
            frame[col] = frame[col].map(neutralised)
        frame.columns = [neutralised(str(c)) for c in frame.columns]
        return frame.to_csv(index=False).encode("utf-8")
    try:
        import pyarrow  # noqa: F401  (pandas' Parquet engine)
    except ImportError:
        raise MnistbenchError(
            "writing Parquet needs pyarrow: pip install pyarrow (or write a .csv)"
        ) from None
    buffer = io.BytesIO()
    # Columns of mixed or all-missing Python objects (an error message, a disturbance
    # reason) are written as text so every engine reads them back the same way.
    frame = frame.copy()
    for col in [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]:
        values = frame[col].dropna()
        if values.empty or not values.map(lambda v: isinstance(v, bool)).all():
            frame[col] = frame[col].map(lambda v: None if _missing(v) else str(v))
            frame[col] = frame[col].astype("string")
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (format from its suffix), atomically."""
    path = Path(path)
    data = table_bytes(frame, table_format(path))
    atomic_write(path, data)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read back what ``write_table`` wrote (floats exactly as written)."""
    path = Path(path)
    if table_format(path) == "csv":
        # pandas 3 reads floats back exactly by default; pandas 2 has to be asked to.
        exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
        return pd.read_csv(path, **exact)
    return pd.read_parquet(path)
