"""A data set's second test part (QMNIST's 50,000 digits lost from MNIST's test set; Yadav &
Bottou, NeurIPS 2019): scored by the harness beside the main test part, kept in the record,
shown by `run`, `summary` and the report, exported; older records without it still load.
QMNIST comes from a real HTTP server on 127.0.0.1 serving small files in its real format
(tests.test_downloads)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import stats

from mnistbench.analysis.extra_tests import difference_interval, extra_test_rows
from mnistbench.analysis.statistics import seed_interval, wilson_interval
from mnistbench.cli import main
from mnistbench.data import Split, load_dataset, make_split
from mnistbench.harness.runner import Task, run_task
from mnistbench.models import ModelEntry, parse_spec, register, unregister
from mnistbench.models.builtin.knn import KNNModel
from mnistbench.results import Result, SavedRun, load_run
from mnistbench.results.export import export_frame
from mnistbench.results.record import RunMeta, TaskRecord
from mnistbench.results.record_json import FieldError
from tests.test_downloads import mirror, serve  # noqa: F401  (the fixture)

PART = "qmnist-50k"


@pytest.fixture
def qmnist_run(mirror, tmp_path, monkeypatch, capsys):  # noqa: F811
    """One run of sgd (two seeds) on the small QMNIST, with its report."""
    serve(mirror, tmp_path, monkeypatch, "qmnist")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    args = ["run", "--dataset", "qmnist", "--models", "sgd", "--seeds", "0,1"]
    assert main([*args, "--out", str(out), "--run-id", "q", "--report"]) == 0
    return load_run(out / "q"), capsys.readouterr().out


def test_a_qmnist_run_scores_shows_reports_and_exports_the_second_part(qmnist_run, capsys):
    run, printed = qmnist_run
    assert len(run.results) == 2
    for res in run.results:
        score = res.record.extra_tests[PART]
        assert score.n_test == 25  # the served file's extra rows
        assert score.accuracy * 25 == pytest.approx(round(score.accuracy * 25))
        low, high = score.accuracy_ci
        assert low <= score.accuracy <= high
        assert score.predict_s is not None and score.predict_s >= 0
        # the main test part keeps its own score and timings
        assert sum(res.record.metrics.per_class.support) == 10_000
        assert res.record.timing.predict_repeats >= 1
    # the terminal: the table after the summary, both parts and their sizes
    assert "Second test part" in printed and PART in printed
    assert "10,000 digits" in printed and "25 digits" in printed and "Yadav & Bottou" in printed
    assert printed.index("Second test part") > printed.index(run.results[0].record.spec)
    # the analysis: per spec over seeds, main and second part side by side
    rows = {r.spec: r for r in extra_test_rows([run])}
    assert sorted(rows) == ["sgd"] and rows["sgd"].n_seeds == 2
    sgd = [r.record for r in run.results if r.record.spec == "sgd"]
    assert rows["sgd"].main.accuracy == pytest.approx(np.mean([r.metrics.accuracy for r in sgd]))
    assert rows["sgd"].extra.accuracy == pytest.approx(
        np.mean([r.extra_tests[PART].accuracy for r in sgd])
    )
    assert rows["sgd"].difference == pytest.approx(
        rows["sgd"].extra.accuracy - rows["sgd"].main.accuracy
    )
    # summary over the saved run shows it too
    assert main(["summary", str(run.path)]) == 0
    shown = capsys.readouterr().out
    assert "Second test part" in shown and PART in shown
    # the report's section, with its nav link
    (report,) = (run.path.parent.parent / "reports").glob("*.html")
    html = report.read_text()
    assert 'id="extra-tests"' in html and 'href="#extra-tests"' in html
    assert "Cold Case: The Lost MNIST Digits" in html and html.count(PART) >= 2
    # the export carries each record's second-part score
    frame = export_frame([run])
    by_task = {r.record.task_id: r.record.extra_tests[PART] for r in run.results}
    for _, row in frame.iterrows():
        assert row[f"{PART}_accuracy"] == by_task[row["task_id"]].accuracy
        assert row[f"{PART}_n_test"] == 25


def test_a_run_without_a_second_part_shows_none(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    assert main(["run", "--dataset", "digits", "--models", "sgd", "--out", str(out)]) == 0
    assert "Second test part" not in capsys.readouterr().out
    (path,) = out.iterdir()
    run = load_run(path)
    assert run.results[0].record.extra_tests == {}
    assert "extra_tests" not in json.loads(run.results[0].path.read_text())
    assert extra_test_rows([run]) == []
    assert not any(c.startswith(PART) for c in export_frame([run]).columns)
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 0
    assert 'id="extra-tests"' not in (tmp_path / "r.html").read_text()


def _record(**extra) -> dict:
    return {
        "schema_version": 2,
        "task_id": "sgd--seed0",
        "spec": "sgd",
        "model": "sgd",
        "seed": 0,
        "status": "ok",
        "metrics": {"accuracy": 0.9},
        **extra,
    }


def test_an_older_record_without_the_field_loads_and_is_written_unchanged():
    old = _record()
    record = TaskRecord.from_json(old)
    assert record.extra_tests == {}
    assert "extra_tests" not in record.to_json()


def test_a_record_with_a_second_part_round_trips():
    part = {"accuracy": 0.88, "accuracy_ci": [0.85, 0.9], "n_test": 50_000, "predict_s": 1.5}
    record = TaskRecord.from_json(_record(extra_tests={PART: part}))
    assert record.extra_tests[PART].accuracy == 0.88
    again = TaskRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert again.extra_tests[PART].to_json() == part


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({PART: 3}, "extra_tests"),
        ({PART: None}, f"extra_tests.{PART}"),
        ({PART: {"accuracy": "high"}}, f"extra_tests.{PART}.accuracy"),
        ({PART: {"n_test": 2.5}}, f"extra_tests.{PART}.n_test"),
        ([0.9], "extra_tests"),
    ],
)
def test_a_malformed_second_part_names_its_field(parts, field):
    with pytest.raises(FieldError) as caught:
        TaskRecord.from_json(_record(extra_tests=parts))
    assert caught.value.field == field


def test_a_non_finite_second_part_score_is_a_missing_measurement():
    record = TaskRecord.from_json(_record(extra_tests={PART: {"accuracy": math.nan}}))
    assert record.extra_tests[PART].accuracy is None
    record.extra_tests[PART].predict_s = math.inf
    text = json.dumps(record.to_json(), allow_nan=False)  # never NaN or Infinity in a file
    assert json.loads(text)["extra_tests"][PART]["predict_s"] is None


def test_the_difference_interval_is_the_two_proportion_normal_interval():
    low, high = difference_interval(0.99, 10_000, 0.985, 50_000)
    se = math.sqrt(0.99 * 0.01 / 10_000 + 0.985 * 0.015 / 50_000)
    z = stats.norm.ppf(0.975)
    assert (low, high) == pytest.approx((-0.005 - z * se, -0.005 + z * se))
    assert all(math.isnan(v) for v in difference_interval(0.9, None, 0.8, 100))


# --------------------------------------------------------------------------- the harness


def _with_part(split: Split, name: str, X: np.ndarray, y: np.ndarray) -> Split:
    return dataclasses.replace(split, extra_tests={name: (X, y)})


def test_a_second_part_holding_the_test_digits_scores_as_the_test_part():
    split = make_split(load_dataset("digits"))
    split = _with_part(split, "again", split.X_test, split.y_test)
    record, _ = run_task(Task(parse_spec("sgd"), 0), split, threads=1, latency_samples=5)
    assert record.ok, record.error
    again = record.extra_tests["again"]
    assert again.accuracy == record.metrics.accuracy
    assert again.accuracy_ci == record.metrics.accuracy_ci
    assert again.n_test == len(split.y_test)


class _BlindToSevenRows(KNNModel):
    """k-NN that cannot predict a batch of exactly seven digits (the second part here)."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 7:
            raise ValueError("seven digits at once")
        return super().predict(X)


