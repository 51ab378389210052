"""A whole run as values: check the request, load the data once, make the common split
(one per data set, when the run covers several), run the tasks and save each result the
moment it exists. Never prints, never exits: the
`run` command (and notebooks) decide what to show."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnistbench.data import DEFAULT_DATASET, Split, load_dataset, make_split
from mnistbench.errors import RequestError, ResultsError
from mnistbench.harness import runner
from mnistbench.harness.cluster import Cluster, DataRequest
from mnistbench.harness.environment import default_threads
from mnistbench.harness.request import (
    DEFAULT_SEEDS,
    RunRequest,
    check_backend,
    check_counts,
    check_out,
    check_run_id,
    check_scheduler,
    check_seeds,
    check_target_accuracy,
    check_task_timeout,
    check_val_size,
)
from mnistbench.harness.subsets import resolve_train_sizes
from mnistbench.harness.timeout import budget_spent, run_tasks_with_timeout
from mnistbench.models import DEFAULT_MODELS, ModelSpec, apply_overrides, parse_spec
from mnistbench.results.labels import size_key
from mnistbench.results.record import RunMeta, TaskRecord
from mnistbench.results.store import RunWriter, SavedRun, latest_run, load_run, new_run_id
from mnistbench.results.tuned_profile import resolve_tuned

__all__ = ["RunOutcome", "RunPlan", "RunRequest", "execute_plan", "plan_run"]


@dataclass
class RunPlan:
    """A checked request: the specs, seeds, data and split, and the directory being
    written, with the tasks still to do."""

    writer: RunWriter
    split: Split
    specs: list[ModelSpec]
    seeds: list[int]
    threads: int
    jobs: int
    backend: str | None
    tasks: list[runner.Task]
    n_done: int
    cluster: Cluster | None = None  # set: the tasks go to this Dask cluster
    data: DataRequest | None = None  # how a cluster worker rebuilds the split
    sizes: list[int | None] = field(default_factory=lambda: [None])  # None: whole part
    task_timeout: float | None = None  # set: each task runs in a child process it may kill
    stopped: dict[str, int | None] = field(default_factory=dict)  # curve -> size timed out
    # Every data set's split and worker request by name (one entry for a one-data-set
    # run: ``split`` and ``data``), and every task of the run, done or not.
    splits: dict[str, Split] = field(default_factory=dict)
    data_requests: dict[str, DataRequest] = field(default_factory=dict)
    every_task: list[runner.Task] = field(default_factory=list)
    # the validation accuracy every record's time to accuracy is measured to
    target_accuracy: float | None = None

    @property
    def path(self) -> Path:
        return self.writer.path


@dataclass
class RunOutcome:
    run: SavedRun
    failed: bool  # some task of the run has no ok result


def _resume_target(request: RunRequest) -> Path:
    if request.run_id is not None:
        check_run_id(request.run_id)
        path = request.out / request.run_id
        if not path.is_dir():
            raise ResultsError(f"no run {request.run_id!r} under {request.out} to resume")
        return path
    newest = latest_run(request.out)
    if newest is None:
        raise ResultsError(f"no run under {request.out} to resume; start a new one")
    return newest


def plan_run(request: RunRequest) -> RunPlan:
    """Check every value asked for before anything is loaded or written, then load the
    data, make the split and create (or reopen) the run directory."""
    check_counts(request.jobs, request.threads, request.split_seed)
    check_backend(request.backend)
    check_out(request.out)
    if request.run_id is not None:
        check_run_id(request.run_id)
    check_scheduler(request)
    resume_path = _resume_target(request) if request.resume else None
    previous = load_run(resume_path).meta if resume_path else None
    names = _dataset_names(request.dataset, previous)
    if len(names) > 1 and request.train_sizes is not None:
        raise RequestError(
            "train_sizes",
            "draws a curve on one data set (sizes count that data set's rows); "
            "give {dataset} one name, one run per data set",
            related=("dataset",),
        )
    specs = request.specs
    if specs is None:
        specs = [parse_spec(label) for label in (previous and previous.specs) or DEFAULT_MODELS]
    specs = apply_overrides(specs, request.settings)
    if not specs:
        raise RequestError("models", "selected no model")
    if request.seeds is not None:
        seeds = check_seeds(list(request.seeds))
    else:
        seeds = list((previous and previous.seeds) or DEFAULT_SEEDS)
    threads = request.threads or default_threads()
    timeout = check_task_timeout(
        request.task_timeout if request.task_timeout is not None else _previous_timeout(previous),
        request,
    )
    val_size = check_val_size(request.val_size)
    target = check_target_accuracy(
        request.target_accuracy
        if request.target_accuracy is not None
        else (previous.target_accuracy if previous is not None else None)
    )

    scheme = request.split or _previous_scheme(previous)
    loaded, specs_of, profiles = [], {}, {}
    for name in names:
        dataset = load_dataset(name, data_dir=request.data_dir, download=request.download)
        split = make_split(
            dataset, scheme, test_size=request.test_size, val_size=val_size, seed=request.split_seed
        )
        # @tuned specs take their profile's parameters for this data set and split (or refuse)
        specs_of[split.dataset], used = resolve_tuned(
            specs,
            dataset.name,
            split.fingerprint,
            profile=request.profile,
            out=request.out,
            used=previous.profiles.get(split.dataset) if previous is not None else None,
        )
        if used is not None:
            profiles[split.dataset] = used
        loaded.append((dataset, split))
    several = len(loaded) > 1
    dataset, split = loaded[0]
    specs = specs_of[split.dataset]
    asked_sizes = request.train_sizes
    if asked_sizes is None and previous is not None and previous.train_sizes:
        asked_sizes = list(previous.train_sizes)
    sizes: list[int | None] = (
        resolve_train_sizes(asked_sizes, len(split.y_train), split.n_classes)
        if asked_sizes is not None
        else [None]
    )

    joined = ",".join(d.name for d, _ in loaded)
    meta = RunMeta(
        run_id=resume_path.name if resume_path else (request.run_id or new_run_id(joined)),
        dataset=joined,
        data_source="; ".join(d.source for d, _ in loaded),
        split=_shared(split.describe()) if several else split.describe(),
        specs=[s.label for s in specs],
        seeds=seeds,
        threads=threads,
        jobs=request.jobs,
        command=list(request.command),
        scheduler=str(request.scheduler) if request.scheduler is not None else None,
        train_sizes=[len(split.y_train) if n is None else n for n in sizes]
        if asked_sizes is not None
        else [],
        task_timeout=timeout,
        target_accuracy=target,
        datasets=[d.name for d, _ in loaded] if several else [],
        splits={s.dataset: s.describe() for _, s in loaded} if several else {},
        profiles=profiles,
    )
    requests = {
        s.dataset: DataRequest(
            s.dataset,
            s.scheme,
            request.test_size,
            s.val_size,
            request.split_seed,
            s.fingerprint,
            str(request.data_dir) if request.data_dir else None,
        )
        for _, s in loaded
    }
    # The last check before writing: a scheduler that cannot be reached writes nothing.
    cluster = Cluster(request.scheduler, threads) if request.scheduler is not None else None
    try:
        writer = _open_writer(resume_path, request.out, meta)
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    done = writer.completed()
    spent, stopped = _spent_budgets(writer.path, timeout)
    # Smaller sizes first: a curve fills from its cheap end, and stops where time runs out.
    # A run over several data sets names each task's data set (one data set: today's ids).
    every = [
        runner.Task(s, seed, n, name if several else None)
        for name in specs_of
        for seed in seeds
        for n in sizes
        for s in specs_of[name]
    ]
    tasks = [t for t in every if t.task_id not in done and t.task_id not in spent]
    return RunPlan(
        writer,
        split,
        specs,
        seeds,
        threads,
        request.jobs,
        request.backend,
        tasks,
        len(done) + len(spent),
        cluster,
        requests[split.dataset],
        sizes,
        timeout,
        stopped,
        {s.dataset: s for _, s in loaded},
        requests,
        every,
        target,
    )


def _dataset_names(asked: str | Sequence[str] | None, previous: RunMeta | None) -> list[str]:
    """The data sets to run on: those asked for (one name or several), else the resumed
    run's, else the default."""
    if isinstance(asked, str):
        names = [asked]
    elif asked is not None:
        names = list(asked)
    elif previous is not None and previous.dataset_names:
        names = previous.dataset_names
    else:
        names = [DEFAULT_DATASET]
    if not names or not all(isinstance(n, str) and n for n in names):
        raise RequestError("dataset", f"needs one data set name or several, got {asked!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RequestError("dataset", f"names {', '.join(twice)} more than once")
    return names


def _previous_scheme(previous: RunMeta | None) -> str | None:
    return previous.split.get("scheme") if previous is not None else None


#: what the splits of a run over several data sets share (``RunMeta.split`` then)
_SHARED_SPLIT_KEYS = ("scheme", "seed", "test_size")


def _shared(described: dict[str, Any]) -> dict[str, Any]:
    return {k: described[k] for k in _SHARED_SPLIT_KEYS if k in described}


def _previous_timeout(previous: RunMeta | None) -> float | None:
    return previous.task_timeout if previous is not None else None


def _spent_budgets(path: Path, timeout: float | None) -> tuple[set[str], dict[str, int | None]]:
    """Saved timeouts that stand (a budget at least as large as this one ran out): their
    task ids, and per spec the smallest size that ran out (larger ones are not started)."""
    spent: set[str] = set()
    stopped: dict[str, int | None] = {}
    for res in load_run(path).results:
        record = res.record
        if not budget_spent(record, timeout):
            continue
        spent.add(record.task_id)
        label = record.model_spec or record.spec
        if label not in stopped or size_key(record.train_size) < size_key(stopped[label]):
            stopped[label] = record.train_size
    return spent, stopped


def _open_writer(resume_path: Path | None, out: Path, meta: RunMeta) -> RunWriter:
    if resume_path is not None:
        return RunWriter.resume(resume_path, meta)
    return RunWriter.create(out / meta.run_id, meta)


def execute_plan(plan: RunPlan, progress: runner.Progress | None = None) -> RunOutcome:
    """Run the plan's tasks, saving each record as it arrives. An interruption marks the
    run "interrupted", anything else that stops it (a full disk) "failed" with the reason;
    finished tasks stay saved, the run directory's lock is released, and the error
    propagates."""
    try:
        try:
            for _task, record, arrays in _results(plan, progress):
                record.target_accuracy = plan.target_accuracy
                plan.writer.write(record, arrays)
        except (KeyboardInterrupt, SystemExit):
            _finish_quietly(plan.writer, "interrupted", None)
            raise
        except BaseException as exc:
            _finish_quietly(
                plan.writer, "failed", (str(exc).splitlines() or [""])[0] or type(exc).__name__
            )
            raise
        run = load_run(plan.path)
        # A task that ran out of its budget is settled, not failed: the curve stops there.
        done = {r.task_id for r in run.results if r.ok or r.record.timed_out}
        failed = any(t.task_id not in done for t in _every_task(plan)) or not all(
            r.ok or r.record.timed_out for r in run.results
        )
        plan.writer.finish("failed" if failed else "complete")
        return RunOutcome(load_run(plan.path), failed)
    finally:
        plan.writer.close()
        if plan.cluster is not None:
            plan.cluster.close()


def _every_task(plan: RunPlan) -> list[runner.Task]:
    if plan.every_task:
        return plan.every_task
    return [runner.Task(s, seed, n) for seed in plan.seeds for n in plan.sizes for s in plan.specs]


def _results(
    plan: RunPlan, progress: runner.Progress | None
) -> Iterator[tuple[runner.Task, TaskRecord, dict[str, np.ndarray]]]:
    """Every task's result as it arrives: the tasks of one data set after another, each on
    its own split (on the cluster, each with its own data request)."""
    splits = plan.splits or {plan.split.dataset: plan.split}
    for name, split in splits.items():
        tasks = [t for t in plan.tasks if t.dataset in (None, name)]
        if not tasks:
            continue
        if plan.cluster is not None:
            data = plan.data_requests.get(name) or plan.data
            assert data is not None  # plan_run makes one per data set
            yield from plan.cluster.run(tasks, data, threads=plan.threads, progress=progress)
        elif plan.task_timeout is not None:
            yield from run_tasks_with_timeout(
                tasks,
                split,
                threads=plan.threads,
                timeout=plan.task_timeout,
                progress=progress,
                stopped=plan.stopped,
            )
        else:
            yield from runner.run_tasks(
                tasks,
                split,
                threads=plan.threads,
                n_jobs=plan.jobs,
                backend=plan.backend,
                progress=progress,
            )


def _finish_quietly(writer: RunWriter, status: str, error: str | None) -> None:
    """Record how the run stopped when the disk allows; the original error matters more."""
    try:
        writer.finish(status, error)
    except ResultsError:
        pass
