"""The Python API for notebooks, on the same functions as the command line.

    import mnistbench
    run = mnistbench.run(models=["default", "notebooks"], dataset="digits", seeds=[0, 1])
    run.to_frame()                      # one row per task: metrics, timings, disturbance
    run.report("reports/digits.html")   # the HTML report (``mnistbench report``)
    run.export("digits.parquet")        # the table file (``mnistbench export``)
    mnistbench.load_run("results/20261122-143330-mnist-5k").report()

``run`` builds the ``RunRequest`` that ``mnistbench run`` builds from its flags (lists as
they are, texts through the parsers the flags use, ``mnistbench.parsing``) and hands it to
the same ``plan_run`` and ``execute_plan``; it prints nothing (pass a
``mnistbench.harness.runner.Progress`` to follow the tasks) and raises ``MnistbenchError``
where the command would exit with status 2. Failed tasks do not raise: their rows in
``to_frame()`` have ``status`` "error" and the message in ``error``, as in the results.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mnistbench.errors import MnistbenchError, RequestError
from mnistbench.harness.cluster import SchedulerAddress
from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
from mnistbench.harness.runner import Progress
from mnistbench.harness.subsets import TrainSize
from mnistbench.models import ModelSpec, parse_settings
from mnistbench.models.specs import validate_spec
from mnistbench.parsing import (
    ALL,
    flag,
    parse_datasets,
    parse_models,
    parse_scheduler,
    parse_seeds,
    parse_train_size,
    parse_train_sizes,
)
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


class ArgumentError(MnistbenchError, TypeError):
    """An argument of ``run`` is of a kind it cannot be (``jobs=1.5``, ``seeds=b"0"``)."""


Check = Callable[[object], bool]


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


def _is_spec(value: object) -> bool:
    return isinstance(value, str | ModelSpec)


def _is_size(value: object) -> bool:
    return value is None or _is_real(value) or _is_text(value)


def _is_scheduler(value: object) -> bool:
    return isinstance(value, str | SchedulerAddress)


def _items(check: Check) -> Check:
    """A list or tuple (not text) whose every item passes ``check``."""
    return lambda value: isinstance(value, list | tuple) and all(check(v) for v in value)


def _either(*checks: Check) -> Check:
    return lambda value: any(check(value) for check in checks)


#: every argument of ``run`` but ``progress``: the kinds it takes, and what an error says
#: it must be. None is always accepted: the default or, on resume, what the run used.
_KINDS: dict[str, tuple[Check, str]] = {
    "models": (_either(_is_spec, _items(_is_spec)), "a spec text or a list of specs"),
    "dataset": (_either(_is_text, _items(_is_text)), "a data set's name or a list of names"),
    "seeds": (_either(_is_int, _items(_is_int), _is_text), "an int or a list of ints"),
    "settings": (_either(_is_text, _items(_is_text)), "a list of 'model.param=value' texts"),
    "split": (_is_text, "'official' or 'stratified'"),
    "test_size": (_is_real, "a number"),
    "val_size": (_is_real, "a number"),
    "split_seed": (_is_int, "an int"),
    "out": (_is_path, "a path"),
    "run_id": (_is_text, "a folder name"),
    "resume": (_is_bool, "True or False"),
    "threads": (_is_int, "an int"),
    "jobs": (_is_int, "an int"),
    "backend": (_is_text, "a joblib backend's name"),
    "data_dir": (_is_path, "a path"),
    "download": (_is_bool, "True or False"),
    "scheduler": (_is_scheduler, "an address (tcp://HOST:PORT or local:N)"),
    "train_sizes": (
        _either(_is_text, _items(_is_size)),
        "a list of row counts, fractions and 'all'",
    ),
    "task_timeout": (_is_real, "a number of seconds"),
    "target_accuracy": (_is_real, "an accuracy (0.99)"),
}
#: the arguments given as keywords only (``options``)
_OPTIONS = tuple(name for name in _KINDS if name not in ("models", "dataset", "seeds"))


def _check_kinds(arguments: dict[str, object]) -> None:
    """Refuse, before anything runs, an argument of the wrong kind: one error naming it."""
    for name, value in arguments.items():
        check, what = _KINDS[name]
        if value is not None and not check(value):
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ArgumentError(f"{name} must be {what}, got {shown}")


def _specs(models: str | ModelSpec | Sequence[str | ModelSpec]) -> list[ModelSpec]:
    if isinstance(models, str):
        return parse_models(models)
    if isinstance(models, ModelSpec):
        models = [models]
    if not models:
        raise RequestError("models", "is empty")
    specs: dict[str, ModelSpec] = {}
    for item in models:
        for spec in parse_models(item) if isinstance(item, str) else [validate_spec(item)]:
            specs.setdefault(spec.label, spec)
    return list(specs.values())


def _seeds(seeds: int | Sequence[int] | str) -> list[int]:
    if isinstance(seeds, str):
        return parse_seeds(seeds)
    if isinstance(seeds, Sequence):
        return [int(s) for s in seeds]
    return [int(seeds)]


def _train_sizes(sizes: str | Sequence[int | float | str | None]) -> list[TrainSize]:
    if isinstance(sizes, str):
        return parse_train_sizes(sizes)
    return [parse_train_size(s) if isinstance(s, str) else s for s in sizes]


def _datasets(dataset: str | Sequence[str]) -> list[str]:
    """``"mnist-5k,digits"`` as ``--dataset`` reads it, or a list of names."""
    return parse_datasets(dataset) if isinstance(dataset, str) else list(dataset)


def request(
    models: str | ModelSpec | Sequence[str | ModelSpec] | None = None,
    dataset: str | Sequence[str] | None = None,
    seeds: int | Sequence[int] | str | None = None,
    **options: Any,
) -> RunRequest:
    """The ``RunRequest`` of a ``run`` call, as values: texts (``models="sgd,knn"``,
    ``seeds="0,1"``) are parsed as the flags of ``mnistbench run`` are, lists are taken
    item by item. ``run.json`` records the equivalent command line."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise TypeError(
            f"mnistbench.run() got unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_OPTIONS))}"
        )
    _check_kinds({"models": models, "dataset": dataset, "seeds": seeds, **options})
    # None is the default (or, on resume, the resumed run's): RunRequest's own default
    values = {key: value for key, value in options.items() if value is not None}
    for key in ("out", "data_dir"):
        if key in values:
            values[key] = Path(values[key])
    for key in ("split_seed", "threads", "jobs"):  # numpy's integers too, as Python's
        if key in values:
            values[key] = int(values[key])
    for key in ("test_size", "val_size", "task_timeout", "target_accuracy"):
        if key in values and not isinstance(values[key], int | float):
            values[key] = float(values[key])
    if "settings" in values:
        given = values["settings"]
        values["settings"] = parse_settings([given] if isinstance(given, str) else given)
    if isinstance(values.get("scheduler"), str):
        values["scheduler"] = parse_scheduler(values["scheduler"])
    if "train_sizes" in values:
        values["train_sizes"] = _train_sizes(values["train_sizes"])
    req = RunRequest(
        specs=_specs(models) if models is not None else None,
        dataset=_datasets(dataset) if dataset is not None else None,
        seeds=_seeds(seeds) if seeds is not None else None,
        **values,
    )
    req.command = command_line(req)
    return req


