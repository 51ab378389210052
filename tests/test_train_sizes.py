"""Training-set size as an axis (--train-sizes) and the per-task budget (--task-timeout):
nested stratified subsets, task identity, resume of a half-finished curve, timeouts, and
the growth analysis (exponents, crossovers) the summary and the report show."""

from __future__ import annotations

import json
import math
import time
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from mnistbench.analysis.compare import compare_runs
from mnistbench.analysis.training_size import (
    crossovers,
    curve_points,
    curve_table,
    growth_exponents,
    power_law,
)
from mnistbench.cli import main
from mnistbench.data import load_dataset, make_split
from mnistbench.errors import MnistbenchError
from mnistbench.files import slug
from mnistbench.harness.runner import Task
from mnistbench.harness.subsets import nested_order, resolve_train_sizes, subset_split
from mnistbench.models import ModelEntry, parse_spec, register, unregister
from mnistbench.models.builtin.sgd import SGDModel
from mnistbench.parsing import parse_train_sizes
from mnistbench.report import write_report
from mnistbench.results import load_run
from mnistbench.results.labels import task_label

# ---------------------------------------------------------------- subsets


def test_nested_subsets_keep_the_class_balance_and_lie_inside_each_other(digits_split):
    split = digits_split
    classes, totals = np.unique(split.y_train, return_counts=True)
    previous: set[int] = set()
    for n in (10, 50, 200, 600, 1000):
        sub, fingerprint = subset_split(split, n)
        rows = set(sub.train_idx.tolist())
        assert len(rows) == n and previous <= rows  # each smaller set inside the larger
        previous = rows
        counts = np.array([(sub.y_train == c).sum() for c in classes])
        assert np.all(np.abs(counts - n * totals / totals.sum()) <= 1)  # stratified
        assert set(sub.train_idx) <= set(split.train_idx)  # from the training part only
        # validation, test and the split's fingerprint are the run's own
        assert sub.X_val is split.X_val and sub.X_test is split.X_test
        assert sub.fingerprint == split.fingerprint and fingerprint != split.fingerprint
        assert np.array_equal(sub.X_train, split.X_train[np.isin(split.train_idx, sub.train_idx)])
    assert subset_split(split, None) == (split, None)


def test_subsets_are_seeded_and_rebuilt_alike_from_a_rebuilt_split(digits_split):
    # A cluster worker rebuilds the split by name; it must cut the very same subset.
    again = make_split(load_dataset("digits"))
    for n in (100, 700):
        (a, fa), (b, fb) = subset_split(digits_split, n), subset_split(again, n)
        assert np.array_equal(a.train_idx, b.train_idx) and fa == fb
    other = make_split(load_dataset("digits"), seed=1)
    assert subset_split(other, 100)[1] != subset_split(digits_split, 100)[1]
    order = nested_order(np.repeat(np.arange(3), 4), seed=0)
    assert sorted(order.tolist()) == list(range(12))
    assert set(np.repeat(np.arange(3), 4)[order[:3]]) == {0, 1, 2}


def test_train_sizes_are_counts_fractions_or_all():
    # the edge reads the text; the core settles the values against the training part
    assert parse_train_sizes("500,all,0.1,100,500") == [500, None, 0.1, 100, 500]
    assert resolve_train_sizes(parse_train_sizes("500,all,0.1,100,500"), 1000, 10) == [
        100,
        500,
        None,
    ]
    assert resolve_train_sizes(parse_train_sizes("1000,1.0"), 1000, 10) == [None]
    assert resolve_train_sizes([20, None], 1000, 10) == [20, None]
    for bad in ("5", "2000", "0", "1.5", "abc", "", "-3", "1e5x"):
        with pytest.raises(MnistbenchError, match="^train_sizes "):
            resolve_train_sizes(parse_train_sizes(bad), 1000, 10)
    for bad in ([5], [2000], [0], [1.5], [-0.5], [float("nan")], ["all"], [True], []):
        with pytest.raises(MnistbenchError, match="^train_sizes "):
            resolve_train_sizes(bad, 1000, 10)


# ---------------------------------------------------------------- identity


