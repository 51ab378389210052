"""The Python API for notebooks, on the same functions as the command line.

    import mnistbench
    run = mnistbench.run(models=["default", "notebooks"], dataset="digits", seeds=[0, 1])
    run.to_frame()                      # one row per task: metrics, timings, disturbance
    run.report("reports/digits.html")   # the HTML report (``mnistbench report``)
    run.export("digits.parquet")        # the table file (``mnistbench export``)
    mnistbench.load_run("results/20261122-143330-mnist-5k").report()

``run`` builds the ``RunRequest`` that ``mnistbench run`` builds from its flags and hands
it to the same ``plan_run`` and ``execute_plan``; it prints nothing (pass a
``mnistbench.harness.runner.Progress`` to follow the tasks) and raises ``MnistbenchError``
where the command would exit with status 2. Failed tasks do not raise: their rows in
``to_frame()`` have ``status`` "error" and the message in ``error``, as in the results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mnistbench.errors import MnistbenchError
from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
from mnistbench.harness.runner import Progress
from mnistbench.report import default_report_path, write_report
from mnistbench.results import SavedRun
from mnistbench.results import load_run as _load_run
from mnistbench.results.export import export_frame, write_table
from mnistbench.results.labels import task_label

__all__ = ["Run", "load_run", "run"]


@dataclass
class Run(SavedRun):
    """A run directory (``mnistbench.results.SavedRun``: ``path``, ``meta``, ``results``,
    ``to_frame()``) that can also write its report and its table."""

    @classmethod
    def of(cls, saved: SavedRun) -> Run:
        return cls(saved.path, saved.meta, saved.results)

    @property
    def failed(self) -> bool:
        """Some task of the run has no ok result (one that ran out of its --task-timeout
        budget counts as settled, not failed)."""
        done = {(r.record.spec, r.record.seed) for r in self.results if r.ok or r.record.timed_out}
        n_train = (self.meta.split or {}).get("n_train")
        sizes = [None if n == n_train else n for n in self.meta.train_sizes] or [None]
        return any(
            (task_label(s, n), seed) not in done
            for s in self.meta.specs
            for n in sizes
            for seed in self.meta.seeds
        )

    def report(
        self, path: str | Path | None = None, *, figures_dir: str | Path | None = None
    ) -> Path:
        """Write the run's HTML report (default ``reports/<run-id>.html``); its path."""
        target = Path(path) if path is not None else default_report_path([self.path])
        return write_report(
            [self.path], target, Path(figures_dir) if figures_dir is not None else None
        )

    def export(self, path: str | Path) -> Path:
        """Write the run's tasks to ``path`` (``*.csv`` or ``*.parquet``); its path."""
        return write_table(export_frame([self]), path)


def load_run(path: str | Path) -> Run:
    """A saved run directory, as ``mnistbench.results.load_run`` reads it."""
    return Run.of(_load_run(path))


def _text(values: str | Iterable[object] | None, what: str) -> str | None:
    """A list as the comma-separated text the command line takes."""
    if values is None or isinstance(values, str):
        return values
    if isinstance(values, int):
        return str(values)
    items = [str(v) for v in values]
    if not items:
        raise MnistbenchError(f"{what} is empty")
    return ",".join(items)


#: RunRequest fields that are not a flag of their own, or that ``request`` fills itself.
_NOT_OPTIONS = {"models", "dataset", "seeds", "command"}
#: Fields whose flag is not ``--<field-name>``.
_FLAGS = {"settings": "--set"}


def _options() -> dict[str, Any]:
    """RunRequest's keyword options (every field but the three positional ones) and their
    defaults: the flags of ``mnistbench run``."""
    defaults = RunRequest()
    return {
        f.name: getattr(defaults, f.name) for f in fields(RunRequest) if f.name not in _NOT_OPTIONS
    }


def request(
    models: str | Sequence[str] | None = None,
    dataset: str | None = None,
    seeds: int | Sequence[int] | str | None = None,
    **options: Any,
) -> RunRequest:
    """The ``RunRequest`` of a ``run`` call: the one ``mnistbench run`` makes of the
    equivalent flags (recorded in ``run.json`` as that command line). ``options`` are
    RunRequest's other fields, named as the flags are (``settings`` is ``--set``)."""
    known = _options()
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(
            f"mnistbench.run() got unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    values = dict(options)
    for key in ("out", "data_dir"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    if "settings" in values:
        values["settings"] = (
            [values["settings"]]
            if isinstance(values["settings"], str)
            else list(values["settings"])
        )
    req = RunRequest(
        models=_text(models, "models"), dataset=dataset, seeds=_text(seeds, "seeds"), **values
    )
    req.command = _command_line(req)
    return req


def _command_line(req: RunRequest) -> list[str]:
    """The ``mnistbench run`` arguments that make the same request."""
    argv = ["run"]
    for flag, value in (
        ("--models", req.models),
        ("--dataset", req.dataset),
        ("--seeds", req.seeds),
    ):
        if value is not None:
            argv += [flag, value]
    for name, default in _options().items():
        value = getattr(req, name)
        flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
        if value == default:
            continue
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, list):
            for item in value:
                argv += [flag, str(item)]
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def run(
    models: str | Sequence[str] | None = None,
    dataset: str | None = None,
    seeds: int | Sequence[int] | str | None = None,
    *,
    progress: Progress | None = None,
    **options: Any,
) -> Run:
    """Train and evaluate ``models`` (specs, as for ``--models``; default the six contract
    models) on ``dataset`` (default ``mnist-5k``) with one repeat per seed (default
    ``[0]``), save the run under ``out`` (default ``results/``) and return it.

    ``options`` are the flags of ``mnistbench run`` by their names (RunRequest's fields):
    ``settings`` (``--set``, a list), ``split``, ``test_size``, ``val_size``,
    ``split_seed``, ``out``, ``run_id``, ``resume``, ``threads``, ``jobs``, ``backend``,
    ``data_dir``, ``download``, ...
    """
    plan = plan_run(request(models, dataset, seeds, **options))
    with progress or Progress() as shown:
        outcome = execute_plan(plan, shown)
    return Run.of(outcome.run)
