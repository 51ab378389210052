"""The Python API for notebooks, on the same functions as the command line.

    import mnistbench
    run = mnistbench.run(models=["knn", "knn@notebook"], dataset="digits", seeds=[0, 1])
    run.to_frame()                      # one row per task: metrics, timings, disturbance
    run.report("reports/knn.html")      # the HTML report (``mnistbench report``)
    run.export("knn.parquet")           # the table file (``mnistbench export``)
    mnistbench.load_run("results/20261122-143330-mnist-5k").report()

``run`` builds the ``RunRequest`` that ``mnistbench run`` builds from its flags and hands
it to the same ``plan_run`` and ``execute_plan``; it prints nothing (pass a
``mnistbench.harness.runner.Progress`` to follow the tasks) and raises ``MnistbenchError``
where the command would exit with status 2. Failed tasks do not raise: their rows in
``to_frame()`` have ``status`` "error" and the message in ``error``, as in the results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mnistbench.errors import MnistbenchError
from mnistbench.export import export_frame, write_table
from mnistbench.harness.runner import Progress
from mnistbench.harness.suite import RunRequest, execute_plan, plan_run
from mnistbench.report import default_report_path, write_report
from mnistbench.results import Run as _SavedRun
from mnistbench.results import load_run as _load_run

__all__ = ["Run", "load_run", "run"]


@dataclass
class Run(_SavedRun):
    """A run directory (``mnistbench.results.Run``: ``path``, ``meta``, ``results``,
    ``to_frame()``) that can also write its report and its table."""

    @classmethod
    def of(cls, saved: _SavedRun) -> Run:
        return cls(saved.path, saved.meta, saved.results)

    @property
    def failed(self) -> bool:
        """Some task of the run has no ok result."""
        done = {(r.record.spec, r.record.seed) for r in self.results if r.ok}
        return any((s, seed) not in done for s in self.meta.specs for seed in self.meta.seeds)

    def report(self, path: str | Path | None = None, *,
               figures_dir: str | Path | None = None) -> Path:
        """Write the run's HTML report (default ``reports/<run-id>.html``); its path."""
        target = Path(path) if path is not None else default_report_path([self.path])
        return write_report([self.path], target,
                            Path(figures_dir) if figures_dir is not None else None)

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


def request(
    models: str | Sequence[str] | None = None,
    dataset: str | None = None,
    seeds: int | Sequence[int] | str | None = None,
    *,
    settings: Sequence[str] = (),
    split: str | None = None,
    test_size: float = 0.2,
    val_size: float | None = None,
    split_seed: int = 0,
    out: str | Path = "results",
    run_id: str | None = None,
    resume: bool = False,
    threads: int | None = None,
    jobs: int = 1,
    backend: str | None = None,
    data_dir: str | Path | None = None,
    download: bool = True,
) -> RunRequest:
    """The ``RunRequest`` of a ``run`` call: the one ``mnistbench run`` makes of the
    equivalent flags (recorded in ``run.json`` as that command line)."""
    req = RunRequest(
        models=_text(models, "models"), settings=list(settings), dataset=dataset,
        split=split, test_size=test_size, val_size=val_size, split_seed=split_seed,
        seeds=_text(seeds, "seeds"), out=Path(out), run_id=run_id, resume=resume,
        threads=threads, jobs=jobs, backend=backend,
        data_dir=Path(data_dir) if data_dir is not None else None, download=download,
    )
    req.command = _command_line(req)
    return req


def _command_line(req: RunRequest) -> list[str]:
    """The ``mnistbench run`` arguments that make the same request."""
    argv = ["run"]
    defaults = RunRequest()
    flags = [("--models", req.models), ("--dataset", req.dataset), ("--split", req.split),
             ("--test-size", req.test_size), ("--val-size", req.val_size),
             ("--split-seed", req.split_seed), ("--seeds", req.seeds), ("--out", req.out),
             ("--run-id", req.run_id), ("--threads", req.threads), ("--jobs", req.jobs),
             ("--backend", req.backend), ("--data-dir", req.data_dir)]
    for flag, value in flags:
        if value is not None and value != getattr(defaults, flag[2:].replace("-", "_")):
            argv += [flag, str(value)]
    for setting in req.settings:
        argv += ["--set", setting]
    if req.resume:
        argv.append("--resume")
    if not req.download:
        argv.append("--no-download")
    return argv


def run(
    models: str | Sequence[str] | None = None,
    dataset: str | None = None,
    seeds: int | Sequence[int] | str | None = None,
    *,
    progress: Progress | None = None,
    **options: object,
) -> Run:
    """Train and evaluate ``models`` (specs, as for ``--models``; default the six contract
    models) on ``dataset`` (default ``mnist-5k``) with one repeat per seed (default
    ``[0]``), save the run under ``out`` (default ``results/``) and return it.

    ``options`` are ``request``'s keyword arguments, the flags of ``mnistbench run``:
    ``settings`` (``--set``), ``split``, ``test_size``, ``val_size``, ``split_seed``,
    ``out``, ``run_id``, ``resume``, ``threads``, ``jobs``, ``backend``, ``data_dir``,
    ``download``.
    """
    plan = plan_run(request(models, dataset, seeds, **options))  # type: ignore[arg-type]
    with progress or Progress() as shown:
        outcome = execute_plan(plan, shown)
    return Run.of(outcome.run)