def test_task_identity_carries_the_size_and_a_plain_task_is_unchanged():
    spec = parse_spec("knn@notebook:n_neighbors=3")
    plain, small = Task(spec, 0), Task(spec, 0, 500)
    assert plain.task_id == f"{slug(spec.label, unique=True)}--seed0"  # as before sizes
    assert small.task_id == plain.task_id.replace("--seed0", "--n500--seed0")
    assert plain.label == spec.label and small.label == f"{spec.label} [n=500]"
    ident = small.identity()
    assert ident["base_spec"] == task_label("knn:n_neighbors=3", 500)
    assert ident["model_spec"] == spec.label and ident["train_size"] == 500
    assert plain.identity()["model_spec"] is None and plain.identity()["train_size"] is None
    # every size of every spec has its own id and label
    tasks = [
        Task(parse_spec(s), 0, n) for s in ("knn", "knn:n_neighbors=3") for n in (100, 1000, None)
    ]
    assert len({t.task_id for t in tasks}) == len({t.label for t in tasks}) == 6


def _run(tmp_path, *extra: str, run_id: str = "r", models: str = "sgd") -> int:
    return main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            models,
            "--threads",
            "1",
            "--out",
            str(tmp_path),
            "--run-id",
            run_id,
            "--quiet",
            *extra,
        ]
    )


def test_a_run_without_sizes_writes_todays_records(tmp_path):
    assert _run(tmp_path) == 0
    record = json.loads((tmp_path / "r" / "tasks" / "sgd--seed0.json").read_text())
    for key in ("train_size", "model_spec", "subset_fingerprint", "task_timeout_s"):
        assert key not in record
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert "train_sizes" not in meta and "task_timeout" not in meta


def test_resume_completes_a_half_finished_curve(tmp_path):
    assert _run(tmp_path, "--train-sizes", "100,400", "--seeds", "0,1") == 0
    tasks = tmp_path / "r" / "tasks"
    kept = tasks / "sgd--n100--seed0.json"
    stamp = kept.stat().st_mtime_ns
    for name in ("sgd--n400--seed1.json", "sgd--n400--seed1.npz"):  # a run killed mid-curve
        (tasks / name).unlink()
    time.sleep(0.01)
    # resumed with the whole part added: only the missing point and the new size train
    assert _run(tmp_path, "--resume", "--train-sizes", "100,400,all", "--seeds", "0,1") == 0
    run = load_run(tmp_path / "r")
    assert kept.stat().st_mtime_ns == stamp
    frame = run.to_frame()
    assert sorted(frame["task_id"]) == sorted(
        f"sgd{n}--seed{s}" for n in ("--n100", "--n400", "") for s in (0, 1)
    )
    assert list(frame["spec"].unique()) == ["sgd [n=100]", "sgd [n=400]", "sgd"]
    assert run.meta.train_sizes == [100, 400, run.meta.split["n_train"]]
    sub = frame[frame["train_size"] == 100]
    assert set(sub["model_spec"]) == {"sgd"}
    fingerprints = {r.record.subset_fingerprint for r in run.results if r.record.train_size}
    assert len(fingerprints) == 2  # one subset per size, shared by the seeds
    # a resume with no --train-sizes keeps the curve and has nothing left to do
    assert _run(tmp_path, "--resume") == 0
    assert len(load_run(tmp_path / "r").results) == 6
    # sizes of one spec never collide in compare: it matches every point
    comparison = compare_runs(run, run)
    assert sorted(comparison.table["spec"]) == sorted(frame["spec"].unique())
    assert comparison.ok


# ---------------------------------------------------------------- timeout


class SleepyModel(SGDModel):
    """SGD that first sleeps: a model whose cost explodes, on demand."""

    defaults: ClassVar[dict[str, Any]] = {**SGDModel.defaults, "sleep_s": 0.0}

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SleepyModel:
        time.sleep(self.sleep_s)
        return super().fit(X, y, **kwargs)


@pytest.fixture
def sleepy():
    entry = register(ModelEntry("sleepy_sgd", SleepyModel, "SGD that sleeps first"))
    yield entry
    unregister(entry.name)


