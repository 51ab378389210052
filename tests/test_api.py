"""The notebook API: ``mnistbench.run(...) -> Run``, ``Run.to_frame()``, ``Run.report()``, on
the functions the CLI uses; ``import mnistbench`` stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mnistbench
from mnistbench import api
from mnistbench.cli import build_parser
from mnistbench.commands.run import request_from
from mnistbench.errors import MnistbenchError
from mnistbench.harness.runner import Progress


class Recorder(Progress):
    def __init__(self) -> None:
        self.finished: list[str] = []

    def task_finished(self, task, record) -> None:
        self.finished.append(record.task_id)


def test_tiny_run_on_digits_and_its_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default report path is reports/<run-id>.html
    progress = Recorder()
    run = mnistbench.run(
        models=["linear_svc", "knn:n_neighbors=3"],
        dataset="digits",
        seeds=[0, 1],
        out=tmp_path / "results",
        threads=1,
        progress=progress,
    )
    assert isinstance(run, mnistbench.Run) and not run.failed
    assert run.path.parent == tmp_path / "results"
    frame = run.to_frame()
    assert list(frame["spec"]) == [
        "linear_svc",
        "linear_svc",
        "knn:n_neighbors=3",
        "knn:n_neighbors=3",
    ]
    assert list(frame["seed"]) == [0, 1, 0, 1]
    assert (frame["status"] == "ok").all() and (frame["accuracy"] > 0.9).all()
    assert sorted(progress.finished) == sorted(frame["task_id"])
    # run.json records the command line that makes the same run.
    assert run.meta.command[:1] == ["run"] and "--seeds" in run.meta.command

    report = run.report(tmp_path / "report.html")
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") or "<html" in html[:200]
    assert run.run_id in html
    default = mnistbench.load_run(run.path).report()
    assert default == Path("reports") / f"{run.run_id}.html" and default.exists()

    table = run.export(tmp_path / "tasks.csv")
    assert table.read_text().count("\n") == 5


def test_the_api_makes_the_request_the_cli_makes(tmp_path):
    request = api.request(
        ["knn", "mlp:hidden_units=(64,32)"],
        "digits",
        [0, 2],
        settings=["mlp.epochs=1"],
        out=tmp_path,
        threads=1,
        download=False,
        split="stratified",
        test_size=0.25,
    )
    args = build_parser().parse_args(request.command)
    from_cli = request_from(args)
    from_cli.command = request.command
    assert from_cli == request
    assert request.models == "knn,mlp:hidden_units=(64,32)" and request.seeds == "0,2"
    resumed = api.request(out=tmp_path, run_id="r1", resume=True, jobs=2)
    from_cli = request_from(build_parser().parse_args(resumed.command))
    from_cli.command = resumed.command
    assert from_cli == resumed and resumed.models is None


def test_unknown_options_are_refused():
    with pytest.raises(TypeError, match="no_such_option"):
        mnistbench.run(models=["knn"], dataset="digits", no_such_option=1)


def test_the_api_and_the_cli_run_through_the_same_functions():
    import inspect

    from mnistbench.commands import run as run_command

    for module in (api, run_command):
        source = inspect.getsource(module)
        assert "plan_run(" in source and "execute_plan(" in source


def test_user_errors_raise_and_write_nothing(tmp_path):
    with pytest.raises(MnistbenchError, match="no_such_model"):
        mnistbench.run(models=["no_such_model"], dataset="digits", out=tmp_path / "r")
    with pytest.raises(MnistbenchError):
        mnistbench.run(models=[], dataset="digits", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_import_mnistbench_is_light_and_the_api_is_lazy():
    code = (
        "import sys, mnistbench; "
        "print(sorted(m for m in ('mnistbench.api', 'pandas', 'tensorflow', "
        "'mnistbench.harness.plan') if m in sys.modules)); "
        "print(mnistbench.run.__module__, 'run' in dir(mnistbench))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "mnistbench.api True"]
    with pytest.raises(AttributeError):
        mnistbench.no_such_attribute  # noqa: B018
