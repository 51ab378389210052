"""Results on disk: one directory per run, a JSON record and an NPZ of arrays per task.

Every file is written to a temporary name and renamed, so an interrupted run leaves only
whole files; a task's JSON is written after its arrays, so its presence means "done".
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mnistbench.errors import ResultsError

SCHEMA_VERSION = 1
RUN_FILE = "run.json"
TASKS_DIR = "tasks"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, indent=2, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | set):
        return list(value)
    return repr(value)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path} is not readable JSON ({exc}); remove it or re-run") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path} does not hold a results record")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(
            f"{path} uses results schema {version!r} but this mnistbench reads schema "
            f"{SCHEMA_VERSION}; re-run the benchmark with this version"
        )
    return data


@dataclass
class Result:
    """One task's record (JSON) with its arrays (NPZ) loaded on first use."""

    record: dict[str, Any]
    path: Path
    _arrays: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def task_id(self) -> str:
        return self.record["task_id"]

    @property
    def ok(self) -> bool:
        return self.record.get("status") == "ok"

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            npz = self.path.with_suffix(".npz")
            if not npz.exists():
                self._arrays = {}
            else:
                try:
                    with np.load(npz, allow_pickle=False) as data:
                        self._arrays = {k: data[k] for k in data.files}
                except (OSError, ValueError) as exc:
                    raise ResultsError(f"{npz} is unreadable ({exc}); re-run that task") from None
        return self._arrays


@dataclass
class Run:
    """A run directory: its metadata and every finished task."""

    path: Path
    meta: dict[str, Any]
    results: list[Result]

    @property
    def run_id(self) -> str:
        return self.meta["run_id"]

    def to_frame(self) -> pd.DataFrame:
        """One row per task with the scalar metrics and timings, for notebooks."""
        return results_frame(self.results)


SCALAR_FIELDS = ("accuracy", "error_rate", "log_loss", "macro_f1")


def results_frame(results: Iterable[Result]) -> pd.DataFrame:
    rows = []
    for res in results:
        rec = res.record
        row = {
            "task_id": rec["task_id"], "spec": rec["spec"], "model": rec["model"],
            "preset": rec.get("preset"), "family": rec.get("family"), "seed": rec["seed"],
            "status": rec["status"], "dataset": rec.get("dataset"),
            "split_scheme": rec.get("split_scheme"),
            "split_fingerprint": rec.get("split_fingerprint"),
            "n_parameters": rec.get("n_parameters"), "epochs": len(rec.get("history") or []),
        }
        row.update({k: (rec.get("metrics") or {}).get(k) for k in SCALAR_FIELDS})
        row.update(rec.get("timing") or {})
        row["error"] = rec.get("error")
        rows.append(row)
    return pd.DataFrame(rows)


def load_run(path: str | Path) -> Run:
    """Read a run directory written by ``mnistbench run``."""
    path = Path(path)
    if not path.is_dir():
        raise ResultsError(f"{path} is not a directory; give a run directory under results/")
    if not (path / RUN_FILE).exists():
        raise ResultsError(f"{path} is not a mnistbench run (no {RUN_FILE} inside)")
    meta = _read_json(path / RUN_FILE)
    results = [Result(_read_json(p), p) for p in (path / TASKS_DIR).glob("*.json")]
    order = {spec: i for i, spec in enumerate(meta.get("specs") or [])}
    results.sort(key=lambda r: (order.get(r.record["spec"], len(order)), r.record["spec"],
                                r.record["seed"]))
    return Run(path, meta, results)


def new_run_id(dataset: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in dataset.split(":")[0])
    return f"{stamp}-{safe}"


def latest_run(root: Path) -> Path | None:
    runs = sorted(p.parent for p in root.glob(f"*/{RUN_FILE}"))
    return max(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime) if runs else None


class RunWriter:
    """Writes a run directory as tasks finish; reopens one to resume it."""

    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.meta = meta

    @classmethod
    def create(cls, path: Path, meta: dict[str, Any]) -> RunWriter:
        if (path / RUN_FILE).exists():
            raise ResultsError(f"{path} already holds a run; use --resume or another --run-id")
        meta = {"schema_version": SCHEMA_VERSION, "run_id": path.name, "status": "running",
                "created": datetime.now().astimezone().isoformat(timespec="seconds"), **meta}
        writer = cls(path, meta)
        writer._write_meta()
        return writer

    @classmethod
    def resume(cls, path: Path, meta: dict[str, Any]) -> RunWriter:
        old = load_run(path).meta
        for key in ("dataset", "split"):
            if old.get(key) != _roundtrip(meta.get(key)):
                raise ResultsError(
                    f"cannot resume {path}: it was run with a different {key}; "
                    "start a new run instead"
                )
        merged = {**old, **meta, "schema_version": SCHEMA_VERSION, "run_id": old["run_id"],
                  "created": old["created"], "status": "running"}
        merged["resumed"] = [*old.get("resumed", []),
                             datetime.now().astimezone().isoformat(timespec="seconds")]
        writer = cls(path, merged)
        writer._write_meta()
        return writer

    def completed(self) -> set[str]:
        """Tasks that finished OK; tasks that failed are tried again on resume."""
        return {r.task_id for r in load_run(self.path).results if r.ok}

    def write(self, record: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
        record = {"schema_version": SCHEMA_VERSION, **record}
        target = self.path / TASKS_DIR / f"{record['task_id']}.json"
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        atomic_write(target.with_suffix(".npz"), buffer.getvalue())
        atomic_write(target, _json_bytes(record))
        return target

    def finish(self, status: str) -> None:
        self.meta["status"] = status
        self.meta["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
        self._write_meta()

    def _write_meta(self) -> None:
        atomic_write(self.path / RUN_FILE, _json_bytes(self.meta))


def _roundtrip(value: Any) -> Any:
    """How ``value`` reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(value, default=_json_default))
