"""`mnistbench compare`: exit 0 / 1 / 2, matching by spec and split, noise across seeds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mnistbench.analysis.compare import compare_runs, seeds_differ
from mnistbench.cli import main
from mnistbench.results import load_run

MODELS = "linear_svc,sgd,knn"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    """A real run on digits: three quick models, three seeds."""
    out = tmp_path_factory.mktemp("compare-results")
    status = main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            MODELS,
            "--seeds",
            "0,1,2",
            "--out",
            str(out),
            "--run-id",
            "base",
            "--quiet",
            "--threads",
            "1",
        ]
    )
    assert status == 0
    return out / "base"


def copy_run(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest)
    return dest


def edit_tasks(run: Path, spec: str, change) -> None:
    """Apply ``change(record)`` to every task JSON of ``spec`` in ``run``."""
    for path in (run / "tasks").glob("*.json"):
        record = json.loads(path.read_text())
        if record["spec"] == spec:
            change(record)
            path.write_text(json.dumps(record))


def lower_accuracy(amount: float):
    def change(record: dict) -> None:
        record["metrics"]["accuracy"] -= amount
        record["metrics"]["error_rate"] += amount

    return change


def set_error(values: dict[int, float]):
    def change(record: dict) -> None:
        err = values[record["seed"]]
        record["metrics"]["error_rate"] = err
        record["metrics"]["accuracy"] = 1 - err

    return change


def test_same_run_exits_0(base_run, capsys):
    assert main(["compare", str(base_run), str(base_run)]) == 0
    out = capsys.readouterr().out
    assert "no regression" in out
    comparison = compare_runs(load_run(base_run), load_run(base_run))
    assert comparison.same_data and not comparison.problems and not comparison.regressions
    assert list(comparison.table["spec"]) == MODELS.split(",")
    for m in ("accuracy", "error_rate"):
        assert {f"{m}_base", f"{m}_current", f"{m}_delta", f"{m}_verdict"} <= set(
            comparison.table.columns
        )
    for m in ("fit_wall_s", "predict_s"):
        assert f"{m}_ratio" in comparison.table.columns
    assert set(comparison.table["error_rate_verdict"]) == {"unchanged"}


def test_one_point_lower_accuracy_exits_1_naming_the_model(base_run, tmp_path, capsys):
    current = copy_run(base_run, tmp_path / "worse")
    edit_tasks(current, "knn", lower_accuracy(0.01))
    status = main(["compare", str(base_run), str(current), "--metrics", "error_rate"])
    out = capsys.readouterr().out
    assert status == 1
    assert "regression" in out and "knn" in out
    comparison = compare_runs(load_run(base_run), load_run(current), metrics=["error_rate"])
    assert len(comparison.regressions) == 1 and comparison.regressions[0].startswith("knn:")
    row = comparison.table.set_index("spec").loc["knn"]
    assert row["error_rate_verdict"] == "regression"
    assert row["error_rate_delta"] == pytest.approx(0.01)
    assert "fit_wall_s_verdict" not in comparison.table.columns  # only the chosen metrics


def test_improvement_and_threshold(base_run, tmp_path):
    current = copy_run(base_run, tmp_path / "better")
    edit_tasks(current, "linear_svc", lower_accuracy(-0.02))
    edit_tasks(current, "knn", lower_accuracy(0.004))  # inside the 0.005 threshold
    comparison = compare_runs(load_run(base_run), load_run(current), metrics=["accuracy"])
    verdicts = comparison.table.set_index("spec")["accuracy_verdict"]
    assert verdicts["linear_svc"] == "improvement" and verdicts["knn"] == "unchanged"
    assert main(["compare", str(base_run), str(current), "--metrics", "accuracy"]) == 0
    strict = ["--max-error-increase", "0.001"]
    assert main(["compare", str(base_run), str(current), "--metrics", "accuracy", *strict]) == 1


def fit_seconds(base: float):
    """Fit time ``base`` plus 1% per seed, taken on a quiet machine: a steady spread,
    unlike real sub-second fits on a shared one (which may be marked disturbed)."""

    def change(record: dict) -> None:
        record["timing"]["fit_wall_s"] = base * (1 + 0.01 * record["seed"])
        for phase in record["timing"].get("phases", {}).values():
            phase.update(verdict="clean", reasons=[])

    return change


def test_slowdown_is_a_regression_for_times(base_run, tmp_path):
    # Real fit times of milliseconds on digits can spread so widely over three seeds that
    # a doubling is rightly "within noise"; fixed times test the verdict itself.
    base = copy_run(base_run, tmp_path / "steady")
    edit_tasks(base, "linear_svc", fit_seconds(1.0))
    current = copy_run(base, tmp_path / "slow")
    edit_tasks(current, "linear_svc", fit_seconds(2.0))
    comparison = compare_runs(load_run(base), load_run(current), metrics=["fit_wall_s"])
    assert comparison.table.set_index("spec").loc[
        "linear_svc", "fit_wall_s_ratio"
    ] == pytest.approx(2.0)
    assert [r.split(":")[0] for r in comparison.regressions] == ["linear_svc"]
    assert main(["compare", str(base), str(current), "--metrics", "fit_wall_s"]) == 1
    assert main(["compare", str(base), str(current), "--metrics", "error_rate"]) == 0


def test_different_split_fingerprint_exits_2(base_run, tmp_path, capsys):
    current = copy_run(base_run, tmp_path / "other-split")
    meta = json.loads((current / "run.json").read_text())
    meta["split"]["fingerprint"] = "0123456789abcdef"
    (current / "run.json").write_text(json.dumps(meta))

    def other(record: dict) -> None:
        record["split_fingerprint"] = "0123456789abcdef"

    for spec in MODELS.split(","):
        edit_tasks(current, spec, other)
    assert main(["compare", str(base_run), str(current)]) == 2
    err = capsys.readouterr().err
    assert "different splits" in err and len(err.strip().splitlines()) == 1
    comparison = compare_runs(load_run(base_run), load_run(current))
    assert not comparison.same_data and comparison.problems


def test_different_split_made_by_the_cli_exits_2(base_run, tmp_path, capsys):
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                MODELS,
                "--split-seed",
                "1",
                "--out",
                str(out),
                "--run-id",
                "other",
                "--quiet",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["compare", str(base_run), str(out / "other")]) == 2
    assert "different splits" in capsys.readouterr().err


def test_missing_model_exits_2(base_run, tmp_path, capsys):
    current = copy_run(base_run, tmp_path / "missing")
    for path in (current / "tasks").glob("sgd--*"):
        path.unlink()
    assert main(["compare", str(base_run), str(current)]) == 2
    err = capsys.readouterr().err
    assert "missing from the current run" in err and "sgd" in err
    comparison = compare_runs(load_run(base_run), load_run(current))
    assert comparison.unmatched_baseline == ["sgd"]


@pytest.mark.parametrize("damage", ["not-a-dir", "no-run-json", "bad-json"])
def test_unreadable_input_exits_2(base_run, tmp_path, capsys, damage):
    if damage == "not-a-dir":
        current = tmp_path / "nothing"
    else:
        current = copy_run(base_run, tmp_path / "broken")
        if damage == "no-run-json":
            (current / "run.json").unlink()
        else:
            next((current / "tasks").glob("*.json")).write_text("{ not json")
    assert main(["compare", str(base_run), str(current)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_unknown_metric_exits_2(base_run, capsys):
    assert main(["compare", str(base_run), str(base_run), "--metrics", "speed"]) == 2
    assert "unknown metric" in capsys.readouterr().err


def test_several_seeds_within_noise_exit_0(base_run, tmp_path, capsys):
    """A mean shift past the threshold, but the seeds overlap: not a regression."""
    base = copy_run(base_run, tmp_path / "noisy-base")
    current = copy_run(base_run, tmp_path / "noisy-current")
    edit_tasks(base, "sgd", set_error({0: 0.05, 1: 0.08, 2: 0.11}))
    edit_tasks(current, "sgd", set_error({0: 0.06, 1: 0.10, 2: 0.12}))  # mean +0.013
    status = main(["compare", str(base), str(current), "--metrics", "error_rate"])
    out = capsys.readouterr().out
    assert status == 0
    assert "within noise" in out
    comparison = compare_runs(load_run(base), load_run(current), metrics=["error_rate"])
    assert comparison.table.set_index("spec").loc["sgd", "error_rate_verdict"] == "within noise"


def test_several_seeds_clearly_apart_exit_1(base_run, tmp_path):
    base = copy_run(base_run, tmp_path / "tight-base")
    current = copy_run(base_run, tmp_path / "tight-current")
    edit_tasks(base, "sgd", set_error({0: 0.050, 1: 0.051, 2: 0.052}))
    edit_tasks(current, "sgd", set_error({0: 0.070, 1: 0.071, 2: 0.072}))
    assert main(["compare", str(base), str(current), "--metrics", "error_rate"]) == 1


def test_seeds_differ():
    import numpy as np

    assert seeds_differ(np.array([0.1]), np.array([0.2])) is None
    assert seeds_differ(np.array([0.1, 0.1]), np.array([0.1, 0.1])) is False
    assert seeds_differ(np.arange(8.0), np.arange(8.0) + 100) is True
    assert seeds_differ(np.array([1.0, 3.0, 5.0]), np.array([2.0, 4.0, 6.0])) is False


def test_failed_model_in_current_is_a_regression(base_run, tmp_path, capsys):
    current = copy_run(base_run, tmp_path / "crashed")

    def crash(record: dict) -> None:
        record["status"] = "error"
        record["error"] = "ValueError: boom"

    edit_tasks(current, "knn", crash)
    assert main(["compare", str(base_run), str(current), "--metrics", "error_rate"]) == 1
    assert "knn" in capsys.readouterr().out


def test_json_only_run_compares(base_run, tmp_path):
    """The committed CI baseline keeps only the JSON records."""
    current = copy_run(base_run, tmp_path / "json-only")
    for npz in (current / "tasks").glob("*.npz"):
        npz.unlink()
    assert main(["compare", str(current), str(base_run), "--metrics", "error_rate"]) == 0


def test_html_comparison_report(base_run, tmp_path, capsys):
    current = copy_run(base_run, tmp_path / "worse-html")
    edit_tasks(current, "knn", lower_accuracy(0.01))
    html = tmp_path / "cmp.html"
    assert (
        main(
            ["compare", str(base_run), str(current), "--metrics", "error_rate", "--html", str(html)]
        )
        == 1
    )
    text = html.read_text()
    assert "knn" in text and "regression" in text


def test_a_bug_in_compare_is_exit_3_with_its_traceback_never_a_regression(
    base_run, monkeypatch, capsys
):
    from mnistbench.commands import compare as compare_command

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(compare_command, "compare_runs", broken)
    assert main(["compare", str(base_run), str(base_run)]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error (exit 3)" in err, err
    saved = Path(err.split("its traceback is in ")[1].split(",")[0])
    assert "ZeroDivisionError: a bug" in saved.read_text()
    saved.unlink()
