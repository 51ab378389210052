"""Results on disk: round trip, atomic files, schema checks, resume rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from mnistbench.errors import ResultsError
from mnistbench.files import atomic_write
from mnistbench.results import SCHEMA_VERSION, RunWriter, load_run
from mnistbench.results.record import Metrics, RunMeta, TaskRecord, Timing

META = RunMeta(
    run_id="",
    dataset="digits",
    split={"fingerprint": "abc", "scheme": "stratified"},
    specs=["sgd", "knn"],
    seeds=[0],
)


def _record(task_id, spec, status="ok", accuracy=0.9):
    return TaskRecord(
        task_id=task_id,
        spec=spec,
        model=spec,
        seed=0,
        status=status,
        metrics=Metrics(accuracy=accuracy, error_rate=1 - accuracy),
        timing=Timing(fit_wall_s=1.0),
    )


def test_round_trip_and_frame(tmp_path):
    writer = RunWriter.create(tmp_path / "r1", META)
    writer.write(_record("knn--seed0", "knn"), {"confusion": np.eye(3, dtype=np.int64)})
    writer.write(_record("sgd--seed0", "sgd", accuracy=0.8), {})
    writer.finish("complete")
    run = load_run(tmp_path / "r1")
    assert run.run_id == "r1" and run.meta.status == "complete"
    assert [r.record.spec for r in run.results] == ["sgd", "knn"]  # the run's spec order
    np.testing.assert_array_equal(run.results[1].arrays["confusion"], np.eye(3))
    frame = run.to_frame()
    assert list(frame["accuracy"]) == [0.8, 0.9]
    assert list(frame["fit_wall_s"]) == [1.0, 1.0]
    assert not list(tmp_path.rglob("*.tmp"))


def test_create_refuses_an_existing_run(tmp_path):
    RunWriter.create(tmp_path / "r", META)
    with pytest.raises(ResultsError, match="already holds a run"):
        RunWriter.create(tmp_path / "r", META)


def test_other_schema_versions_are_refused(tmp_path):
    RunWriter.create(tmp_path / "r", META)
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    meta["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / "r" / "run.json").write_text(json.dumps(meta))
    with pytest.raises(ResultsError, match="schema"):
        load_run(tmp_path / "r")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_corrupt_records_are_refused(tmp_path, content):
    writer = RunWriter.create(tmp_path / "r", META)
    writer.write(_record("knn--seed0", "knn"), {})
    (tmp_path / "r" / "tasks" / "knn--seed0.json").write_text(content)
    with pytest.raises(ResultsError, match="knn--seed0.json"):
        load_run(tmp_path / "r")


def test_not_a_run_directory(tmp_path):
    with pytest.raises(ResultsError, match="not a directory"):
        load_run(tmp_path / "missing")
    with pytest.raises(ResultsError, match="no run.json"):
        load_run(tmp_path)


def test_resume_keeps_finished_tasks_and_checks_the_split(tmp_path):
    writer = RunWriter.create(tmp_path / "r", META)
    writer.write(_record("knn--seed0", "knn"), {})
    writer.write(_record("sgd--seed0", "sgd", status="error"), {})
    writer.close()  # a run being written cannot be resumed (issue 16: one writer per run)
    resumed = RunWriter.resume(tmp_path / "r", META)
    assert resumed.completed() == {"knn--seed0"}  # failed tasks run again
    assert len(resumed.meta.resumed) == 1
    resumed.close()
    other = dataclasses.replace(META, split={"fingerprint": "xyz", "scheme": "stratified"})
    with pytest.raises(ResultsError, match="different split"):
        RunWriter.resume(tmp_path / "r", other)


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write(target, b"old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_record_round_trips_through_json():
    record = _record("knn--seed0", "knn")
    record.history = [{"epoch": 1, "elapsed_s": 0.5, "loss": 0.3}]
    data = json.loads(json.dumps(record.to_json()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert TaskRecord.from_json(data) == record


def test_records_of_schema_1_load_with_the_notebook_preset_renamed(tmp_path):
    """Results written before `@seed` became `@notebook` still load for report and
    compare (the gate's committed baseline is one), but cannot be resumed."""
    run_dir = tmp_path / "old"
    (run_dir / "tasks").mkdir(parents=True)
    meta = {
        "schema_version": 1,
        "run_id": "old",
        "dataset": "digits",
        "status": "complete",
        "split": {"fingerprint": "abc", "scheme": "stratified"},
        "specs": ["knn", "knn@seed:n_neighbors=3"],
        "seeds": [0],
    }
    (run_dir / "run.json").write_text(json.dumps(meta))
    for spec, preset in (("knn", None), ("knn@seed:n_neighbors=3", "seed")):
        record = {
            "schema_version": 1,
            "task_id": Path(spec).name + "--seed0",
            "spec": spec,
            "base_spec": "knn:n_neighbors=3" if preset else "knn",
            "model": "knn",
            "preset": preset,
            "seed": 0,
            "status": "ok",
            "metrics": {"accuracy": 0.9, "error_rate": 0.1, "per_class": {"f1": [1.0]}},
            "timing": {"fit_wall_s": 1.0},
            "environment": {"cpu": "x", "threads": {}},
            "an_unknown_key": 1,
        }
        (run_dir / "tasks" / f"{preset or 'tuned'}.json").write_text(json.dumps(record))
    run = load_run(run_dir)
    assert run.meta.specs == ["knn", "knn@notebook:n_neighbors=3"]
    assert [r.record.spec for r in run.results] == ["knn", "knn@notebook:n_neighbors=3"]
    assert run.results[1].record.preset == "notebook"
    assert run.results[1].record.metrics.per_class.f1 == [1.0]
    with pytest.raises(ResultsError, match="schema 1; start a new run"):
        RunWriter.resume(run_dir, META)