def test_a_task_that_runs_out_of_time_is_recorded_as_timeout(tmp_path, sleepy):
    models = "sleepy_sgd,sleepy_sgd:sleep_s=300.0"
    started = time.monotonic()
    assert (
        _run(tmp_path, "--train-sizes", "100,all", "--task-timeout", "25", models=models) == 0
    )  # a timeout is settled, not a failure
    assert time.monotonic() - started < 200
    run = load_run(tmp_path / "r")
    status = {r.record.spec: r.record for r in run.results}
    assert status["sleepy_sgd [n=100]"].ok and status["sleepy_sgd"].ok
    assert status["sleepy_sgd"].task_timeout_s == 25
    stopped = status["sleepy_sgd:sleep_s=300.0 [n=100]"]
    assert stopped.status == "timeout" and "ran out of its 25 s budget" in stopped.error
    assert stopped.metrics is None and stopped.train_size == 100
    after = status["sleepy_sgd:sleep_s=300.0"]  # a larger size is not even started
    assert after.status == "timeout" and after.error.startswith("not started")
    assert run.meta.status == "complete" and run.meta.task_timeout == 25

    table = curve_table(curve_points(run))
    growth = growth_exponents(table).set_index("model_spec")
    assert growth.loc["sleepy_sgd:sleep_s=300.0", "stopped_at"] == 100
    assert math.isnan(growth.loc["sleepy_sgd", "stopped_at"])
    html = write_report([tmp_path / "r"], tmp_path / "report.html").read_text()
    assert 'id="scaling"' in html and "ran out of their time budget" in html
    assert "failed:" not in html

    # a resume with the same budget does not try the timed-out tasks again
    assert _run(tmp_path, "--resume", models=models) == 0
    assert {r.task_id for r in load_run(tmp_path / "r").results} == {r.task_id for r in run.results}
    # compare: timed out on both sides is no problem; measured on one side cannot compare
    assert compare_runs(run, run).ok


def test_compare_treats_a_timeout_as_no_measurement(tmp_path, sleepy):
    assert _run(tmp_path, "--task-timeout", "60", models="sleepy_sgd", run_id="base") == 0
    base = load_run(tmp_path / "base")
    current_dir = tmp_path / "cur"
    import shutil

    shutil.copytree(tmp_path / "base", current_dir)
    path = current_dir / "tasks" / "sleepy_sgd--seed0.json"
    record = json.loads(path.read_text())
    record.update(
        status="timeout",
        metrics=None,
        timing=None,
        error="ran out of its 60 s budget (--task-timeout); stopped after 60.0 s",
    )
    path.write_text(json.dumps(record))
    comparison = compare_runs(base, load_run(current_dir))
    assert not comparison.regressions
    assert any("ran out of its time budget" in p for p in comparison.problems)
    backwards = compare_runs(load_run(current_dir), base)
    assert not backwards.problems and any("in the baseline" in n for n in backwards.notes)


# ---------------------------------------------------------------- growth


def test_power_law_and_crossovers_on_known_curves():
    n = np.array([1000, 5000, 20000, 60000], float)
    k, c = power_law(n, 3e-4 * n**1.5)
    assert k == pytest.approx(1.5) and c == pytest.approx(3e-4)
    assert power_law([1000], [1.0]) is None
    rows = []
    for spec, acc in (("a", [0.90, 0.92, 0.94, 0.95]), ("b", [0.85, 0.91, 0.96, 0.98])):
        for size, value in zip(n, acc, strict=True):
            rows.append(
                {
                    "model_spec": spec,
                    "family": "",
                    "n": size,
                    "n_ok": 1,
                    "n_timeout": 0,
                    "accuracy": value,
                    "accuracy_std": np.nan,
                    "fit_wall_s": size / 1000,
                    "fit_wall_s_std": np.nan,
                    "predict_s": 0.1,
                    "predict_s_std": np.nan,
                }
            )
    table = pd.DataFrame(rows)
    (cross,) = crossovers(table)
    assert (cross.leader, cross.other, cross.between) == ("b", "a", (5000, 20000))
    assert 5000 < cross.at < 20000
    growth = growth_exponents(table).set_index("model_spec")
    assert growth.loc["a", "k_fit"] == pytest.approx(1.0)
    assert growth.loc["a", "k_predict"] == pytest.approx(0.0, abs=1e-9)
