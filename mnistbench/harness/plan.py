"""A whole run as values: check the request, load the data once, make the common split,
run the tasks and save each result the moment it exists. Never prints, never exits: the
`run` command (and notebooks) decide what to show."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from mnistbench.data import DEFAULT_DATASET, Split, load_dataset, make_split
from mnistbench.errors import MnistbenchError, ResultsError
from mnistbench.files import check_output_dir, slug
from mnistbench.harness import runner
from mnistbench.harness.cluster import Cluster, DataRequest
from mnistbench.harness.environment import default_threads
from mnistbench.harness.subsets import parse_train_sizes
from mnistbench.harness.timeout import budget_spent, run_tasks_with_timeout
from mnistbench.models import DEFAULT_MODELS, ModelSpec, apply_settings, parse_spec_list
from mnistbench.results.labels import size_key
from mnistbench.results.record import RunMeta
from mnistbench.results.store import RunWriter, SavedRun, latest_run, load_run, new_run_id

DEFAULT_SEEDS = (0,)
#: numpy, scikit-learn and TensorFlow all take seeds in 0 .. 2**32 - 1
MAX_SEED = 2**32 - 1


@dataclass
class RunRequest:
    """What the user asked for, as typed (``None`` means the default or, on resume, what
    the run being resumed used)."""

    models: str | None = None
    settings: list[str] = field(default_factory=list)
    dataset: str | None = None
    split: str | None = None
    test_size: float = 0.2
    val_size: float | None = None
    split_seed: int = 0
    seeds: str | None = None
    out: Path = Path("results")
    run_id: str | None = None
    resume: bool = False
    threads: int | None = None
    jobs: int = 1
    backend: str | None = None
    data_dir: Path | None = None
    download: bool = True
    scheduler: str | None = None  # a Dask scheduler address, or local:N
    train_sizes: str | None = None  # "500,1000,0.5,all": a training-size curve
    task_timeout: float | None = None  # seconds a task may take (run in a child process)
    command: list[str] = field(default_factory=list)


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
    stopped: dict[str, int | None] = field(default_factory=dict)  # spec -> size timed out

    @property
    def path(self) -> Path:
        return self.writer.path


@dataclass
class RunOutcome:
    run: SavedRun
    failed: bool  # some task of the run has no ok result


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise MnistbenchError(f"--seeds expects comma-separated integers, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise MnistbenchError(f"--seeds needs distinct integers, got {text!r}")
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise MnistbenchError(f"--seeds must be integers from 0 to {MAX_SEED}, got {bad[0]}")
    return seeds


def _check_backend(backend: str | None) -> None:
    if backend is None:
        return
    from joblib.parallel import BACKENDS

    if backend not in BACKENDS:
        raise MnistbenchError(
            f"--backend {backend!r} is not a joblib backend; choose one of "
            f"{', '.join(sorted(BACKENDS))}"
        )


def check_run_id(run_id: str) -> str:
    """A run id names one folder under --out: one safe path component, nothing more."""
    if not run_id or run_id in (".", "..") or run_id != slug(run_id) or run_id.startswith("."):
        raise MnistbenchError(
            f"--run-id {run_id!r} must be one folder name of letters, "
            "digits and _ . @ - (no path, not starting with a dot)"
        )
    return run_id


def _val_size(value: float | None) -> float | int | None:
    if value is None:
        return None
    if not value > 0:
        raise MnistbenchError("--val-size must be positive")
    if not math.isfinite(value):
        raise MnistbenchError("--val-size must be a fraction or a count, not infinite")
    return int(value) if value > 1 else value


def _resume_target(request: RunRequest) -> Path:
    if request.run_id is not None:
        check_run_id(request.run_id)
        path = request.out / request.run_id
        if not path.is_dir():
            raise ResultsError(f"no run {request.run_id!r} under {request.out} to resume")
        return path
    path = latest_run(request.out)
    if path is None:
        raise ResultsError(f"no run under {request.out} to resume; start one without --resume")
    return path


def plan_run(request: RunRequest) -> RunPlan:
    """Check everything the user typed before anything is loaded or written, then load the
    data, make the split and create (or reopen) the run directory."""
    if request.jobs < 1 or (request.threads is not None and request.threads < 1):
        raise MnistbenchError("--jobs and --threads must be at least 1")
    _check_backend(request.backend)
    check_output_dir(request.out, "--out")
    if request.run_id is not None:
        check_run_id(request.run_id)
    resume_path = _resume_target(request) if request.resume else None
    previous = load_run(resume_path).meta if resume_path else None
    dataset_name = request.dataset or (previous and previous.dataset) or DEFAULT_DATASET
    models_text = request.models
    if models_text is None:
        models_text = ",".join((previous and previous.specs) or DEFAULT_MODELS)
    specs = apply_settings(parse_spec_list(models_text), request.settings)
    if not specs:
        raise MnistbenchError("--models selected no model")
    seeds = (
        parse_seeds(request.seeds)
        if request.seeds
        else list((previous and previous.seeds) or DEFAULT_SEEDS)
    )
    threads = request.threads or default_threads()
    if request.scheduler and request.jobs != 1:
        raise MnistbenchError(
            "--scheduler and --jobs exclude each other: a cluster runs one task per worker"
        )

    timeout = _task_timeout(request, previous)

    dataset = load_dataset(dataset_name, data_dir=request.data_dir, download=request.download)
    scheme = request.split or (previous.split.get("scheme") if previous else None)
    split = make_split(
        dataset,
        scheme,
        test_size=request.test_size,
        val_size=_val_size(request.val_size),
        seed=request.split_seed,
    )
    sizes_text = request.train_sizes or (previous and ",".join(map(str, previous.train_sizes)))
    sizes = (
        parse_train_sizes(sizes_text, len(split.y_train), split.n_classes) if sizes_text else [None]
    )

    meta = RunMeta(
        run_id=resume_path.name if resume_path else (request.run_id or new_run_id(dataset.name)),
        dataset=dataset.name,
        data_source=dataset.source,
        split=split.describe(),
        specs=[s.label for s in specs],
        seeds=seeds,
        threads=threads,
        jobs=request.jobs,
        command=list(request.command),
        scheduler=request.scheduler,
        train_sizes=[len(split.y_train) if n is None else n for n in sizes] if sizes_text else [],
        task_timeout=timeout,
    )
    data = DataRequest(
        dataset.name,
        split.scheme,
        request.test_size,
        split.val_size,
        request.split_seed,
        split.fingerprint,
        str(request.data_dir) if request.data_dir else None,
    )
    # The last check before writing: a scheduler that cannot be reached writes nothing.
    cluster = Cluster(request.scheduler, threads) if request.scheduler else None
    try:
        writer = _open_writer(resume_path, request.out, meta)
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    done = writer.completed()
    spent, stopped = _spent_budgets(writer.path, timeout)
    # Smaller sizes first: a curve fills from its cheap end, and stops where time runs out.
    tasks = [
        t
        for t in (runner.Task(s, seed, n) for seed in seeds for n in sizes for s in specs)
        if t.task_id not in done and t.task_id not in spent
    ]
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
        data,
        sizes,
        timeout,
        stopped,
    )


def _task_timeout(request: RunRequest, previous: RunMeta | None) -> float | None:
    """--task-timeout (or the resumed run's), checked: a positive number of seconds, for
    tasks run one at a time here (a child process per task)."""
    timeout = request.task_timeout
    if timeout is None and previous is not None:
        timeout = previous.task_timeout
    if timeout is None:
        return None
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise MnistbenchError(
            f"--task-timeout must be a positive number of seconds, got {timeout!r}"
        )
    if request.jobs != 1 or request.scheduler:
        raise MnistbenchError(
            "--task-timeout runs the tasks one at a time, each in a child "
            "process; it excludes --jobs > 1 and --scheduler"
        )
    return float(timeout)


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
            if plan.cluster is not None:
                results = plan.cluster.run(
                    plan.tasks, plan.data, threads=plan.threads, progress=progress
                )
            elif plan.task_timeout is not None:
                results = run_tasks_with_timeout(
                    plan.tasks,
                    plan.split,
                    threads=plan.threads,
                    timeout=plan.task_timeout,
                    progress=progress,
                    stopped=plan.stopped,
                )
            else:
                results = runner.run_tasks(
                    plan.tasks,
                    plan.split,
                    threads=plan.threads,
                    n_jobs=plan.jobs,
                    backend=plan.backend,
                    progress=progress,
                )
            for _task, record, arrays in results:
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
        failed = any(
            runner.Task(s, seed, n).task_id not in done
            for seed in plan.seeds
            for n in plan.sizes
            for s in plan.specs
        ) or not all(r.ok or r.record.timed_out for r in run.results)
        plan.writer.finish("failed" if failed else "complete")
        return RunOutcome(load_run(plan.path), failed)
    finally:
        plan.writer.close()
        if plan.cluster is not None:
            plan.cluster.close()


def _finish_quietly(writer: RunWriter, status: str, error: str | None) -> None:
    """Record how the run stopped when the disk allows; the original error matters more."""
    try:
        writer.finish(status, error)
    except ResultsError:
        pass