@pytest.fixture
def blind_to_seven() -> Iterator[str]:
    register(ModelEntry("blind_to_seven", _BlindToSevenRows, "k-NN that fails on 7 rows"))
    yield "blind_to_seven"
    unregister("blind_to_seven")


def test_a_model_that_fails_on_the_second_part_fails_its_task(blind_to_seven):
    split = make_split(load_dataset("digits"))
    split = _with_part(split, "seven", split.X_test[:7], split.y_test[:7])
    task = Task(parse_spec(blind_to_seven), 0)
    record, arrays = run_task(task, split, threads=1, latency_samples=5)
    assert record.status == "error" and "seven digits at once" in record.error
    assert arrays == {} and record.extra_tests == {}


# --------------------------------------------------------------------------- the analysis


def _saved(tmp_path, seeds: dict[int, tuple[float, float]]) -> SavedRun:
    """A run of one spec whose seeds scored (main, second part) as given."""
    results = []
    for seed, (main_acc, extra_acc) in seeds.items():
        record = TaskRecord.from_json(
            _record(
                task_id=f"sgd--seed{seed}",
                seed=seed,
                dataset="qmnist",
                metrics={
                    "accuracy": main_acc,
                    "accuracy_ci": list(wilson_interval(round(main_acc * 10_000), 10_000)),
                    "per_class": {"label": [0, 1], "support": [5_000, 5_000]},
                },
                extra_tests={
                    PART: {
                        "accuracy": extra_acc,
                        "accuracy_ci": list(wilson_interval(round(extra_acc * 50_000), 50_000)),
                        "n_test": 50_000,
                        "predict_s": 2.0,
                    }
                },
            )
        )
        results.append(Result(record, tmp_path / f"{record.task_id}.json"))
    return SavedRun(tmp_path, RunMeta(run_id="r", dataset="qmnist"), results)


