"""Accuracy against tuning budget, from a study's saved log (``study.json``): the best
validation accuracy so far after each trial and after each compute second, each model's
best configuration with its test accuracy in a run of the ``@tuned`` specs, and the
parameter importances the study stored. Values only: the report draws them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mnistbench.models.specs import TUNED_PRESET
from mnistbench.results import SavedRun


def best_so_far(log: dict[str, Any]) -> pd.DataFrame:
    """One row per finished trial of each model, in order: ``trial`` (1, 2, ...),
    cumulative ``compute_s``, the trial's ``val_accuracy`` (None when pruned or failed)
    and ``best`` so far (NaN until a trial completes)."""
    rows = []
    for name, study in log["models"].items():
        spent, best = 0.0, float("nan")
        for i, trial in enumerate(study.get("trials", []), start=1):
            spent += float(trial.get("compute_s") or 0.0)
            value = trial.get("val_accuracy")
            if value is not None and not (best >= value):
                best = float(value)
            rows.append(
                {
                    "model": name,
                    "trial": i,
                    "compute_s": spent,
                    "state": trial.get("state"),
                    "val_accuracy": value,
                    "best": best,
                }
            )
    return pd.DataFrame(
        rows, columns=["model", "trial", "compute_s", "state", "val_accuracy", "best"]
    )


def study_split_in(run: SavedRun, log: dict[str, Any]) -> bool:
    """Whether ``run`` holds the study's data set on the split it was tuned on (one of
    the run's data sets, for a run over several)."""
    dataset = log.get("dataset")
    split = run.meta.split_of(dataset) if dataset else {}
    return bool(split) and split.get("fingerprint") == log.get("split_fingerprint")


def tuned_results(log: dict[str, Any], run: SavedRun | None) -> pd.DataFrame:
    """Each model's best configuration: validation accuracy, budget spent, and, from a run
    of its ``@tuned`` spec on the study's split, the test accuracy (mean over seeds) and
    its 95 % interval (the first seed's)."""
    same_split = run is not None and study_split_in(run, log)
    rows = []
    for name, study in log["models"].items():
        # a model's study is run as its @tuned spec; a preset's (name@best) as the preset
        model, _, preset = name.partition("@")
        best = study.get("best") or {}
        trials = study.get("trials", [])
        row: dict[str, Any] = {
            "model": name,
            "trials": study.get("spent", {}).get("trials"),
            "pruned": sum(t.get("state") == "pruned" for t in trials),
            "failed": sum(t.get("state") == "failed" for t in trials),
            "compute_s": study.get("spent", {}).get("compute_s"),
            "best_val_accuracy": best.get("val_accuracy"),
            "best_trial": None
            if not best
            else (
                ("the preset" if preset else "the defaults")
                if best.get("defaults")
                else f"trial {best.get('number')}"
            ),
            "test_accuracy": None,
            "test_ci_low": None,
            "test_ci_high": None,
        }
        if same_split and run is not None:
            records = [
                r.record
                for r in run.results
                if r.ok
                and r.record.model == model
                and r.record.preset == (preset or TUNED_PRESET)
                and r.record.train_size is None
                and r.record.dataset == log.get("dataset")
            ]
            accuracies = [
                r.metrics.accuracy for r in records if r.metrics and r.metrics.accuracy is not None
            ]
            if accuracies:
                row["test_accuracy"] = float(np.mean(accuracies))
                first = min(records, key=lambda r: r.seed)
                ci = first.metrics.accuracy_ci if first.metrics else None
                if ci:
                    row["test_ci_low"], row["test_ci_high"] = ci
        rows.append(row)
    return pd.DataFrame(rows)


def importances(log: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """Per model, its parameters by Optuna's importance (largest first; {} when the study
    had too few complete trials to judge)."""
    return {
        name: sorted(
            ((k, float(v)) for k, v in (study.get("importances") or {}).items()),
            key=lambda kv: -kv[1],
        )
        for name, study in log["models"].items()
    }
