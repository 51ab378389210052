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
from mnistbench.harness.environment import default_threads
from mnistbench.harness.record import RunMeta
from mnistbench.models import DEFAULT_MODELS, ModelSpec, apply_settings, parse_spec_list
from mnistbench.results import Run, RunWriter, latest_run, load_run, new_run_id

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

    @property
    def path(self) -> Path:
        return self.writer.path


@dataclass
class RunOutcome:
    run: Run
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
        raise MnistbenchError(f"--backend {backend!r} is not a joblib backend; choose one of "
                              f"{', '.join(sorted(BACKENDS))}")


def check_run_id(run_id: str) -> str:
    """A run id names one folder under --out: one safe path component, nothing more."""
    if not run_id or run_id in (".", "..") or run_id != slug(run_id) or run_id.startswith("."):
        raise MnistbenchError(f"--run-id {run_id!r} must be one folder name of letters, "
                              "digits and _ . @ - (no path, not starting with a dot)")
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
    seeds = parse_seeds(request.seeds) if request.seeds else \
        list((previous and previous.seeds) or DEFAULT_SEEDS)
    threads = request.threads or default_threads()

    dataset = load_dataset(dataset_name, data_dir=request.data_dir, download=request.download)
    scheme = request.split or (previous.split.get("scheme") if previous else None)
    split = make_split(dataset, scheme, test_size=request.test_size,
                       val_size=_val_size(request.val_size), seed=request.split_seed)

    meta = RunMeta(
        run_id=resume_path.name if resume_path else (request.run_id or new_run_id(dataset.name)),
        dataset=dataset.name, data_source=dataset.source, split=split.describe(),
        specs=[s.label for s in specs], seeds=seeds, threads=threads, jobs=request.jobs,
        command=list(request.command),
    )
    if resume_path is not None:
        writer = RunWriter.resume(resume_path, meta)
    else:
        writer = RunWriter.create(request.out / meta.run_id, meta)
    done = writer.completed()
    tasks = [t for t in (runner.Task(s, seed) for seed in seeds for s in specs)
             if t.task_id not in done]
    return RunPlan(writer, split, specs, seeds, threads, request.jobs, request.backend, tasks,
                   len(done))


def execute_plan(plan: RunPlan, progress: runner.Progress | None = None) -> RunOutcome:
    """Run the plan's tasks, saving each record as it arrives. An interruption marks the
    run "interrupted", anything else that stops it (a full disk) "failed" with the reason;
    finished tasks stay saved, the run directory's lock is released, and the error
    propagates."""
    try:
        try:
            for _task, record, arrays in runner.run_suite(
                    plan.tasks, plan.split, threads=plan.threads, n_jobs=plan.jobs,
                    backend=plan.backend, progress=progress):
                plan.writer.write(record, arrays)
        except (KeyboardInterrupt, SystemExit):
            _finish_quietly(plan.writer, "interrupted", None)
            raise
        except BaseException as exc:
            _finish_quietly(plan.writer, "failed", (str(exc).splitlines() or [""])[0]
                            or type(exc).__name__)
            raise
        run = load_run(plan.path)
        done = {r.task_id for r in run.results if r.ok}
        failed = any(runner.Task(s, seed).task_id not in done for seed in plan.seeds
                     for s in plan.specs) or not all(r.ok for r in run.results)
        plan.writer.finish("failed" if failed else "complete")
        return RunOutcome(load_run(plan.path), failed)
    finally:
        plan.writer.close()


def _finish_quietly(writer: RunWriter, status: str, error: str | None) -> None:
    """Record how the run stopped when the disk allows; the original error matters more."""
    try:
        writer.finish(status, error)
    except ResultsError:
        pass
