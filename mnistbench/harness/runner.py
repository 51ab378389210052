"""Task -> result: fit, predict, time and score one model; run many through joblib."""

from __future__ import annotations

import gc
import os
import socket
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from mnistbench.analysis.statistics import wilson_interval
from mnistbench.data import Split
from mnistbench.files import slug, timestamp
from mnistbench.harness.disturbance import Snapshot, signals
from mnistbench.harness.environment import environment
from mnistbench.harness.metrics import classification_metrics, most_confident_mistakes
from mnistbench.harness.saliency import probe_arrays, training_curve
from mnistbench.harness.subsets import subset_split
from mnistbench.harness.timing import single_sample_latency, timed_phase, warm_memory
from mnistbench.harness.workers import end_with_parent
from mnistbench.models import ModelSpec, get_entry
from mnistbench.models.build import seeded_models
from mnistbench.models.threads import limit_threads
from mnistbench.results.labels import task_label
from mnistbench.results.record import ExtraTestScore, Metrics, TaskRecord, Timing, WeightInfo

MISTAKES_SHOWN = 24
FIT_REPEATS = 5  # at most, for fits shorter than timing.REPEAT_BELOW_S
PREDICT_REPEATS = 10


@dataclass(frozen=True)
class Task:
    """One model variant, one seed, on the run's common split (or, with ``train_size``,
    on that many rows of its training part: ``mnistbench.harness.subsets``). In a run over
    several data sets, ``dataset`` names the split's data set and is part of the task's id
    and label; a run over one data set leaves it None (the ids and labels it always had)."""

    spec: ModelSpec
    seed: int
    train_size: int | None = None  # None: the whole training part
    dataset: str | None = None  # set only in a run over several data sets

    @property
    def task_id(self) -> str:
        size = "" if self.train_size is None else f"--n{self.train_size}"
        data = "" if self.dataset is None else f"{slug(self.dataset, unique=True)}--"
        return f"{data}{slug(self.spec.label, unique=True)}{size}--seed{self.seed}"

    @property
    def label(self) -> str:
        """The spec label results are matched by: the size (and data set) are part of it."""
        return task_label(self.spec.label, self.train_size, self.dataset)

    @property
    def curve(self) -> str:
        """The label without the size: the training-size curve this task is a point of."""
        return task_label(self.spec.label, None, self.dataset)

    def identity(self) -> dict[str, Any]:
        """The record fields that say which task this is (a plain task's are today's)."""
        sized = self.train_size is not None
        return {
            "task_id": self.task_id,
            "spec": self.label,
            "seed": self.seed,
            "base_spec": task_label(self.spec.tuned_label, self.train_size, self.dataset),
            "model": self.spec.name,
            "preset": self.spec.preset,
            "train_size": self.train_size,
            "model_spec": self.curve if sized else None,
            "spec_label": self.spec.label if self.dataset is not None else None,
        }


def _jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(params.items())}


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"


