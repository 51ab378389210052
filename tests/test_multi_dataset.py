"""One run over several data sets: every spec on every data set, each with its own split;
the data set is part of each task's id, label and record, so resume, compare and the
summary never mix two data sets, while a run over one data set keeps today's ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnistbench.cli import main
from mnistbench.errors import RequestError
from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
from mnistbench.models import parse_spec
from mnistbench.parsing import parse_datasets
from mnistbench.results import load_run

FAST = ["--models", "sgd,knn", "--seeds", "0", "--threads", "1", "--quiet"]


def write_digits_csv(path: Path, *, invert: bool = False) -> Path:
    """scikit-learn's digits as a user's CSV: each 8x8 image blown up to 28x28 (a data set
    of its own name, ``csv:PATH``)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.pad(np.kron(digits.images, np.ones((3, 3))), ((0, 0), (2, 2), (2, 2)))
    pixels = np.clip(np.round(images * 255 / 16), 0, 255).astype(int)
    if invert:
        pixels = 255 - pixels
    rows = np.column_stack([digits.target, pixels.reshape(len(pixels), -1)])
    np.savetxt(path, rows, fmt="%d", delimiter=",")
    return path


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("multi")
    assert (
        main(["run", "--dataset", "digits,mnist-5k", *FAST, "--out", str(out), "--run-id", "two"])
        == 0
    )
    return out / "two"


def test_dataset_list_parsing_keeps_commas_of_a_csv_path():
    assert parse_datasets("mnist-5k,digits") == ["mnist-5k", "digits"]
    assert parse_datasets(" digits , mnist ") == ["digits", "mnist"]
    assert parse_datasets("csv:/a,b.csv,digits") == ["csv:/a,b.csv", "digits"]
    assert parse_datasets("csv:a.csv,csv:b.csv") == ["csv:a.csv", "csv:b.csv"]
    with pytest.raises(RequestError, match="empty"):
        parse_datasets(" , ")


