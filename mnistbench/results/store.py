"""Results on disk: one directory per run, a JSON record and an NPZ of arrays per task.

Every file is written atomically, so an interrupted run leaves only whole files; a task's
JSON is written after its arrays, so its presence means "done". The record's shape is
``mnistbench.results.record``; this module only stores, finds and tabulates records.
"""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mnistbench.errors import ResultsError
from mnistbench.files import (
    DirectoryLock,
    atomic_write,
    compact_timestamp,
    remove_temporary_files,
    slug,
    timestamp,
)
from mnistbench.results.labels import size_key, spec_of
from mnistbench.results.metric_table import METRICS, record_value
from mnistbench.results.record import PHASES, SCHEMA_VERSION, RunMeta, TaskRecord, Timing

RUN_FILE = "run.json"
TASKS_DIR = "tasks"

__all__ = [
    "SCHEMA_VERSION",
    "Result",
    "SavedRun",
    "RunWriter",
    "atomic_write",
    "latest_run",
    "load_run",
    "new_run_id",
    "results_frame",
]


def _json_bytes(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, indent=2).encode()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path} is not readable JSON ({exc}); remove it or re-run") from None


def _parse(path: Path, parser: Any) -> Any:
    data = _read_json(path)  # its errors name the path already
    try:
        return parser(data)
    except ResultsError as exc:
        raise ResultsError(f"{path} {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ResultsError(
            f"{path} is not a valid mnistbench record ({exc}); remove it or re-run that task"
        ) from None


@dataclass
class Result:
    """One task's record (JSON) with its arrays (NPZ) loaded on first use."""

    record: TaskRecord
    path: Path
    _arrays: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def task_id(self) -> str:
        return self.record.task_id

    @property
    def ok(self) -> bool:
        return self.record.ok

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            npz = self.path.with_suffix(".npz")
            if not npz.exists():
                self._arrays = {}
            else:
                try:
                    with np.load(npz, allow_pickle=False) as data:
                        arrays = {k: data[k] for k in data.files}
                except (
                    OSError,
                    ValueError,
                    EOFError,
                    KeyError,
                    zipfile.BadZipFile,
                    zlib.error,
                ) as exc:
                    text = " ".join(str(exc).split()) or type(exc).__name__
                    raise ResultsError(
                        f"{npz} is damaged ({text}); re-run that task (--resume after removing it)"
                    ) from None
                problem = _array_problem(arrays)
                if problem:
                    raise ResultsError(
                        f"{npz} is damaged ({problem}); re-run that task "
                        "(--resume after removing it)"
                    )
                self._arrays = arrays
        return self._arrays


#: the number of dimensions of each array a task stores (see harness.runner)
ARRAY_NDIM = {
    "confusion": 2,
    "y_pred": 1,
    "proba": 2,
    "weight_images": 3,
    "mistake_index": 1,
    "mistake_image": 3,
    "mistake_true": 1,
    "mistake_pred": 1,
    "mistake_confidence": 1,
}


def _array_problem(arrays: dict[str, np.ndarray]) -> str | None:
    """Why the arrays of one task cannot be what the runner wrote (None: they can)."""
    for key, ndim in ARRAY_NDIM.items():
        value = arrays.get(key)
        if value is None:
            continue
        if value.dtype.kind not in "biuf":
            return f"{key} holds {value.dtype} values, not numbers"
        if value.ndim != ndim:
            return f"{key} has {value.ndim} dimension(s), expected {ndim}"
    confusion = arrays.get("confusion")
    if confusion is not None and confusion.shape[0] != confusion.shape[1]:
        return f"confusion is {confusion.shape[0]}x{confusion.shape[1]}, not square"
    proba, y_pred = arrays.get("proba"), arrays.get("y_pred")
    if proba is not None and y_pred is not None and len(proba) != len(y_pred):
        return f"proba has {len(proba)} rows for {len(y_pred)} predictions"
    mistakes = [
        arrays[k]
        for k in (
            "mistake_index",
            "mistake_image",
            "mistake_true",
            "mistake_pred",
            "mistake_confidence",
        )
        if k in arrays
    ]
    if len({len(m) for m in mistakes}) > 1:
        return "the mistake arrays differ in length"
    return None


@dataclass
class SavedRun:
    """A run directory: its metadata and every finished task."""

    path: Path
    meta: RunMeta
    results: list[Result]

    @property
    def run_id(self) -> str:
        return self.meta.run_id

    def to_frame(self) -> pd.DataFrame:
        """One row per task with the scalar metrics and timings, for notebooks."""
        return results_frame(self.results)


