"""Accuracy on a data set's second test part beside its main one: has the main test set
been overfit?

QMNIST reconstructs the 50,000 test digits MNIST's 60,000-digit test set lost; a model
tuned, over decades, against MNIST's 10,000 would score worse on the 50,000 it never saw
(Yadav & Bottou, "Cold Case: The Lost MNIST Digits", NeurIPS 2019, found a drop of a few
tenths of a point, alike for every model: little sign of overfitting the test set). The
harness scores each model on every second test part its data set has (the records'
``extra_tests``); this module sets that score beside the main test part's, per spec.

Over seeds, as the summary does: the mean accuracy, with the Wilson interval over the
digits, widened with several seeds to cover Student's t interval over the seeds. The
difference is second part − main part. Its interval is the normal approximation for two
independent proportions, ``d ± z·sqrt(p1(1−p1)/n1 + p2(1−p2)/n2)`` on the mean accuracies
(the two parts hold different digits, so unpaired: no McNemar), widened with several seeds
to cover Student's t interval over the seeds' differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mnistbench.analysis.statistics import LEVEL, seed_interval, wilson_interval
from mnistbench.results import SavedRun
from mnistbench.results.record import ExtraTestScore, TaskRecord


@dataclass(frozen=True)
class Scored:
    """The accuracy on one test part: mean over seeds, its interval, the part's digits."""

    accuracy: float
    low: float
    high: float
    n_test: int | None


@dataclass(frozen=True)
class ExtraTestRow:
    """One spec on one second test part, beside the main test part."""

    spec: str
    dataset: str | None
    part: str  # the second test part's name ("qmnist-50k")
    n_seeds: int
    main: Scored
    extra: Scored
    difference: float  # extra − main, in accuracy (not points)
    low: float
    high: float
    predict_s: float | None  # mean seconds to predict the whole second part


def extra_test_rows(runs: Sequence[SavedRun]) -> list[ExtraTestRow]:
    """Every spec of ``runs`` that was scored on a second test part, one row per part, in
    the order the runs hold them (empty: no record has one, as on every data set but
    QMNIST). Specs of one data set and split are pooled over runs and seeds."""
    groups: dict[tuple, list[_Seed]] = {}
    for run in runs:
        for res in run.results:
            rec = res.record
            if not rec.ok or rec.metrics is None or rec.metrics.accuracy is None:
                continue
            for part, score in rec.extra_tests.items():
                if score.accuracy is None:
                    continue
                dataset = rec.dataset or run.meta.dataset
                key = (dataset, rec.split_fingerprint, rec.spec, part)
                groups.setdefault(key, []).append(
                    _Seed(rec, score, float(rec.metrics.accuracy), float(score.accuracy))
                )
    return [_row(key[0], key[2], key[3], found) for key, found in groups.items()]


@dataclass(frozen=True)
class _Seed:
    record: TaskRecord
    score: ExtraTestScore
    main: float
    extra: float


def _row(dataset: str | None, spec: str, part: str, found: list[_Seed]) -> ExtraTestRow:
    main_acc = [f.main for f in found]
    extra_acc = [f.extra for f in found]
    first = found[0]
    main_n, extra_n = _test_digits(first.record), first.score.n_test
    main_ci = [f.record.metrics.accuracy_ci if f.record.metrics else None for f in found]
    main = _scored(main_acc, main_ci, main_n)
    extra = _scored(extra_acc, [f.score.accuracy_ci for f in found], extra_n)
    low, high = difference_interval(main.accuracy, main_n, extra.accuracy, extra_n)
    if len(found) > 1:
        diffs = [e - m for e, m in zip(extra_acc, main_acc, strict=True)]
        low, high = _widened((low, high), seed_interval(diffs))
    predict = [f.score.predict_s for f in found if f.score.predict_s is not None]
    return ExtraTestRow(
        spec=spec,
        dataset=dataset,
        part=part,
        n_seeds=len(found),
        main=main,
        extra=extra,
        difference=extra.accuracy - main.accuracy,
        low=low,
        high=high,
        predict_s=float(np.mean(predict)) if predict else None,
    )


def _test_digits(rec: TaskRecord) -> int | None:
    """The main test part's size: the support of every class."""
    per_class = rec.metrics.per_class if rec.metrics else None
    return int(sum(per_class.support)) if per_class and per_class.support else None


def _scored(accuracies: list[float], cis: list[list[float] | None], n: int | None) -> Scored:
    """The mean accuracy and its interval as the summary has it: the Wilson interval over
    the digits (each seed's, averaged), widened with several seeds to cover Student's t
    interval over the seeds (a deterministic model repeats itself, yet its accuracy is
    still an estimate from a finite test part)."""
    mean = float(np.mean(accuracies))
    walls = [_wilson(ci, a, n) for ci, a in zip(cis, accuracies, strict=True)]
    low = float(np.mean([w[0] for w in walls]))
    high = float(np.mean([w[1] for w in walls]))
    if len(accuracies) > 1:
        low, high = _widened((low, high), seed_interval(accuracies))
    return Scored(mean, low, high, n)


def _widened(interval: tuple[float, float], other: tuple[float, float]) -> tuple[float, float]:
    """The smallest interval covering both (a NaN bound is left out)."""
    lows = [v for v in (interval[0], other[0]) if math.isfinite(v)]
    highs = [v for v in (interval[1], other[1]) if math.isfinite(v)]
    return (min(lows) if lows else math.nan, max(highs) if highs else math.nan)


def _wilson(ci: list[float] | None, accuracy: float, n: int | None) -> tuple[float, float]:
    """The recorded Wilson interval (or one from the accuracy and the count)."""
    if ci and len(ci) == 2 and ci[0] is not None and ci[1] is not None:
        return float(ci[0]), float(ci[1])
    if n:
        return wilson_interval(round(accuracy * n), n)
    return math.nan, math.nan


def difference_interval(
    p_main: float, n_main: int | None, p_extra: float, n_extra: int | None, level: float = LEVEL
) -> tuple[float, float]:
    """The normal-approximation interval of ``p_extra − p_main`` for two independent
    proportions (NaN when a count is unknown)."""
    if not n_main or not n_extra:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    se = math.sqrt(p_main * (1 - p_main) / n_main + p_extra * (1 - p_extra) / n_extra)
    d = p_extra - p_main
    return d - z * se, d + z * se
