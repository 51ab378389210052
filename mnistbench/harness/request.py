"""What a run is asked to do, as values, and the checks every value passes before anything
is loaded or written. Text never reaches this far: the command line and the Python API
parse it (``mnistbench.parsing``); an error here describes the value and names its field,
and the edge that took the value names it the way its user wrote it."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

from mnistbench.errors import MnistbenchError, RequestError
from mnistbench.files import check_output_dir, slug
from mnistbench.harness.cluster import SchedulerAddress
from mnistbench.harness.subsets import TrainSize
from mnistbench.models import ModelSpec, Settings
from mnistbench.results.time_to_accuracy import DEFAULT_TARGET_ACCURACY

DEFAULT_SEEDS = (0,)
#: numpy, scikit-learn and TensorFlow all take seeds in 0 .. 2**32 - 1
MAX_SEED = 2**32 - 1


@dataclass
class RunRequest:
    """What the caller asked for (``None`` means the default or, on resume, what the run
    being resumed used)."""

    specs: list[ModelSpec] | None = None  # expanded: groups and sweeps are resolved
    settings: Settings = field(default_factory=dict)  # overrides for every spec of a model
    dataset: str | list[str] | None = None  # one name; several: every spec on each
    split: str | None = None
    test_size: float = 0.2
    val_size: float | None = None
    split_seed: int = 0
    seeds: list[int] | None = None
    out: Path = Path("results")
    run_id: str | None = None
    resume: bool = False
    threads: int | None = None
    jobs: int = 1
    backend: str | None = None
    data_dir: Path | None = None
    download: bool = True
    scheduler: SchedulerAddress | None = None
    train_sizes: list[TrainSize] | None = None  # a training-size curve
    task_timeout: float | None = None  # seconds a task may take (run in a child process)
    command: list[str] = field(default_factory=list)  # how the run was asked for, as shown
    profile: Path | None = None  # the tuned profile @tuned specs use (default: found by data set)
    target_accuracy: float | None = None  # time to accuracy's target (validation accuracy)


def check_seeds(seeds: list[int]) -> list[int]:
    """Distinct seeds every library takes."""
    if not seeds or len(set(seeds)) != len(seeds):
        raise RequestError("seeds", f"needs distinct integers, got {seeds}")
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, numbers.Integral)]
    bad = bad or [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise RequestError("seeds", f"must be integers from 0 to {MAX_SEED}, got {bad[0]!r}")
    return [int(s) for s in seeds]


#: most jobs or threads a run may ask for (joblib and the thread pools fail far above it)
MAX_COUNT = 1024
#: the split's seed is NumPy's: 0 to 2**32 - 1
MAX_SEED = 2**32 - 1


def check_counts(jobs: int, threads: int | None, split_seed: int = 0) -> None:
    for name, value in (("jobs", jobs), ("threads", threads)):
        if value is not None and value < 1:
            raise RequestError(name, f"must be at least 1, got {value}")
        if value is not None and value > MAX_COUNT:
            raise RequestError(name, f"must be at most {MAX_COUNT}, got {value}")
    if not 0 <= split_seed <= MAX_SEED:
        raise RequestError("split_seed", f"must be between 0 and 2**32-1, got {split_seed}")


def check_backend(backend: str | None) -> None:
    if backend is None:
        return
    from joblib.parallel import BACKENDS

    if backend not in BACKENDS:
        raise RequestError(
            "backend",
            f"{backend!r} is not a joblib backend; choose one of {', '.join(sorted(BACKENDS))}",
        )


def check_run_id(run_id: str) -> str:
    """A run id names one folder under the results root: one safe path component."""
    if not run_id or run_id in (".", "..") or run_id != slug(run_id) or run_id.startswith("."):
        raise RequestError(
            "run_id",
            f"{run_id!r} must be one folder name of letters, "
            "digits and _ . @ - (no path, not starting with a dot)",
        )
    return run_id


def check_out(out: Path) -> Path:
    """The results root is a folder, or can become one."""
    try:
        return check_output_dir(out, "out")
    except MnistbenchError as exc:
        raise RequestError("out", str(exc).removeprefix("out ")) from None


def check_val_size(value: float | None) -> float | int | None:
    """A fraction of the training part, or a row count when above 1."""
    if value is None:
        return None
    if not value > 0:
        raise RequestError("val_size", f"must be positive, got {value}")
    if not math.isfinite(value):
        raise RequestError("val_size", "must be a fraction or a count, not infinite")
    if value > 1 and value != int(value):
        raise RequestError(
            "val_size", f"must be a fraction below 1 or a whole number of rows, got {value}"
        )
    return int(value) if value > 1 else value


def check_task_timeout(timeout: float | None, request: RunRequest) -> float | None:
    """A positive number of seconds, for tasks run one at a time here (a child process
    per task)."""
    if timeout is None:
        return None
    if not (
        isinstance(timeout, numbers.Real)
        and not isinstance(timeout, bool)
        and math.isfinite(timeout)
        and timeout > 0
    ):
        raise RequestError("task_timeout", f"must be a positive number of seconds, got {timeout!r}")
    if request.jobs != 1 or request.scheduler:
        raise RequestError(
            "task_timeout",
            "runs the tasks one at a time, each in a child process; it excludes "
            "{jobs} > 1 and {scheduler}",
            related=("jobs", "scheduler"),
        )
    return float(timeout)


def check_target_accuracy(target: float | None) -> float:
    """A validation accuracy above 0 and at most 1 (None: the contract's 0.99)."""
    if target is None:
        return DEFAULT_TARGET_ACCURACY
    if not (
        isinstance(target, numbers.Real)
        and not isinstance(target, bool)
        and math.isfinite(target)
        and 0 < target <= 1
    ):
        raise RequestError(
            "target_accuracy", f"must be an accuracy above 0 and at most 1, got {target!r}"
        )
    return float(target)


def check_scheduler(request: RunRequest) -> None:
    if request.scheduler is not None and request.jobs != 1:
        raise RequestError(
            "scheduler",
            "and {jobs} exclude each other: a cluster runs one task per worker",
            related=("jobs",),
        )
