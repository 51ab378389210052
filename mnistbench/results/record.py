"""The typed task record: what the runner writes and everything else reads.

One dataclass tree; its JSON form and the upgrade of older schemas are
``mnistbench.results.record_json``, so a field is named once. Records carry
``SCHEMA_VERSION``; a record of schema 1 (before the ``@seed`` preset became ``@notebook``)
is converted on reading, any other version is refused with a message that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mnistbench.errors import ResultsError
from mnistbench.results.record_json import (
    SCHEMA_VERSION,
    FieldError,
    Part,
    upgrade,
)
from mnistbench.results.time_to_accuracy import time_to_accuracy


@dataclass
class PerClass(Part):
    """Per-class precision, recall, F1 and support, in the order of ``label``."""

    label: list[int] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    support: list[int] = field(default_factory=list)


@dataclass
class Metrics(Part):
    """Test-set quality. ``log_loss`` is None for models without probabilities."""

    accuracy: float | None = None
    error_rate: float | None = None
    log_loss: float | None = None
    macro_f1: float | None = None
    per_class: PerClass | None = None
    accuracy_ci: list[float] | None = None  # 95 % Wilson interval over the test digits

    _nested = {"per_class": PerClass}

    def check(self) -> None:
        for name in ("accuracy", "error_rate", "macro_f1"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise FieldError(name, f"should be a fraction from 0 to 1, not {value!r}")
        if self.log_loss is not None and self.log_loss < 0:
            raise FieldError("log_loss", f"should be 0 or more, not {self.log_loss!r}")
        ci = self.accuracy_ci
        if ci is not None and not (
            len(ci) == 2
            and all(v is None or 0 <= v <= 1 for v in ci)
            and (None in ci or ci[0] <= ci[1])
        ):
            raise FieldError("accuracy_ci", f"should be [low, high] from 0 to 1, not {ci!r}")


@dataclass
class PhaseSignals(Part):
    """What the machine did while one phase was timed, and the verdict on it
    (``mnistbench.harness.disturbance`` takes the signals and states the thresholds)."""

    wall_s: float | None = None
    cpu_s: float | None = None
    threads: int | None = None  # asked for
    cpu_per_wall: float | None = None  # this process's CPU seconds per wall second
    steal_fraction: float | None = None  # of the machine's CPU time; None: not reported
    others_cores: float | None = None  # cores kept busy by other processes, on average
    load_1min: float | None = None
    cores: int | None = None
    concurrent_tasks: int = 0  # other tasks of the run at the same time
    repeats: int = 1
    verdict: str = "clean"  # "clean" or "disturbed"
    reasons: list[str] = field(default_factory=list)

    @property
    def disturbed(self) -> bool:
        return self.verdict == "disturbed"


@dataclass
class ExtraTestScore(Part):
    """A model's score on a second named test part of the data set (QMNIST's 50,000 digits
    lost from MNIST's test set: Yadav & Bottou, "Cold Case: The Lost MNIST Digits",
    NeurIPS 2019), scored after the main test part and timed apart from it."""

    accuracy: float | None = None
    accuracy_ci: list[float] | None = None  # 95 % Wilson interval over the part's digits
    n_test: int | None = None  # digits in the part
    predict_s: float | None = None  # one prediction of the whole part (not a timed phase)


PHASES = ("fit", "predict", "latency")
#: a task's outcomes: measured, failed (the model or the machine), or out of its budget
STATUSES = ("ok", "error", "timeout")
#: record fields written only when set (training-size curves, task budgets)
OPTIONAL_TASK_FIELDS = (
    "train_size",
    "subset_fingerprint",
    "model_spec",
    "task_timeout_s",
    "spec_label",
    "target_accuracy",
    "augmented",
    "flops_per_epoch",
)


@dataclass
class Timing(Part):
    """Seconds and megabytes of the timed phases (data work happens outside every clock).

    Phases shorter than about a second are repeated, as asv does: ``fit_wall_s`` and
    ``predict_s`` are then the median, ``*_min_s`` the minimum, ``*_repeats`` the count.
    ``phases`` holds each phase's disturbance signals and verdict.
    """

    fit_wall_s: float | None = None
    fit_wall_min_s: float | None = None
    fit_repeats: int | None = None
    fit_cpu_s: float | None = None
    predict_s: float | None = None
    predict_min_s: float | None = None
    predict_repeats: int | None = None
    predict_cpu_s: float | None = None
    predict_throughput: float | None = None
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    latency_samples: int | None = None
    fit_peak_rss_mb: float | None = None
    fit_rss_increase_mb: float | None = None
    phases: dict[str, PhaseSignals] = field(default_factory=dict)

    def check(self) -> None:
        for name, value in vars(self).items():
            if name.endswith("_s") and value is not None and value < 0:
                raise FieldError(name, f"should be 0 seconds or more, not {value!r}")

    @classmethod
    def from_json(cls, data: Any) -> Timing | None:
        timing = super().from_json(data)
        if timing is not None:
            if not isinstance(timing.phases, dict):
                raise ResultsError("timing.phases is not an object")
            timing.phases = {k: PhaseSignals.from_json(v) for k, v in timing.phases.items()}
        return timing

    def disturbance(self, phase: str) -> str | None:
        """Why ``phase`` was disturbed (None: clean or not measured)."""
        signals = self.phases.get(phase)
        if signals is None or not signals.disturbed:
            return None
        return "; ".join(signals.reasons) or "disturbed"


@dataclass
class Threads(Part):
    """The thread counts asked for and those the libraries report."""

    requested: int | None = None
    blas: list[dict[str, Any]] = field(default_factory=list)
    tensorflow_intra_op: int | None = None
    tensorflow_inter_op: int | None = None


@dataclass
class Environment(Part):
    """The machine and libraries a task ran with."""

    cpu: str | None = None
    cores_logical: int | None = None
    cores_physical: int | None = None
    cores_available: int | None = None
    memory_gb: float | None = None
    platform: str | None = None
    python: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    commit: str | None = None
    host: str | None = None
    threads: Threads | None = None
    # An estimate of the machine's float32 peak (cores x FMA lanes x 2 x clock, from
    # /proc/cpuinfo) and how it was reached; None where the CPU does not say.
    peak_flops: float | None = None
    peak_flops_basis: str | None = None

    _nested = {"threads": Threads}


@dataclass
class WeightInfo(Part):
    """What the stored weight images show, as the model describes them."""

    caption: str = "weight images"
    per_class: bool = False  # one image per class: titled by class, drawn on one scale


@dataclass
class TaskRecord(Part):
    """One model variant, one seed, on a run's common split: identity, status, metrics,
    timing, history and environment."""

    task_id: str
    spec: str
    model: str
    seed: int
    base_spec: str | None = None
    preset: str | None = None
    family: str | None = None
    dataset: str | None = None
    split_scheme: str | None = None
    split_fingerprint: str | None = None
    status: str = "ok"
    error: str | None = None
    traceback: str | None = None
    started: str | None = None
    finished: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics | None = None
    timing: Timing | None = None
    n_parameters: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    weights: WeightInfo | None = None
    warnings: list[str] = field(default_factory=list)
    parallel_jobs: int = 1  # tasks sharing the machine at the time (--jobs, cluster workers)
    threads: int | None = None
    worker: str | None = None  # the Dask worker that ran it (None: this process)
    environment: Environment | None = None
    # Set only for a point of a training-size curve (--train-sizes): the rows it trained
    # on, a hash of them, and the spec label without the size (the curve it belongs to).
    train_size: int | None = None
    subset_fingerprint: str | None = None
    model_spec: str | None = None
    task_timeout_s: float | None = None  # the --task-timeout budget it ran under
    # Set only in a run over several data sets, whose task ids and labels name the data
    # set: the spec's own label (what the model is called on every data set).
    spec_label: str | None = None
    # The run's target validation accuracy for the time-to-accuracy metric.
    target_accuracy: float | None = None
    # True when the model trained on copies of its digits it made itself (shifted,
    # rotated, virtual support vectors): not ranked as if it had seen the same data.
    augmented: bool | None = None
    # The training arithmetic of one epoch (one history row), counted from the layers
    # (forward and backward); None for models that do not count it.
    flops_per_epoch: float | None = None
    # Written only when the data set has second test parts (QMNIST's "qmnist-50k"): each
    # part's name -> the model's score on it (records before it have none: read as empty).
    extra_tests: dict[str, ExtraTestScore] = field(default_factory=dict)

    _nested = {
        "metrics": Metrics,
        "timing": Timing,
        "weights": WeightInfo,
        "environment": Environment,
    }

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def timed_out(self) -> bool:
        """Ran out of its --task-timeout budget: not ok, and not the model's error."""
        return self.status == "timeout"

    @property
    def time_to_accuracy_s(self) -> float | None:
        """Seconds into the fit at which the history first reached the target validation
        accuracy (inf: never; None: no target or no validated history)."""
        return time_to_accuracy(self.history, self.target_accuracy)

    @property
    def flop_rate(self) -> float | None:
        """Training FLOP/s achieved: the counted arithmetic of every epoch run over the
        recorded fit time (compilation and validation included in the time)."""
        fit_s = self.timing.fit_wall_s if self.timing is not None else None
        if not self.flops_per_epoch or not fit_s or not self.history:
            return None
        return self.flops_per_epoch * len(self.history) / fit_s

    def to_json(self) -> dict[str, Any]:
        data = {"schema_version": SCHEMA_VERSION, **super().to_json()}
        for key in OPTIONAL_TASK_FIELDS:  # a run without them writes today's records
            if data.get(key) is None:
                data.pop(key, None)
        if not data.get("extra_tests"):
            data.pop("extra_tests", None)
        return data

    @classmethod
    def from_json(cls, data: Any) -> TaskRecord:
        data = upgrade(data, "task record")
        missing = [k for k in ("task_id", "spec", "model", "seed", "status") if k not in data]
        if missing:
            raise ResultsError(f"task record lacks {', '.join(missing)}")
        record = super().from_json(data)
        record.extra_tests = _test_parts(record.extra_tests)
        if record.status not in STATUSES:
            raise FieldError(
                "status", f"should be 'ok', 'error' or 'timeout', not {record.status!r}"
            )
        if record.ok and record.metrics is None:
            raise FieldError("metrics", "is missing from a record whose status is 'ok'")
        return record