IDENTITY_COLUMNS = (
    "task_id",
    "spec",
    "base_spec",
    "model",
    "preset",
    "family",
    "seed",
    "status",
    "dataset",
    "split_scheme",
    "split_fingerprint",
)


def results_frame(results: Iterable[Result]) -> pd.DataFrame:
    """Identity, every metric of the metric table, every timing field, each timed phase's
    disturbance (``fit_disturbed`` and ``fit_disturbance``, the reasons), and the error."""
    timing_fields = [f.name for f in dataclasses.fields(Timing) if f.name != "phases"]
    flags = [f"{p}_{what}" for p in PHASES for what in ("disturbed", "disturbance")]
    rows = []
    for res in results:
        rec = res.record
        row: dict[str, Any] = {k: getattr(rec, k) for k in IDENTITY_COLUMNS}
        row["epochs"] = len(rec.history)
        row.update({m.key: record_value(rec, m) for m in METRICS})
        timing = rec.timing or Timing()
        row.update({k: getattr(timing, k) for k in timing_fields if k not in row})
        for phase in PHASES:
            why = timing.disturbance(phase)
            row[f"{phase}_disturbed"] = (why is not None) if phase in timing.phases else None
            row[f"{phase}_disturbance"] = why
        measured = rec.metrics.accuracy_ci if rec.metrics else None
        ci: Sequence[float | None] = measured or (None, None)
        row["accuracy_ci_low"], row["accuracy_ci_high"] = ci[0], ci[1]
        env = rec.environment
        row["host"] = env.host if env else None
        row["cpu"] = env.cpu if env else None
        row["cores"] = env.cores_logical if env else None
        row["worker"] = rec.worker
        row["parallel_jobs"] = rec.parallel_jobs
        row["error"] = rec.error
        row["train_size"] = rec.train_size  # None: the whole training part
        row["model_spec"] = rec.model_spec or rec.spec  # the spec without the size
        row["augmented"] = bool(rec.augmented)  # trained on copies it made of its digits
        rows.append(row)
    columns = [
        *IDENTITY_COLUMNS,
        "epochs",
        *(m.key for m in METRICS),
        *(k for k in timing_fields if k not in {m.key for m in METRICS}),
        *flags,
        "accuracy_ci_low",
        "accuracy_ci_high",
        "host",
        "cpu",
        "cores",
        "worker",
        "parallel_jobs",
        "error",
        "train_size",
        "model_spec",
        "augmented",
    ]
    return pd.DataFrame(rows, columns=columns)


def load_run(path: str | Path) -> SavedRun:
    """Read a run directory written by ``mnistbench run`` (any readable schema)."""
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path} is not a directory; give a run directory under results/")
    if not (path / RUN_FILE).exists():
        raise ResultsError(f"{path} is not a mnistbench run (no {RUN_FILE} inside)")
    meta = _parse(path / RUN_FILE, RunMeta.from_json)
    results = [
        Result(_parse(p, TaskRecord.from_json), p) for p in (path / TASKS_DIR).glob("*.json")
    ]
    order = {spec: i for i, spec in enumerate(meta.specs)}
    datasets = {name: i for i, name in enumerate(meta.datasets)}
    # Data sets and specs in the order asked; a curve's points (one model_spec) by size,
    # the whole last.
    results.sort(
        key=lambda r: (
            datasets.get(r.record.dataset or "", 0),
            order.get(spec_of(r.record.spec, r.record.model_spec, r.record.spec_label), len(order)),
            r.record.model_spec or r.record.spec,
            size_key(r.record.train_size),
            r.record.seed,
        )
    )
    return SavedRun(path, meta, results)


def new_run_id(dataset: str) -> str:
    """``20261124-013000-3f9a1c07-digits``: sortable by time, and unique without the user's
    help (runs started in the same second, by CI jobs or cluster users, get their own)."""
    name = slug(dataset.split(":")[0]).replace(".", "-")
    return f"{compact_timestamp()}-{secrets.token_hex(4)}-{name}"


def latest_run(root: Path) -> Path | None:
    runs = sorted(p.parent for p in root.glob(f"*/{RUN_FILE}"))
    return max(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime) if runs else None