def command_line(req: RunRequest) -> list[str]:
    """``mnistbench run`` arguments that make the same request: what ``run.json`` shows
    as the command (written from the values for people to read; nothing parses it)."""
    argv = ["run"]
    if req.specs is not None:
        argv += ["--models", ",".join(s.label for s in req.specs)]
    if req.dataset is not None:
        names = [req.dataset] if isinstance(req.dataset, str) else req.dataset
        argv += ["--dataset", ",".join(names)]
    if req.seeds is not None:
        argv += ["--seeds", ",".join(map(str, req.seeds))]
    for model, params in req.settings.items():
        for key, value in params.items():
            # the spec label's "model:param=value", as --set writes it: "model.param=value"
            setting = ModelSpec(model, None, ((key, value),)).label.replace(":", ".", 1)
            argv += [flag("settings"), setting]
    defaults = RunRequest()
    for f in fields(RunRequest):
        value = getattr(req, f.name)
        if f.name in ("specs", "dataset", "seeds", "settings", "command"):
            continue
        if value is None or value == getattr(defaults, f.name):
            continue
        if isinstance(value, bool):
            argv.append(flag(f.name) if value else "--no-" + flag(f.name)[2:])
        elif f.name == "train_sizes":
            argv += [flag(f.name), ",".join(ALL if n is None else str(n) for n in value)]
        else:
            argv += [flag(f.name), str(value)]
    return argv


def run(
    models: str | ModelSpec | Sequence[str | ModelSpec] | None = None,
    dataset: str | Sequence[str] | None = None,
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
    ``data_dir``, ``download``, ``scheduler``, ``train_sizes``, ``task_timeout``,
    ``target_accuracy``. An
    argument of the wrong kind raises ``ArgumentError`` (a ``MnistbenchError`` and a
    ``TypeError``) naming it; a value out of range a ``MnistbenchError`` naming it; either
    before anything is written.
    """
    plan = plan_run(request(models, dataset, seeds, **options))
    with progress or Progress() as shown:
        outcome = execute_plan(plan, shown)
    return Run.of(outcome.run)