def _test_parts(parts: dict[str, Any]) -> dict[str, ExtraTestScore]:
    """The record's second test parts as scores; a part that is no object names itself."""
    out = {}
    for name, value in parts.items():
        if not isinstance(value, dict | ExtraTestScore):
            raise FieldError(f"extra_tests.{name}", f"should be an object, not {value!r}")
        try:
            out[name] = ExtraTestScore.from_json(value) if isinstance(value, dict) else value
        except FieldError as exc:
            raise exc.within(f"extra_tests.{name}") from None
    return out


#: run facts written only when a run has them (older readers never see an empty one)
_META_WRITTEN_WHEN_SET = (
    "train_sizes",
    "task_timeout",
    "datasets",
    "splits",
    "target_accuracy",
    "profiles",
)


@dataclass
class RunMeta(Part):
    """A run directory's own facts: what was asked for and how it went."""

    run_id: str
    dataset: str | None = None
    data_source: str | None = None
    split: dict[str, Any] = field(default_factory=dict)
    specs: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    threads: int | None = None
    jobs: int = 1
    command: list[str] = field(default_factory=list)
    scheduler: str | None = None  # the Dask scheduler the tasks went to, if any
    status: str = "running"
    created: str | None = None
    finished: str | None = None
    resumed: list[str] = field(default_factory=list)
    error: str | None = None  # why the run stopped, when it could not finish
    upgraded_from: int | None = None  # the schema it was written with, when converted
    # --train-sizes as row counts (the whole training part included as its count) and
    # --task-timeout in seconds; written only when given
    train_sizes: list[int] = field(default_factory=list)
    task_timeout: float | None = None
    # --target-accuracy: the validation accuracy time to accuracy is measured to
    target_accuracy: float | None = None
    # A run over several data sets (written only then): their names in the order asked, and
    # each one's split (``dataset`` then holds the names joined by commas, ``split`` the
    # parameters they share).
    datasets: list[str] = field(default_factory=list)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the tuned profile each data set's ``@tuned`` specs ran with: path, SHA-256, written
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def dataset_names(self) -> list[str]:
        """Every data set of the run (one, for a run over one data set)."""
        return list(self.datasets) or ([self.dataset] if self.dataset else [])

    def split_of(self, dataset: str) -> dict[str, Any]:
        """The split made of ``dataset`` (empty: not one of the run's data sets)."""
        if self.splits:
            return dict(self.splits.get(dataset) or {})
        return dict(self.split) if dataset == self.dataset else {}

    def to_json(self) -> dict[str, Any]:
        data = {"schema_version": SCHEMA_VERSION, **super().to_json()}
        data.pop("upgraded_from")
        for key in _META_WRITTEN_WHEN_SET:
            if not data.get(key):
                data.pop(key, None)
        return data

    @classmethod
    def from_json(cls, data: Any) -> RunMeta:
        version = data.get("schema_version") if isinstance(data, dict) else None
        data = upgrade(data, "run")
        if "run_id" not in data:
            raise ResultsError("run.json lacks run_id")
        meta = super().from_json(data)
        meta.upgraded_from = version if version != SCHEMA_VERSION else None
        return meta
