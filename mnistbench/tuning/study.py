"""A tune as values: check the request, load the data, make the run's split, open the
storage, then run one Optuna study per model under the same budget, writing the study's
log and the tuned profile after every trial. Never prints: ``mnistbench tune`` does.

Each study maximises validation accuracy with a seeded TPE sampler; the model's tuned
defaults are its first trial, so a study never ends worse than the defaults on
validation. A study of a preset (``name@best``) starts from the preset's values and
searches the space the model declares for it. Models that report a validation accuracy
per epoch (``epoch_callback``) are pruned by a median pruner, comparing trials at the same
fraction of their schedules (``method.schedule_step``); the others always run to the end.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from mnistbench.data import Split, load_dataset, make_split
from mnistbench.errors import MnistbenchError, RequestError
from mnistbench.files import timestamp
from mnistbench.harness.cluster import Cluster, DataRequest, SchedulerAddress
from mnistbench.harness.environment import default_threads
from mnistbench.harness.request import check_counts, check_out, check_seeds, check_val_size
from mnistbench.harness.timing import warm_memory
from mnistbench.models.registry import check_available
from mnistbench.models.specs import tuning_target
from mnistbench.results.tuned_profile import parameter_version, study_dir
from mnistbench.tuning.budget import TRIALS, Budget
from mnistbench.tuning.log import StudyLog, counted, trial_row
from mnistbench.tuning.method import PRUNER_STEPS, pruner, sampler
from mnistbench.tuning.storage import default_url, fail_stale_trials, open_storage, shown_url
from mnistbench.tuning.trial import RECORD, TrialFailed, optuna_values, run_trial

INSTALL = 'pip install "mnistbench[tune]"'


@dataclass(frozen=True)
class TuneRequest:
    """What ``mnistbench tune`` was asked (the split options are ``run``'s, with its
    defaults, so a run of the ``@tuned`` specs meets the split they were tuned on)."""

    dataset: str
    models: Sequence[str]
    budget: Budget
    seed: int = 0
    threads: int | None = None
    out: Path = Path("results")
    storage: str | None = None  # None: an SQLite file in the study's folder
    resume: bool = False
    split: str | None = None
    test_size: float = 0.2
    val_size: float | None = None
    split_seed: int = 0
    data_dir: Path | None = None
    download: bool = True
    command: list[str] = field(default_factory=list)
    scheduler: SchedulerAddress | None = None  # set: trials run on this Dask cluster


@dataclass
class TunePlan:
    request: TuneRequest
    split: Split
    threads: int
    path: Path  # the folder holding the log and profile (and the default SQLite file)
    storage_url: str
    storage: Any
    log: StudyLog
    stale: dict[str, list[int]] = field(default_factory=dict)  # killed trials marked failed
    cluster: Cluster | None = None
    data: DataRequest | None = None  # how a cluster worker rebuilds the split


class Progress:
    """What a tune tells a display; the default tells nobody."""

    def model_started(self, name: str, spent: float) -> None: ...

    def trial_finished(self, name: str, row: dict[str, Any], spent: float, best: float) -> None: ...

    def model_finished(self, name: str) -> None: ...


def check_optuna() -> None:
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise MnistbenchError(f"optuna is not installed: {INSTALL}") from None


def plan_tune(request: TuneRequest) -> TunePlan:
    """Every value checked before the data is loaded, the data and split before the
    storage is opened; then the existing studies checked against the request."""
    check_optuna()
    import optuna

    check_counts(1, request.threads)
    check_out(request.out)
    check_seeds([request.seed])
    if not request.models:
        raise RequestError("models", "selected no model")
    for name in request.models:
        entry, preset = tuning_target(name)
        check_available(entry)
        if entry.search_space(preset) is None:
            raise RequestError("models", f"{name} declares no search space; it cannot be tuned")
    val_size = check_val_size(request.val_size)
    threads = request.threads or default_threads()
    dataset = load_dataset(request.dataset, data_dir=request.data_dir, download=request.download)
    split = make_split(
        dataset,
        request.split,
        test_size=request.test_size,
        val_size=val_size,
        seed=request.split_seed,
    )
    if len(split.y_val) == 0:
        raise RequestError("val_size", "is 0: tuning scores on the validation part")
    path = study_dir(request.out, dataset.name)
    url = request.storage or default_url(path)
    log = StudyLog.start(path, dataset.name, split.fingerprint, request, threads, shown_url(url))
    if request.storage is None:
        path.mkdir(parents=True, exist_ok=True)
    storage = open_storage(url)
    existing = {s.study_name: s for s in storage.get_all_studies()}
    stale: dict[str, list[int]] = {}
    for name in request.models:
        study = existing.get(name)
        if study is None:
            continue
        if not request.resume:
            raise RequestError(
                "resume",
                f"is needed: {shown_url(url)} already holds a study of {name}; "
                "continue it with {resume} or tune into another --out or --storage",
                ("resume",),
            )
        _check_same(study.user_attrs, name, split.fingerprint, request.budget)
        _check_pruner_steps(storage, study.user_attrs, name, request.budget)
        stale[name] = fail_stale_trials(storage, name)
    del optuna
    data = DataRequest(
        dataset.name,
        split.scheme,
        request.test_size,
        split.val_size,
        request.split_seed,
        split.fingerprint,
        str(request.data_dir) if request.data_dir else None,
    )
    # The last check: a scheduler that cannot be reached runs nothing.
    cluster = Cluster(request.scheduler, threads) if request.scheduler is not None else None
    return TunePlan(request, split, threads, path, url, storage, log, stale, cluster, data)


def _check_same(attrs: dict[str, Any], name: str, fingerprint: str, budget: Budget) -> None:
    if attrs.get("split_fingerprint") not in (None, fingerprint):
        raise RequestError(
            "resume",
            f"continues the study of {name} made on split {attrs['split_fingerprint']}, "
            f"not this one ({fingerprint}); use the same data set and split options",
        )
    stated = attrs.get("budget")
    if stated is not None and Budget.from_json(stated) != Budget.from_json(budget.to_json()):
        raise RequestError(
            "budget",
            f"{budget.text!r} differs from the {stated.get('text')!r} the study of {name} was "
            "started with; every model gets the same budget: resume with the same one",
        )
    version, current = attrs.get("parameter_version"), parameter_version(name)
    if version not in (None, current):
        raise RequestError(
            "resume",
            f"continues the study of {name} made for another version of its parameters "
            f"({version}, now {current}: names, defaults or search space "
            "changed), whose trials would be mixed with this one's: tune into another "
            "--out or --storage",
        )


def _check_pruner_steps(storage: Any, attrs: dict[str, Any], name: str, budget: Budget) -> None:
    """A study whose pruner was told of epochs cannot go on comparing tenths of schedules
    (one that has spent its budget runs no trial: it is only logged again)."""
    if attrs.get("pruner_steps") == PRUNER_STEPS:
        return
    trials = storage.get_all_trials(storage.get_study_id_from_name(name), deepcopy=False)
    spent, compute_s, _ = _spent_of(trials)
    if any(t.intermediate_values for t in trials) and not budget.exhausted(spent, compute_s):
        raise RequestError(
            "resume",
            f"continues the study of {name}, whose pruner compared trials epoch by epoch "
            f"(mnistbench before 2026-12-01); this one compares {PRUNER_STEPS}: tune "
            "into another --out or --storage",
        )


def execute_tune(plan: TunePlan, progress: Progress | None = None) -> StudyLog:
    """Run every model's study until its budget is spent, keeping every finished trial;
    the log and profile are rewritten (atomically) after each trial."""
    import optuna

    progress = progress or Progress()
    request = plan.request
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    # TensorFlow warns of "retracing" once a process has fitted a few Keras models: what a
    # study does by design (the logger is looked up by name: TensorFlow is not imported)
    tf_logger = logging.getLogger("tensorflow")
    tf_level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    warm_memory(plan.split.X_train.nbytes)  # outside every clock, as a run does
    try:
        for name in request.models:
            study = _open_study(plan, name)
            trials, compute_s, best = _spent(study)
            progress.model_started(name, request.budget.spent(trials, compute_s))
            if plan.cluster is not None:
                _on_cluster(plan, name, study, progress)
            while plan.cluster is None and not request.budget.exhausted(trials, compute_s):
                objective = partial(
                    run_trial,
                    name=name,
                    split=plan.split,
                    seed=request.seed,
                    threads=plan.threads,
                    wall_limit_s=_wall_left(request.budget, compute_s, plan.threads),
                )
                study.optimize(
                    objective,
                    n_trials=1,
                    catch=(TrialFailed,),
                )
                trials, compute_s, best = _spent(study)
                last = study.get_trials(deepcopy=False)[-1]
                plan.log.update(name, study, final=False)
                progress.trial_finished(
                    name, trial_row(last), request.budget.spent(trials, compute_s), best
                )
            plan.log.update(name, study, final=True)
            progress.model_finished(name)
    finally:
        optuna.logging.set_verbosity(verbosity)
        tf_logger.setLevel(tf_level)
        if plan.cluster is not None:
            plan.cluster.close()
    plan.log.finished = timestamp()
    plan.log.save()
    return plan.log


def _open_study(plan: TunePlan, name: str) -> Any:
    import optuna
    from optuna.trial import TrialState

    request = plan.request
    # A resumed study's sampler starts from another seed (the seed plus the trials it
    # holds): reseeded as before, it would draw the configurations it drew before the kill.
    try:
        held = len(plan.storage.get_all_trials(plan.storage.get_study_id_from_name(name)))
    except KeyError:
        held = 0
    study = optuna.create_study(
        study_name=name,
        storage=plan.storage,
        direction="maximize",
        sampler=sampler(request.seed + held),
        pruner=pruner(),
        load_if_exists=True,
    )
    if not study.user_attrs:
        study.set_user_attr("budget", request.budget.to_json())
        study.set_user_attr("dataset", plan.split.dataset)
        study.set_user_attr("split_fingerprint", plan.split.fingerprint)
        study.set_user_attr("seed", request.seed)
        study.set_user_attr("threads", plan.threads)
        study.set_user_attr("started", timestamp())
        study.set_user_attr("pruner_steps", PRUNER_STEPS)
        study.set_user_attr("parameter_version", parameter_version(name))
    # The tuned defaults first (again, if the tune that enqueued them was killed in them).
    keep = (TrialState.WAITING, TrialState.COMPLETE, TrialState.PRUNED)
    has_defaults = any(
        t.user_attrs.get("defaults") and (t.state in keep or counted(t))
        for t in study.get_trials(deepcopy=False)
    )
    if not has_defaults:  # a preset's study starts from the preset
        entry, preset = tuning_target(name)
        space = entry.search_space(preset)
        assert space is not None
        study.enqueue_trial(
            optuna_values(space, space.restrict(entry.tuning_base(preset))),
            user_attrs={"defaults": True},
        )
    return study


def _wall_left(budget: Budget, compute_s: float, threads: int) -> float | None:
    """A compute budget's remainder in one trial's wall seconds (None: a budget of
    trials, which a trial cannot overshoot)."""
    if budget.kind == TRIALS:
        return None
    return max(0.0, budget.amount - compute_s) / threads


def _spent(study: Any) -> tuple[int, float, float]:
    """Finished trials, their compute seconds, and the best validation accuracy so far."""
    return _spent_of(study.get_trials(deepcopy=False))


def _spent_of(trials: list[Any]) -> tuple[int, float, float]:
    finished = [t for t in trials if counted(t)]
    values = [t.value for t in finished if t.value is not None and not math.isnan(t.value)]
    return (
        len(finished),
        float(sum(t.user_attrs.get(RECORD, {}).get("compute_s", 0.0) for t in finished)),
        max(values, default=float("nan")),
    )


def _on_cluster(plan: TunePlan, name: str, study: Any, progress: Progress) -> None:
    """Keep every worker busy with one trial each until the budget is spent: with a
    budget of trials, never more in flight than it has left; with compute seconds, new
    trials while the finished ones have not spent it (those in flight finish)."""
    import distributed

    from mnistbench.tuning.remote import remote_trial, worker_count

    assert plan.cluster is not None and plan.data is not None
    request, budget, client = plan.request, plan.request.budget, plan.cluster.client
    workers = worker_count(client)
    held = len(study.get_trials(deepcopy=False))
    submitted = 0
    in_flight: set[Any] = set()
    try:
        while True:
            trials, compute_s, best = _spent(study)
            exhausted = budget.exhausted(trials, compute_s)
            while (
                not exhausted
                and len(in_flight) < workers
                and (budget.kind != TRIALS or trials + len(in_flight) < budget.amount)
            ):
                submitted += 1
                in_flight.add(
                    client.submit(
                        remote_trial,
                        plan.storage_url,
                        name,
                        plan.data,
                        seed=request.seed,
                        # each trial's sampler its own seed: workers sharing one would draw
                        # the same configuration from the same history
                        sampler_seed=request.seed + held + submitted,
                        threads=plan.threads,
                        wall_limit_s=_wall_left(budget, compute_s, plan.threads),
                        pure=False,
                    )
                )
            if not in_flight:
                break
            done, _ = distributed.wait(in_flight, return_when="FIRST_COMPLETED")
            for future in done:
                in_flight.discard(future)
                if future.status == "error" and isinstance(
                    future.exception(), distributed.KilledWorker
                ):
                    continue  # its workers kept dying: its trials are failed, none counted
                future.result()  # a worker's data error, or a bug, stops the tune
            trials, compute_s, best = _spent(study)
            rows = [t for t in study.get_trials(deepcopy=False) if counted(t)]
            plan.log.update(name, study, final=False)
            if rows:
                progress.trial_finished(
                    name, trial_row(rows[-1]), budget.spent(trials, compute_s), best
                )
    finally:
        for future in in_flight:
            future.cancel()
    fail_stale_trials(plan.storage, name)  # nothing runs now: a trial still running died