class RunWriter:
    """Writes a run directory as tasks finish; reopens one to resume it.

    A writer holds the directory's lock (``.lock``, an exclusive ``flock``) from
    :meth:`create` or :meth:`resume` until :meth:`close` or the end of its process, however
    it ends: a second process that wants to write the same run is refused.
    """

    def __init__(self, path: Path, meta: RunMeta, lock: DirectoryLock | None = None) -> None:
        self.path = path
        self.meta = meta
        self._lock = lock

    @staticmethod
    def _lock_dir(path: Path) -> DirectoryLock:
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock = DirectoryLock(path)
            taken = lock.acquire()
        except OSError as exc:
            raise ResultsError(
                f"cannot write the run directory {path}: {exc.strerror or exc}"
            ) from None
        if not taken:
            raise ResultsError(
                f"another mnistbench process is writing {path}; wait for it to "
                "finish, or use another --run-id"
            )
        return lock

    @classmethod
    def create(cls, path: Path, meta: RunMeta) -> RunWriter:
        if (path / RUN_FILE).exists():
            raise ResultsError(f"{path} already holds a run; use --resume or another --run-id")
        lock = cls._lock_dir(path)
        if (path / RUN_FILE).exists():  # another process created it while we looked
            lock.release()
            raise ResultsError(f"{path} already holds a run; use --resume or another --run-id")
        remove_temporary_files(path)  # a run killed while writing its first file
        meta = dataclasses.replace(meta, run_id=path.name, status="running", created=timestamp())
        writer = cls(path, meta, lock)
        writer._write_meta()
        return writer

    @classmethod
    def resume(cls, path: Path, meta: RunMeta) -> RunWriter:
        lock = cls._lock_dir(path)
        try:
            writer = cls._reopen(path, meta, lock)
        except BaseException:
            lock.release()
            raise
        return writer

    @classmethod
    def _reopen(cls, path: Path, meta: RunMeta, lock: DirectoryLock) -> RunWriter:
        # Holding the lock, no one else writes here: temporaries are a killed run's.
        remove_temporary_files(path)
        if (path / TASKS_DIR).is_dir():
            remove_temporary_files(path / TASKS_DIR)
        old = load_run(path).meta
        if old.upgraded_from is not None:
            raise ResultsError(
                f"cannot resume {path}: it was written with results schema "
                f"{old.upgraded_from}; start a new run (its results still load for report "
                "and compare)"
            )
        if old.dataset != meta.dataset:
            raise ResultsError(
                f"cannot resume {path}: it was run on {old.dataset}, not {meta.dataset}; "
                "start a new run instead"
            )
        if old.split != _roundtrip(meta.split) or old.splits != _roundtrip(meta.splits):
            raise ResultsError(
                f"cannot resume {path}: it was run with a different split; start a new run instead"
            )
        merged = dataclasses.replace(
            meta,
            run_id=old.run_id,
            created=old.created,
            status="running",
            resumed=[*old.resumed, timestamp()],
        )
        writer = cls(path, merged, lock)
        writer._write_meta()
        return writer

    def completed(self) -> set[str]:
        """Tasks that finished OK; tasks that failed are tried again on resume."""
        return {r.task_id for r in load_run(self.path).results if r.ok}

    def write(self, record: TaskRecord, arrays: dict[str, np.ndarray]) -> Path:
        """Save one task (arrays first, then the record that says it is done); a write the
        disk refuses is a ResultsError, and the run's finished tasks stay whole."""
        target = self.path / TASKS_DIR / f"{record.task_id}.json"
        buffer = io.BytesIO()
        # As Any: numpy >= 2.1's stub would let **arrays fill savez's allow_pickle (a bool).
        named: dict[str, Any] = arrays
        np.savez_compressed(buffer, **named)
        try:
            atomic_write(target.with_suffix(".npz"), buffer.getvalue())
            atomic_write(target, _json_bytes(record.to_json()))
        except OSError as exc:
            raise ResultsError(
                f"cannot save {target.name} in {self.path}: "
                f"{exc.strerror or exc}; the finished tasks are saved, "
                "make room and use --resume"
            ) from None
        return target

    def finish(self, status: str, error: str | None = None) -> None:
        self.meta.status = status
        self.meta.error = error
        self.meta.finished = timestamp()
        self._write_meta()

    def close(self) -> None:
        """Release the run directory for other writers."""
        if self._lock is not None:
            self._lock.release()

    def _write_meta(self) -> None:
        try:
            atomic_write(self.path / RUN_FILE, _json_bytes(self.meta.to_json()))
        except OSError as exc:
            raise ResultsError(
                f"cannot write {self.path / RUN_FILE}: {exc.strerror or exc}"
            ) from None


def _roundtrip(value: Any) -> Any:
    """How ``value`` reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(value))