def test_a_data_set_named_twice_is_refused_before_anything_is_written(tmp_path, capsys):
    code = main(["run", "--dataset", "digits,digits", *FAST, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == "mnistbench: error: --dataset names digits more than once"
    assert not any(tmp_path.iterdir())


def test_every_task_carries_its_data_set(two_datasets):
    run = load_run(two_datasets)
    ids = sorted(r.task_id for r in run.results)
    assert ids == [
        "digits--knn--seed0",
        "digits--sgd--seed0",
        "mnist-5k--knn--seed0",
        "mnist-5k--sgd--seed0",
    ]
    by_id = {r.task_id: r.record for r in run.results}
    record = by_id["mnist-5k--knn--seed0"]
    assert (record.spec, record.spec_label, record.dataset) == ("knn [mnist-5k]", "knn", "mnist-5k")
    assert record.base_spec == "knn [mnist-5k]"
    # each task ran on its own data set's split
    assert record.split_fingerprint == run.meta.splits["mnist-5k"]["fingerprint"]
    assert by_id["digits--knn--seed0"].split_fingerprint == run.meta.splits["digits"]["fingerprint"]
    assert (
        len(run.results[0].arrays["y_true"])
        == run.meta.split_of(run.results[0].record.dataset)["n_test"]
    )
    assert run.meta.datasets == ["digits", "mnist-5k"]
    assert run.meta.dataset == "digits,mnist-5k"
    assert run.meta.status == "complete"
    # the run's results in the order asked: data set, then spec
    assert [r.record.spec for r in run.results] == [
        "sgd [digits]",
        "knn [digits]",
        "sgd [mnist-5k]",
        "knn [mnist-5k]",
    ]


def test_resume_reruns_only_the_missing_task_of_one_data_set(two_datasets, tmp_path):
    import shutil

    copy = tmp_path / "two"
    shutil.copytree(two_datasets, copy)
    (copy / "tasks" / "mnist-5k--sgd--seed0.json").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (copy / "tasks").glob("*.json")}
    plan = plan_run(RunRequest(out=tmp_path, run_id="two", resume=True, threads=1))
    assert [t.task_id for t in plan.tasks] == ["mnist-5k--sgd--seed0"]
    assert plan.n_done == 3
    outcome = execute_plan(plan)
    assert not outcome.failed
    after = {p.name: p.stat().st_mtime_ns for p in (copy / "tasks").glob("*.json")}
    assert {k: after[k] for k in before} == before  # the finished tasks were not redone
    assert "mnist-5k--sgd--seed0.json" in after


def test_resume_with_other_data_sets_is_refused(two_datasets, tmp_path, capsys):
    import shutil

    shutil.copytree(two_datasets, tmp_path / "two")
    code = main(
        ["run", "--dataset", "digits", *FAST, "--out", str(tmp_path), "--run-id", "two", "--resume"]
    )
    assert code == 2
    assert "it was run on digits,mnist-5k, not digits" in capsys.readouterr().err


def test_a_one_data_set_run_keeps_its_ids_labels_and_records(tmp_path):
    plan = plan_run(
        RunRequest(
            specs=[parse_spec("sgd")], dataset=["digits"], out=tmp_path, run_id="one", threads=1
        )
    )
    assert [t.task_id for t in plan.tasks] == ["sgd--seed0"]
    execute_plan(plan)
    saved = json.loads((tmp_path / "one" / "tasks" / "sgd--seed0.json").read_text())
    assert saved["spec"] == "sgd" and saved["base_spec"] == "sgd"
    assert "spec_label" not in saved
    meta = json.loads((tmp_path / "one" / "run.json").read_text())
    assert meta["dataset"] == "digits"
    assert "datasets" not in meta and "splits" not in meta
    assert meta["split"]["fingerprint"]


def test_a_run_over_several_data_sets_under_a_task_timeout(tmp_path):
    """The timeout path (a child process per task) gets each task's own split."""
    out = tmp_path
    code = main(
        [
            "run",
            "--dataset",
            "digits,mnist-5k",
            "--models",
            "sgd",
            "--threads",
            "1",
            "--quiet",
            "--task-timeout",
            "120",
            "--out",
            str(out),
            "--run-id",
            "budget",
        ]
    )
    assert code == 0
    run = load_run(out / "budget")
    found = {r.record.dataset: r.record for r in run.results}
    assert set(found) == {"digits", "mnist-5k"}
    for name, record in found.items():
        assert record.ok and record.task_timeout_s == 120
        assert record.split_fingerprint == run.meta.splits[name]["fingerprint"]


def test_summary_refuses_two_runs_of_one_data_set_split_differently(tmp_path, capsys):
    for run_id, seed in (("a", "0"), ("b", "1")):
        common = ["--models", "sgd", "--threads", "1", "--quiet", "--out", str(tmp_path)]
        args = ["run", "--dataset", "digits", *common, "--run-id", run_id, "--split-seed", seed]
        assert main(args) == 0
    capsys.readouterr()
    code = main(["summary", str(tmp_path / "a"), str(tmp_path / "b")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "runs a and b both hold digits, split differently" in err
    assert "seed 0 vs 1" in err


def test_summary_of_separate_runs_says_two_data_sets_are_too_few(two_datasets, tmp_path, capsys):
    for name in ("digits", "mnist-5k"):
        args = ["run", "--dataset", name, *FAST, "--out", str(tmp_path), "--run-id", name]
        assert main(args) == 0
    capsys.readouterr()
    assert main(["summary", str(tmp_path / "digits"), str(tmp_path / "mnist-5k")]) == 0
    out = capsys.readouterr().out
    assert "Accuracy across data sets" in out
    assert "the Friedman test needs at least 3 data sets" in out
    assert "Friedman chi2" not in out
    # separate runs and the one run over both split each data set alike: they rank together
    assert main(["summary", str(two_datasets), str(tmp_path / "digits")]) == 0


@pytest.mark.slow
def test_a_run_over_several_data_sets_on_a_local_dask_cluster(tmp_path):
    """Each worker rebuilds the split of its task's data set by name (checked by its
    fingerprint)."""
    pytest.importorskip("distributed")
    code = main(
        [
            "run",
            "--dataset",
            "digits,mnist-5k",
            "--models",
            "sgd",
            "--threads",
            "1",
            "--quiet",
            "--scheduler",
            "local:1",
            "--out",
            str(tmp_path),
            "--run-id",
            "dask",
        ]
    )
    assert code == 0
    run = load_run(tmp_path / "dask")
    assert sorted(r.task_id for r in run.results) == ["digits--sgd--seed0", "mnist-5k--sgd--seed0"]
    for res in run.results:
        assert res.ok and res.record.worker
        expected = run.meta.splits[res.record.dataset]["fingerprint"]
        assert res.record.split_fingerprint == expected


def test_the_python_api_takes_several_data_sets_as_text_or_a_list():
    from mnistbench.api import request

    assert request(dataset="digits,mnist-5k").dataset == ["digits", "mnist-5k"]
    req = request(models="sgd", dataset=["digits", "csv:a,b.csv"])
    assert req.dataset == ["digits", "csv:a,b.csv"]
    assert req.command[req.command.index("--dataset") + 1] == "digits,csv:a,b.csv"
    with pytest.raises(TypeError, match="a data set's name or a list of names"):
        request(dataset=3)


def test_compare_matches_a_run_over_several_data_sets_task_by_task(two_datasets, tmp_path):
    from mnistbench.analysis.compare import compare_runs

    run = load_run(two_datasets)
    same = compare_runs(run, run)
    assert same.problems == []
    assert set(same.table["spec"]) == {r.record.spec for r in run.results}
    args = ["run", "--dataset", "digits", *FAST, "--out", str(tmp_path), "--run-id", "one"]
    assert main(args) == 0
    other = compare_runs(run, load_run(tmp_path / "one"))
    assert any("different data sets" in p for p in other.problems)


def test_a_training_size_curve_over_several_data_sets_is_refused(tmp_path, capsys):
    args = ["run", "--dataset", "digits,mnist-5k", *FAST, "--out", str(tmp_path)]
    assert main([*args, "--train-sizes", "300,all"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "mnistbench: error: --train-sizes draws a curve on one data set (sizes count that "
        "data set's rows); give --dataset one name, one run per data set"
    )
    assert not any(tmp_path.iterdir())


def test_the_report_header_names_each_data_set_split(two_datasets, tmp_path):
    from mnistbench.report import write_report

    run = load_run(two_datasets)
    html = write_report([two_datasets], tmp_path / "two.html").read_text()
    for name in ("digits", "mnist-5k"):
        assert f"{name} {run.meta.splits[name]['fingerprint']}" in html
    assert "digits 1,293/144/360" in html
    assert '<section id="ranking">' in html  # two data sets: ranked, and said to be too few