def run_task(
    task: Task,
    split: Split,
    *,
    threads: int,
    parallel_jobs: int = 1,
    epoch_callback: Callable[[int, int, dict], None] | None = None,
    latency_samples: int = 100,
) -> tuple[TaskRecord, dict[str, np.ndarray]]:
    """Run one task; a model that raises yields a record with status "error"."""
    spec = task.spec
    if task.dataset is not None and task.dataset != split.dataset:
        raise ValueError(f"task {task.task_id} belongs to {task.dataset}, not {split.dataset}")
    entry = get_entry(spec.name)
    record = TaskRecord(
        **task.identity(),
        family=entry.family,
        dataset=split.dataset,
        split_scheme=split.scheme,
        split_fingerprint=split.fingerprint,
        started=timestamp(),
        parallel_jobs=parallel_jobs,
        threads=threads,
    )
    arrays: dict[str, np.ndarray] = {}
    try:
        # Before any clock: from here on the split's training part is the task's subset.
        split, record.subset_fingerprint = subset_split(split, task.train_size)
        others = parallel_jobs - 1
        with (
            seeded_models(spec, task.seed, threads) as new_model,
            warnings.catch_warnings(record=True) as caught,
        ):

            def fit(i: int) -> Any:
                # Repeats fit fresh copies, quietly; the first fit is the one kept and scored.
                return new_model().fit(
                    split.X_train,
                    split.y_train,
                    validation_data=(split.X_val, split.y_val),
                    epoch_callback=epoch_callback if i == 0 else None,
                )

            warnings.simplefilter("always")
            record.params = _jsonable_params(new_model().get_params())
            warm_memory(split.X_train.nbytes)
            gc.collect()
            model, fitted = timed_phase(
                fit,
                threads=threads,
                concurrent_tasks=others,
                track_memory=True,
                max_repeats=FIT_REPEATS,
            )
            (y_pred, proba), pred = timed_phase(
                lambda i: model.predict_with_proba(split.X_test),
                threads=threads,
                concurrent_tasks=others,
                max_repeats=PREDICT_REPEATS,
            )
            before = Snapshot.take()
            latency: dict[str, Any] = single_sample_latency(
                model.predict, split.X_test, n_samples=latency_samples
            )
            latency_signals = signals(
                before,
                Snapshot.take(),
                threads=threads,
                concurrent_tasks=others,
                repeats=latency["latency_samples"],
            )
            # After every timed phase: the data set's second test parts, each predicted
            # once (QMNIST's lost digits; a model that fails here fails the task).
            extra_tests = _score_extra_tests(model, split)
        # Outside every clock: what the model sees of the run's probe digits, and a
        # learning curve for models whose fit kept none (mnistbench.harness.saliency).
        probes, curve = _probe(model, split, proba, threads, fitted.median_s)
        labels = np.arange(split.n_classes)
        metrics, confusion = classification_metrics(
            split.y_test, y_pred, proba, labels, getattr(model, "classes_", None)
        )
        mistakes = most_confident_mistakes(
            split.y_test, y_pred, proba, MISTAKES_SHOWN, margin=probes.get("decision_margin")
        )
        record.status = "ok"
        correct = int(np.sum(np.asarray(y_pred) == split.y_test))
        record.metrics = Metrics.from_json(
            {**metrics, "accuracy_ci": list(wilson_interval(correct, len(split.y_test)))}
        )
        record.timing = Timing(
            fit_wall_s=fitted.median_s,
            fit_wall_min_s=fitted.min_s,
            fit_repeats=len(fitted.walls),
            fit_cpu_s=fitted.median_cpu_s,
            predict_s=pred.median_s,
            predict_min_s=pred.min_s,
            predict_repeats=len(pred.walls),
            predict_cpu_s=pred.median_cpu_s,
            predict_throughput=len(split.X_test) / pred.median_s if pred.median_s else None,
            **latency,
            fit_peak_rss_mb=fitted.peak_rss_mb,
            fit_rss_increase_mb=fitted.rss_increase_mb,
            phases={
                phase: found
                for phase, found in (
                    ("fit", fitted.signals),
                    ("predict", pred.signals),
                    ("latency", latency_signals),
                )
                if found is not None  # every timed phase has them: for the type checker
            },
        )
        record.extra_tests = extra_tests
        record.n_parameters = model.n_parameters
        record.history = model.history or curve
        record.augmented = True if model.augmented else None
        record.flops_per_epoch = model.flops_per_epoch
        record.weights = WeightInfo(model.weight_caption, model.weights_per_class)
        record.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        arrays = {
            "confusion": confusion.astype(np.int64),
            "y_pred": np.asarray(y_pred, dtype=np.int16),
            # the test labels, so saved predictions can be paired across models (McNemar)
            "y_true": np.asarray(split.y_test, dtype=np.int16),
            "weight_images": model.weight_images().astype(np.float32),
            "mistake_index": mistakes.astype(np.int64),
            "mistake_image": (split.X_test[mistakes] * 255)
            .round()
            .astype(np.uint8)
            .reshape(-1, *split.image_shape),
            "mistake_true": split.y_test[mistakes].astype(np.int16),
            "mistake_pred": np.asarray(y_pred)[mistakes].astype(np.int16),
        }
        if proba is not None:
            arrays["proba"] = np.asarray(proba, dtype=np.float32)
            arrays["mistake_confidence"] = arrays["proba"][mistakes].max(axis=1)
        elif "decision_margin" in probes:
            arrays["mistake_margin"] = probes["decision_margin"][mistakes].astype(np.float32)
        problem = probes.pop("error", None)
        if problem is not None:
            record.warnings.append(f"saliency not recorded: {problem}")
        arrays.update(probes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        record.status, record.error = "error", _first_line(exc)
        record.traceback = traceback.format_exc()
        arrays = {}
    record.finished = timestamp()
    # Read inside the limit, so the record shows the thread pools the task ran with.
    with limit_threads(threads):
        record.environment = environment(threads)
    return record, arrays


def _score_extra_tests(model: Any, split: Split) -> dict[str, ExtraTestScore]:
    """The model's accuracy on each second test part of the split, with its Wilson interval
    and the seconds one prediction of the part took (outside the main test's timings).
    QMNIST's 50,000 digits lost from MNIST's test set are the check Yadav & Bottou made of
    how far MNIST's 10,000 have been overfit ("Cold Case: The Lost MNIST Digits", NeurIPS
    2019). Called inside the task's thread limit."""
    scores = {}
    for name, (images, labels) in split.extra_tests.items():
        started = time.perf_counter()
        predicted = np.asarray(model.predict(images))
        seconds = time.perf_counter() - started
        correct, total = int(np.sum(predicted == labels)), len(labels)
        scores[name] = ExtraTestScore(
            accuracy=correct / total if total else None,
            accuracy_ci=list(wilson_interval(correct, total)) if total else None,
            n_test=total,
            predict_s=seconds,
        )
    return scores


def _probe(
    model: Any, split: Split, proba: np.ndarray | None, threads: int, fit_s: float | None
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Saliency, probe answers and a learning curve, after the timed phases; a model that
    cannot give them still yields its record (the reason goes to its warnings)."""
    with limit_threads(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            probes: dict[str, Any] = probe_arrays(model, split, proba)
        except Exception as exc:  # saliency is extra: never lose the measured task for it
            probes = {"error": _first_line(exc)}
        curve: list[dict[str, float]] = []
        if not model.history:
            started = time.perf_counter()
            try:
                curve = training_curve(model, split, fit_s)
                if curve:
                    probes["curve_seconds"] = np.asarray(time.perf_counter() - started)
            except Exception as exc:
                probes.setdefault("error", f"learning curve: {_first_line(exc)}")
    return probes, curve


class Progress:
    """What the runner tells a display, used as a context manager around a run; the
    default tells nobody."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def task_started(self, task: Task) -> None: ...

    def epoch(self, task: Task, epoch: int, n_epochs: int, row: dict) -> None: ...

    def task_finished(self, task: Task, record: TaskRecord) -> None: ...


def run_tasks(
    tasks: Iterable[Task],
    split: Split,
    *,
    threads: int,
    n_jobs: int = 1,
    backend: str | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[Task, TaskRecord, dict[str, np.ndarray]]]:
    """Yield each task's result as soon as it is done (in finishing order).

    With one job the tasks run in this process, one after another, so timings are not
    disturbed and the display sees every epoch. More jobs share the cores out
    (``threads // n_jobs`` each) and every record says it ran alongside others.
    """
    tasks = list(tasks)
    progress = progress or Progress()
    # More jobs than tasks would only start idle workers (and say the tasks shared the
    # machine with them).
    n_jobs = max(1, min(n_jobs, len(tasks)))
    if n_jobs == 1:
        for task in tasks:
            progress.task_started(task)
            record, arrays = run_task(
                task,
                split,
                threads=threads,
                epoch_callback=partial(progress.epoch, task),
            )
            progress.task_finished(task, record)
            yield task, record, arrays
        return
    per_job = max(1, threads // n_jobs)
    parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered")
    parent = (os.getpid(), socket.gethostname())
    jobs = (
        delayed(_run_indexed)(i, t, split, per_job, n_jobs, parent) for i, t in enumerate(tasks)
    )
    for index, record, arrays in parallel(jobs):
        progress.task_finished(tasks[index], record)
        yield tasks[index], record, arrays


def _run_indexed(
    index: int,
    task: Task,
    split: Split,
    threads: int,
    n_jobs: int,
    parent: tuple[int, str] | None = None,
):
    if parent is not None:
        end_with_parent(*parent)  # a worker must not outlive a killed run
    record, arrays = run_task(task, split, threads=threads, parallel_jobs=n_jobs)
    return index, record, arrays
