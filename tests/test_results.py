"""Results on disk: round trip, atomic files, schema checks, resume rules."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnistbench.errors import ResultsError
from mnistbench.results import SCHEMA_VERSION, RunWriter, atomic_write, load_run

META = {"dataset": "digits", "split": {"fingerprint": "abc", "scheme": "stratified"},
        "specs": ["sgd", "knn"], "seeds": [0]}


def _record(task_id, spec, status="ok", accuracy=0.9):
    return {"task_id": task_id, "spec": spec, "model": spec, "seed": 0, "status": status,
            "metrics": {"accuracy": accuracy, "error_rate": 1 - accuracy},
            "timing": {"fit_wall_s": 1.0}}


def test_round_trip_and_frame(tmp_path):
    writer = RunWriter.create(tmp_path / "r1", META)
    writer.write(_record("knn--seed0", "knn"), {"confusion": np.eye(3, dtype=np.int64)})
    writer.write(_record("sgd--seed0", "sgd", accuracy=0.8), {})
    writer.finish("complete")
    run = load_run(tmp_path / "r1")
    assert run.run_id == "r1" and run.meta["status"] == "complete"
    assert [r.record["spec"] for r in run.results] == ["sgd", "knn"]  # the run's spec order
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
    resumed = RunWriter.resume(tmp_path / "r", META)
    assert resumed.completed() == {"knn--seed0"}  # failed tasks run again
    assert len(resumed.meta["resumed"]) == 1
    other = {**META, "split": {"fingerprint": "xyz", "scheme": "stratified"}}
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
