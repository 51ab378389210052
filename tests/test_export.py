"""`mnistbench export RUN_DIR ... -o results.csv|results.parquet`: one row per task, and the
file read back with plain pandas gives the numbers of ``load_run(...).to_frame()``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mnistbench.cli import main
from mnistbench.results import load_run
from mnistbench.results.export import RUN_COLUMNS, export_frame, read_table


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real run on digits: a tuned model and a preset pair, two seeds."""
    out = tmp_path_factory.mktemp("export-results")
    status = main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            "linear_svc,knn,knn@notebook",
            "--seeds",
            "0,1",
            "--out",
            str(out),
            "--run-id",
            "one",
            "--quiet",
            "--threads",
            "1",
        ]
    )
    assert status == 0
    return out / "one"


def _same(expected: pd.Series, got: pd.Series, column: str) -> None:
    """Numbers equal exactly (NaN where missing); anything else equal as text."""
    if pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected):
        np.testing.assert_array_equal(
            got.to_numpy(dtype=float), expected.to_numpy(dtype=float), err_msg=column
        )
        return

    def text(series: pd.Series) -> list[str | None]:
        return [
            None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)
            for v in series.astype(object)
        ]

    assert text(got) == text(expected), column


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips(run_dir, tmp_path, suffix, capsys):
    target = tmp_path / f"results{suffix}"
    assert main(["export", str(run_dir), "-o", str(target)]) == 0
    assert "exported 6 task(s)" in capsys.readouterr().out
    got = pd.read_csv(target) if suffix == ".csv" else pd.read_parquet(target)
    expected = load_run(run_dir).to_frame()

    assert len(got) == len(expected) == 6
    # to_frame's columns, in its order, with the run and the machine added.
    assert [c for c in got.columns if c in expected.columns] == list(expected.columns)
    assert set(got.columns) == set(expected.columns) | set(RUN_COLUMNS)
    for column in expected.columns:
        _same(expected[column], got[column], column)
    # What the issue asks a row to hold, by name.
    for column in (
        "spec",
        "seed",
        "dataset",
        "split_fingerprint",
        "accuracy",
        "error_rate",
        "fit_wall_s",
        "predict_s",
        "latency_p50_s",
        "parallel_jobs",
        "host",
    ):
        assert column in got.columns
    assert any(c.endswith("_disturbed") for c in got.columns)
    records = [r.record for r in load_run(run_dir).results]
    assert list(got["host"]) == [r.environment.host for r in records]
    assert set(got["run_id"]) == {"one"}
    # read_table is the same as plain pandas for what export wrote.
    pd.testing.assert_frame_equal(read_table(target), got)


def test_export_of_several_runs_stacks_them(run_dir, tmp_path):
    second = tmp_path / "two"
    shutil.copytree(run_dir, second)
    target = tmp_path / "both.parquet"
    assert main(["export", str(run_dir), str(second), "-o", str(target)]) == 0
    got = pd.read_parquet(target)
    assert len(got) == 12
    assert list(got["run_path"].unique()) == [str(run_dir), str(second)]
    frame = export_frame([load_run(run_dir), load_run(second)])
    np.testing.assert_array_equal(got["accuracy"], frame["accuracy"])


@pytest.mark.parametrize("name", ["results.xlsx", "results", "sub"])
def test_bad_output_is_a_user_error_and_writes_nothing(run_dir, tmp_path, capsys, name):
    (tmp_path / "sub").mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert main(["export", str(run_dir), "-o", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mnistbench: error:") and err.count("\n") == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_not_a_run_is_a_user_error(tmp_path, capsys):
    assert main(["export", str(tmp_path), "-o", str(tmp_path / "x.csv")]) == 2
    assert "not a mnistbench run" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
