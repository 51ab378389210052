"""One trial: a model with sampled parameters fitted on the training part and scored on
the validation part (the test part is never looked at), timed with the harness's clocks.

What a trial records, as Optuna user attributes (read back by ``mnistbench.tuning.log``):
``params`` (the values as the model takes them, set before the fit, so a killed trial
shows them) and, once it ends, ``record``: ``val_accuracy``, ``fit_s``, ``fit_cpu_s``,
``score_s`` (predicting the validation part), ``threads``, ``compute_s`` ((fit + score
wall seconds) x threads), the disturbance ``verdict`` and ``reasons``, ``steps`` (the
validation accuracy after each epoch; the pruner is told of it at each tenth of the
schedule, ``schedule_step``), ``error`` (the model raised: None
otherwise) and ``budget_stop`` (stopped at an epoch because the compute budget ran out).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from mnistbench.data import Split
from mnistbench.harness.timing import timed_phase
from mnistbench.models import ModelSpec
from mnistbench.models.build import seeded_models
from mnistbench.models.search_space import SearchSpace
from mnistbench.models.specs import tuning_target
from mnistbench.tuning.method import schedule_step

#: the per-epoch value a model's history reports and the pruner is fed
VALIDATION_KEY = "val_accuracy"
#: the user attribute holding a finished trial's record
RECORD = "record"


class TrialFailed(Exception):
    """The model raised with these parameters: the trial fails and counts in the budget."""


def optuna_values(space: SearchSpace, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as Optuna stores them (choices it cannot store go by their repr), for
    enqueueing a configuration as a trial."""
    out = {}
    for name, dist in space.distributions().items():
        if name not in params:
            continue
        value = params[name]
        choices = getattr(dist, "choices", None)
        if choices is not None and not all(
            isinstance(c, type(None) | bool | int | float | str) for c in choices
        ):
            value = repr(tuple(value) if isinstance(value, list) else value)
        out[name] = value
    return out


def plain(value: Any) -> Any:
    """JSON-ready: tuples as lists, NumPy scalars as numbers."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_trial(
    trial: Any,
    name: str,
    split: Split,
    *,
    seed: int,
    threads: int,
    wall_limit_s: float | None = None,
) -> float:
    """The objective: sample, fit, score; raises ``optuna.TrialPruned`` when the pruner
    stops the trial and ``TrialFailed`` when the model raises. ``wall_limit_s``: what is
    left of a compute budget, in this trial's wall seconds: a model that reports its epochs
    stops at the first epoch past it (pruned, ``budget_stop``), so a study overshoots its
    budget by at most an epoch; one that does not report runs to its end."""
    import optuna

    entry, preset = tuning_target(name)
    space = entry.search_space(preset)
    assert space is not None  # the study checked it
    params = space.sample(trial, entry.tuning_base(preset))
    trial.set_user_attr("params", {k: plain(v) for k, v in params.items()})
    spec = ModelSpec(entry.name, preset).with_resolved(params)
    steps: list[float] = []
    budget_stop: list[int] = []
    fit_started = [time.perf_counter()]  # reset as the timed fit starts

    reported = [-1]  # the last schedule step the pruner was told of

    def report(epoch: int, n_epochs: int, row: dict) -> None:
        value = row.get(VALIDATION_KEY)
        if value is None:
            return
        steps.append(float(value))
        step = schedule_step(epoch, n_epochs)
        if step > reported[0]:  # the first epoch to reach each tenth
            reported[0] = step
            trial.report(float(value), step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch} of {n_epochs}")
        if wall_limit_s is not None and time.perf_counter() - fit_started[0] > wall_limit_s:
            budget_stop.append(epoch)
            raise optuna.TrialPruned(f"the budget ran out at step {epoch} of {n_epochs}")

    pruned: list[optuna.TrialPruned] = []
    error: list[str] = []
    with seeded_models(spec, seed, threads) as new_model:

        def fit(i: int) -> Any:
            # on the fit's own clock: a trial stopped past the limit has spent it
            fit_started[0] = time.perf_counter()
            try:
                return new_model().fit(
                    split.X_train,
                    split.y_train,
                    validation_data=(split.X_val, split.y_val),
                    epoch_callback=report,
                )
            except optuna.TrialPruned as exc:
                pruned.append(exc)
            except Exception as exc:  # the model's, with these parameters
                error.append(f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")
            return None

        model, phase = timed_phase(fit, threads=threads, max_repeats=1)
        accuracy = None
        started = time.perf_counter()
        if model is not None:
            try:
                accuracy = float(np.mean(model.predict(split.X_val) == split.y_val))
            except Exception as exc:
                error.append(f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")
        score_s = time.perf_counter() - started
    fit_s = phase.walls[0]
    verdict = phase.signals.verdict if phase.signals else "clean"
    reasons = list(phase.signals.reasons) if phase.signals else []
    record = {
        "fit_s": fit_s,
        "fit_cpu_s": phase.cpus[0],
        "threads": threads,
        "score_s": score_s,
        "compute_s": (fit_s + score_s) * threads,
        "verdict": verdict,
        "reasons": reasons,
        "steps": steps,
        "val_accuracy": accuracy,
        "error": error[0] if error else None,
        "budget_stop": bool(budget_stop),
    }
    trial.set_user_attr(RECORD, record)  # one attribute: one database write
    if error:
        raise TrialFailed(error[0])
    if pruned:
        raise pruned[0]
    assert accuracy is not None
    return accuracy
