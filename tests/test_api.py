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
    # the request holds values: parsed specs and seeds, the settings as overrides
    assert [s.label for s in request.specs] == ["knn", "mlp:hidden_units=(64,32)"]
    assert request.seeds == [0, 2] and request.settings == {"mlp": {"epochs": 1}}
    resumed = api.request(out=tmp_path, run_id="r1", resume=True, jobs=2)
    from_cli = request_from(build_parser().parse_args(resumed.command))
    from_cli.command = resumed.command
    assert from_cli == resumed and resumed.specs is None and resumed.seeds is None
    # every kind of option the command line has, written back as its flags
    full = api.request(
        "knn:n_neighbors=[1,3]",
        seeds="3,1",
        settings=["knn.weights=distance", "sgd.alpha=[0.1,0.01]"],
        out=tmp_path,
        val_size=0.1,
        split_seed=2,
        scheduler="local:2",
        train_sizes=[100, 0.5, "all"],
        task_timeout=30,
        backend="loky",
        data_dir=tmp_path,
        run_id="r2",
    )
    from_cli = request_from(build_parser().parse_args(full.command))
    from_cli.command = full.command
    assert from_cli == full
    assert full.train_sizes == [100, 0.5, None] and str(full.scheduler) == "local:2"
    assert [s.label for s in full.specs] == ["knn:n_neighbors=1", "knn:n_neighbors=3"]


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


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"models": b"sgd"}, "models"),
        ({"models": ["sgd", 3]}, "models"),
        ({"seeds": 1.5}, "seeds"),
        ({"seeds": [0, True]}, "seeds"),
        ({"jobs": 1.5}, "jobs"),
        ({"threads": "2"}, "threads"),
        ({"resume": "no"}, "resume"),
        ({"download": 1}, "download"),
        ({"train_sizes": [100, b"all"]}, "train_sizes"),
        ({"settings": {"knn.n_neighbors": 3}}, "settings"),
        ({"out": 3}, "out"),
        ({"task_timeout": "10"}, "task_timeout"),
    ],
)
def test_an_argument_of_the_wrong_kind_is_named_before_anything_is_written(
    tmp_path, arguments, named
):
    arguments = {"models": "sgd", "dataset": "digits", "out": tmp_path / "r", **arguments}
    with pytest.raises(api.ArgumentError, match=rf"^{named} must be ") as caught:
        mnistbench.run(**arguments)
    assert isinstance(caught.value, MnistbenchError) and isinstance(caught.value, TypeError)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"seeds": [1, 1]}, "seeds needs distinct integers, got [1, 1]"),
        ({"seeds": [-1]}, "seeds must be integers from 0 to 4294967295, got -1"),
        ({"seeds": "0,x"}, "seeds expects comma-separated integers"),
        ({"jobs": 0}, "jobs must be at least 1, got 0"),
        ({"train_sizes": [5000]}, "train_sizes 5000: the training part has only"),
        ({"train_sizes": "100,lots"}, "train_sizes 'lots': give a row count"),
        ({"scheduler": "local:0"}, "scheduler local:0: use local:N"),
        ({"scheduler": "local:2", "jobs": 2}, "scheduler and jobs exclude each other"),
        ({"task_timeout": 5, "jobs": 2}, "it excludes jobs > 1 and scheduler"),
        ({"run_id": "../x"}, "run_id '../x' must be one folder name"),
        ({"models": []}, "models is empty"),
    ],
)
def test_a_bad_value_is_named_as_the_argument_and_writes_nothing(tmp_path, arguments, message):
    arguments = {"models": "sgd", "dataset": "digits", "out": tmp_path / "r", **arguments}
    with pytest.raises(MnistbenchError) as caught:
        mnistbench.run(**arguments)
    assert message in str(caught.value)
    assert "--" not in str(caught.value)  # a flag's name means nothing to a caller of run()
    assert not (tmp_path / "r").exists()


def test_the_core_takes_values_not_text(tmp_path):
    """plan_run with ModelSpec values, a list of seeds and sizes, no text to parse; text
    where a value belongs is refused by the core's checks, not parsed."""
    from mnistbench.errors import RequestError
    from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
    from mnistbench.models import ModelSpec

    request = RunRequest(
        specs=[ModelSpec("sgd"), ModelSpec("knn", None, (("n_neighbors", 3),))],
        settings={"sgd": {"max_iter": [5, 10]}},
        dataset="digits",
        seeds=[0, 1],
        train_sizes=[200, None],
        out=tmp_path,
        run_id="values",
        threads=1,
    )
    plan = plan_run(request)
    labels = [s.label for s in plan.specs]
    assert labels == ["sgd:max_iter=5", "sgd:max_iter=10", "knn:n_neighbors=3"]
    assert plan.seeds == [0, 1] and plan.sizes == [200, None]
    assert len(plan.tasks) == 3 * 2 * 2
    outcome = execute_plan(plan)
    assert not outcome.failed and outcome.run.meta.command == []
    assert outcome.run.meta.train_sizes == [200, len(plan.split.y_train)]
    for bad in ({"seeds": "0,1"}, {"train_sizes": "200,all"}, {"seeds": [0, 0]}):
        values = {"specs": [ModelSpec("sgd")], "dataset": "digits", "out": tmp_path, **bad}
        with pytest.raises(RequestError) as caught:
            plan_run(RunRequest(**values))
        assert caught.value.field == next(iter(bad))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["values"]


def test_the_core_names_no_flag():
    """The errors the harness raises describe values; only the edges know the flags."""
    import ast
    import re

    from mnistbench import harness

    root = Path(harness.__file__).parent
    for name in ("plan.py", "request.py", "subsets.py", "cluster.py"):
        raised = [
            node.value
            for r in ast.walk(ast.parse((root / name).read_text()))
            if isinstance(r, ast.Raise)
            for node in ast.walk(r)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        flags = [s for s in raised if re.search(r"(^|\s)--[a-z]", s)]
        assert raised and flags == [], f"{name} names a flag: {flags}"


def test_numpy_numbers_are_taken_as_python_numbers():
    import numpy as np

    req = api.request(
        "sgd", seeds=[np.int64(1), 2], threads=np.int64(2), test_size=np.float32(0.25)
    )
    assert req.seeds == [1, 2] and type(req.seeds[0]) is int
    assert type(req.threads) is int and type(req.test_size) is float
    assert req.command == [
        "run",
        "--models",
        "sgd",
        "--seeds",
        "1,2",
        "--test-size",
        "0.25",
        "--threads",
        "2",
    ]