def test_one_seed_keeps_its_wilson_intervals_and_the_two_proportion_difference(tmp_path):
    (row,) = extra_test_rows([_saved(tmp_path, {0: (0.99, 0.985)})])
    assert (row.main.n_test, row.extra.n_test, row.n_seeds) == (10_000, 50_000, 1)
    assert (row.main.low, row.main.high) == pytest.approx(wilson_interval(9_900, 10_000))
    assert (row.extra.low, row.extra.high) == pytest.approx(wilson_interval(49_250, 50_000))
    assert row.difference == pytest.approx(-0.005)
    assert (row.low, row.high) == pytest.approx(difference_interval(0.99, 10_000, 0.985, 50_000))
    assert row.predict_s == 2.0


def test_seeds_that_agree_keep_the_intervals_of_the_digits(tmp_path):
    """A deterministic model repeats itself over seeds: its intervals are still the test
    digits' (Student's t over identical seeds would be of width zero)."""
    (row,) = extra_test_rows([_saved(tmp_path, {0: (0.99, 0.985), 1: (0.99, 0.985)})])
    assert row.n_seeds == 2
    assert (row.main.low, row.main.high) == pytest.approx(wilson_interval(9_900, 10_000))
    assert (row.low, row.high) == pytest.approx(difference_interval(0.99, 10_000, 0.985, 50_000))


def test_seeds_that_differ_widen_the_difference_interval(tmp_path):
    seeds = {0: (0.99, 0.95), 1: (0.98, 0.99), 2: (0.97, 0.96)}
    (row,) = extra_test_rows([_saved(tmp_path, seeds)])
    t_low, t_high = seed_interval([e - m for m, e in seeds.values()])
    assert row.low <= t_low and row.high >= t_high
    assert row.main.accuracy == pytest.approx(0.98) and row.extra.accuracy == pytest.approx(
        0.9667, abs=1e-4
    )
