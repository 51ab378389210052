"""Models ranked across data sets, with the uncertainty of the ranking (Demšar, JMLR 2006).

One data set is an anecdote; several give each model a rank per data set, and the average
ranks say which models lead overall. The Friedman test (``scipy.stats.friedmanchisquare``)
asks whether the average ranks differ more than chance would make them; Nemenyi's post-hoc
test (``scikit_posthocs.posthoc_nemenyi_friedman``) says which pairs differ, which the
critical-difference diagram draws. The statistics come from those libraries; this module
only gathers saved results into the models × data sets matrix they take.

Beside the ranks, per data set: the accuracy of each model with its 95 % interval (Wilson
over the test digits for one seed, Student's t over the seeds for several), and the gain of
each model family's best model over the best model of the family listed first (families
in alphabetical order, read from the records), with a paired interval and McNemar's exact
p on the same test digits, and what the gain costs in fit time and latency.

Reads saved results only: runs over several data sets, or runs made separately (two runs of
one data set count only when their splits are the same: same fingerprint).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from mnistbench.analysis.statistics import ALPHA, LEVEL, mcnemar, seed_interval
from mnistbench.errors import ResultsError
from mnistbench.results import Result, SavedRun
from mnistbench.results.labels import spec_of

#: the Friedman test is asked for only with this many data sets (blocks) or more: below it
#: the chi-square approximation says nothing (Demšar 2006 tabulates exact values for few
#: data sets and models)
MIN_DATASETS = 3
#: ``scipy.stats.friedmanchisquare`` takes at least three samples: here, three models
MIN_MODELS = 3
#: the split parameters named when two runs of one data set split it differently
_SPLIT_KEYS = ("scheme", "seed", "test_size", "val_size", "n_train", "n_val", "n_test")


class RankingError(ResultsError):
    """Runs that cannot be ranked together (one data set split two ways)."""


@dataclass(frozen=True)
class DatasetSplit:
    """One data set of the ranking: its split's fingerprint and the runs that hold it."""

    name: str
    fingerprint: str | None
    n_test: int | None
    runs: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One model on one data set, over its seeds."""

    accuracy: float
    low: float  # 95 % interval (Wilson for one seed, Student's t over several)
    high: float
    n_seeds: int
    fit_s: float | None  # mean fit wall seconds
    latency_s: float | None  # mean single-sample latency, median of its samples


@dataclass(frozen=True)
class RankTest:
    """Average ranks over the data sets (1 = best) and, with enough data sets and models,
    the Friedman test and Nemenyi's pairwise p-values."""

    metric: str  # "accuracy" or "fit time"
    higher_is_better: bool
    average_ranks: dict[str, float]  # best first
    statistic: float | None = None
    p_value: float | None = None
    posthoc: pd.DataFrame | None = None  # models x models, Nemenyi p-values
    reason: str | None = None  # why there is no test

    @property
    def tested(self) -> bool:
        return self.p_value is not None

    def not_told_apart(self) -> list[tuple[str, ...]]:
        """The groups of models Nemenyi cannot separate at ALPHA (the bars of a
        critical-difference diagram), each of two or more models, in rank order."""
        if self.posthoc is None:
            return []
        order = list(self.average_ranks)
        groups: list[tuple[str, ...]] = []
        for i in range(len(order)):
            j = i
            while j + 1 < len(order) and all(
                self.posthoc.loc[a, order[j + 1]] >= ALPHA for a in order[i : j + 1]
            ):
                j += 1
            group = tuple(order[i : j + 1])
            if len(group) > 1 and not any(set(group) <= set(g) for g in groups):
                groups.append(group)
        return groups


@dataclass(frozen=True)
class FamilyGain:
    """On one data set: the best model of ``family`` against the best of ``base_family``,
    on the same test digits (one seed's predictions, paired)."""

    dataset: str
    base_family: str
    base_model: str
    family: str
    model: str
    gain: float  # accuracy of model minus accuracy of base_model, on the paired seed
    low: float  # 95 % interval of the paired difference
    high: float
    p_value: float | None  # McNemar's exact test (None: predictions not saved)
    seed: int
    fit_s: float | None
    base_fit_s: float | None
    latency_s: float | None
    base_latency_s: float | None

    @property
    def fit_ratio(self) -> float | None:
        return _ratio(self.fit_s, self.base_fit_s)

    @property
    def latency_ratio(self) -> float | None:
        return _ratio(self.latency_s, self.base_latency_s)


@dataclass(frozen=True)
class Ranking:
    """The models × data sets matrix, the two rankings and the per-data-set family gains."""

    datasets: list[DatasetSplit]
    models: list[str]  # on every data set, in the order of their average accuracy rank
    families: dict[str, str]
    cells: dict[tuple[str, str], Cell]  # (model, data set)
    accuracy: RankTest
    fit_time: RankTest
    gains: list[FamilyGain]
    left_out: dict[str, list[str]] = field(default_factory=dict)  # model -> data sets missing

    @property
    def dataset_names(self) -> list[str]:
        return [d.name for d in self.datasets]

    def matrix(self, what: str = "accuracy") -> pd.DataFrame:
        """Models (rows) × data sets (columns) of one Cell field."""
        return pd.DataFrame(
            [[getattr(self.cells[(m, d)], what) for d in self.dataset_names] for m in self.models],
            index=self.models,
            columns=self.dataset_names,
            dtype=float,
        )


def rank_runs(runs: Sequence[SavedRun]) -> Ranking:
    """Gather the whole-training-part results of ``runs`` by data set and model and rank
    the models present on every data set. Raises RankingError when two runs split one data
    set differently, naming the runs and the difference."""
    by_cell, splits, families = _gather(runs)
    names = list(splits)
    models = list(dict.fromkeys(m for m, _ in by_cell))
    complete = [m for m in models if all((m, d) in by_cell for d in names)]
    left_out = {m: [d for d in names if (m, d) not in by_cell] for m in models if m not in complete}
    cells = {key: _cell(results) for key, results in by_cell.items()}
    accuracy_values = pd.DataFrame(
        [[cells[(m, d)].accuracy for m in complete] for d in names], index=names, columns=complete
    )
    fit_values = pd.DataFrame(
        [[_nan(cells[(m, d)].fit_s) for m in complete] for d in names],
        index=names,
        columns=complete,
    )
    accuracy = rank_test(accuracy_values, "accuracy", higher_is_better=True)
    fit_time = rank_test(fit_values, "fit time", higher_is_better=False)
    ordered = list(accuracy.average_ranks) or complete
    return Ranking(
        datasets=[splits[d] for d in names],
        models=ordered,
        families={m: families[m] for m in models},
        cells=cells,
        accuracy=accuracy,
        fit_time=fit_time,
        gains=[g for d in names for g in _family_gains(d, by_cell, cells, families)],
        left_out=left_out,
    )


def rank_test(values: pd.DataFrame, metric: str, *, higher_is_better: bool) -> RankTest:
    """Average ranks of the columns (models) over the rows (data sets), then the Friedman
    test and Nemenyi's post-hoc when there are at least MIN_DATASETS rows and MIN_MODELS
    columns. A data set where a model has no value is left out of this ranking."""
    values = values.dropna(axis=0, how="any")
    n_datasets, n_models = values.shape
    if n_models < 2 or n_datasets < 1:
        return RankTest(metric, higher_is_better, {}, reason=_too_few(n_datasets, n_models))
    signed = values.to_numpy(dtype=float) * (-1 if higher_is_better else 1)
    ranks = stats.rankdata(signed, axis=1)  # 1 = best on that data set; ties share
    average = dict(zip(values.columns, ranks.mean(axis=0).tolist(), strict=True))
    average = dict(sorted(average.items(), key=lambda kv: kv[1]))
    if n_datasets < MIN_DATASETS or n_models < MIN_MODELS:
        return RankTest(metric, higher_is_better, average, reason=_too_few(n_datasets, n_models))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all ties: p is NaN, said so below
        test = stats.friedmanchisquare(*(signed[:, j] for j in range(n_models)))
    import scikit_posthocs  # lazy: only a ranking needs it (and statsmodels behind it)

    posthoc = scikit_posthocs.posthoc_nemenyi_friedman(
        pd.DataFrame(signed, columns=list(values.columns))
    )
    p = float(test.pvalue)
    if not math.isfinite(p):
        return RankTest(
            metric,
            higher_is_better,
            average,
            reason="every model ties on every data set: the Friedman test has nothing to rank",
        )
    return RankTest(metric, higher_is_better, average, float(test.statistic), p, posthoc)


def _too_few(n_datasets: int, n_models: int) -> str:
    return (
        f"{n_datasets} data set(s) and {n_models} model(s) on all of them: the Friedman test "
        f"needs at least {MIN_DATASETS} data sets (fewer say nothing) and {MIN_MODELS} models "
        "(scipy.stats.friedmanchisquare takes three samples or more); no test, no diagram"
    )


def _gather(
    runs: Sequence[SavedRun],
) -> tuple[dict[tuple[str, str], dict[int, Result]], dict[str, DatasetSplit], dict[str, str]]:
    """Ok whole-training-part results by (model, data set) and seed (a seed met twice keeps
    its first result), each data set's split, and each model's family."""
    by_cell: dict[tuple[str, str], dict[int, Result]] = {}
    seen: dict[str, tuple[str | None, SavedRun]] = {}  # data set -> fingerprint, first run
    holders: dict[str, list[str]] = {}
    n_test: dict[str, int | None] = {}
    families: dict[str, str] = {}
    for run in runs:
        for res in run.results:
            rec = res.record
            if not rec.ok or rec.train_size is not None:
                continue
            dataset = rec.dataset or run.meta.dataset or "?"
            fingerprint = rec.split_fingerprint
            if dataset in seen and seen[dataset][0] != fingerprint:
                raise RankingError(_mismatch(dataset, seen[dataset], (fingerprint, run)))
            if dataset not in seen:
                seen[dataset] = (fingerprint, run)
                n_test[dataset] = run.meta.split_of(dataset).get("n_test")
            if run.run_id not in holders.setdefault(dataset, []):
                holders[dataset].append(run.run_id)
            model = spec_of(rec.spec, rec.model_spec, rec.spec_label)
            families.setdefault(model, rec.family or "")
            by_cell.setdefault((model, dataset), {}).setdefault(rec.seed, res)
    splits = {d: DatasetSplit(d, seen[d][0], n_test[d], tuple(holders[d])) for d in seen}
    return by_cell, splits, families


def _mismatch(
    dataset: str, first: tuple[str | None, SavedRun], second: tuple[str | None, SavedRun]
) -> str:
    """Why two runs of one data set cannot be ranked together, in one line."""
    (print_a, run_a), (print_b, run_b) = first, second
    split_a, split_b = run_a.meta.split_of(dataset), run_b.meta.split_of(dataset)
    differ = [
        f"{key} {split_a.get(key)!r} vs {split_b.get(key)!r}"
        for key in _SPLIT_KEYS
        if split_a.get(key) != split_b.get(key)
    ]
    why = "; ".join(differ) if differ else "the same parameters over different data"
    return (
        f"runs {run_a.run_id} and {run_b.run_id} both hold {dataset}, split differently "
        f"(fingerprint {print_a} vs {print_b}: {why}); rank runs that share one split of "
        "each data set (the same --split, --split-seed, --test-size and --val-size)"
    )


def _cell(results: dict[int, Result]) -> Cell:
    records = [results[s].record for s in sorted(results)]
    accuracies = [
        r.metrics.accuracy for r in records if r.metrics and r.metrics.accuracy is not None
    ]
    mean = float(np.mean(accuracies)) if accuracies else math.nan
    if len(accuracies) > 1:
        low, high = seed_interval(accuracies, LEVEL)
    else:
        ci = records[0].metrics.accuracy_ci if records[0].metrics else None
        low, high = (ci[0], ci[1]) if ci else (math.nan, math.nan)
    return Cell(
        accuracy=mean,
        low=float(low),
        high=float(high),
        n_seeds=len(records),
        fit_s=_mean([r.timing.fit_wall_s for r in records if r.timing]),
        latency_s=_mean([r.timing.latency_p50_s for r in records if r.timing]),
    )


def _family_gains(
    dataset: str,
    by_cell: dict[tuple[str, str], dict[int, Result]],
    cells: dict[tuple[str, str], Cell],
    families: dict[str, str],
) -> list[FamilyGain]:
    """On ``dataset``: each family's best model (by mean accuracy) against the best of
    the first family in alphabetical order; the models need no other data set."""
    best: dict[str, str] = {}
    for (model, d), cell in cells.items():
        family = families.get(model) or ""
        if d != dataset or not family:
            continue
        if family not in best or cell.accuracy > cells[(best[family], d)].accuracy:
            best[family] = model
    ordered = sorted(best)
    if len(ordered) < 2:
        return []
    base_family, base = ordered[0], best[ordered[0]]
    return [
        _gain(dataset, base_family, base, family, best[family], by_cell, cells)
        for family in ordered[1:]
    ]


def _gain(
    dataset: str,
    base_family: str,
    base: str,
    family: str,
    model: str,
    by_cell: dict[tuple[str, str], dict[int, Result]],
    cells: dict[tuple[str, str], Cell],
) -> FamilyGain:
    """The paired difference on the smallest seed both models have (each one's first seed
    when they share none): a t interval of the mean per-digit difference (a Wald interval
    for paired proportions), and McNemar's exact test."""
    ours, theirs = by_cell[(model, dataset)], by_cell[(base, dataset)]
    common = sorted(set(ours) & set(theirs))
    seed = common[0] if common else min(ours)
    mine, other = ours[seed], theirs[common[0] if common else min(theirs)]
    a, b = _correct(mine), _correct(other)
    if a is not None and b is not None and a.shape == b.shape:
        diff = a.astype(float) - b.astype(float)
        gain = float(diff.mean())
        if np.ptp(diff) == 0:
            low = high = gain
        else:
            ci = stats.ttest_1samp(diff, 0.0).confidence_interval(LEVEL)
            low, high = float(ci.low), float(ci.high)
        p: float | None = mcnemar(a, b).p_value
    else:  # no saved predictions: the accuracies' difference, without a paired test
        gain = _accuracy(mine) - _accuracy(other)
        low = high = math.nan
        p = None
    mc, bc = cells[(model, dataset)], cells[(base, dataset)]
    return FamilyGain(
        dataset,
        base_family,
        base,
        family,
        model,
        gain,
        low,
        high,
        p,
        seed,
        mc.fit_s,
        bc.fit_s,
        mc.latency_s,
        bc.latency_s,
    )


def _correct(result: Result) -> np.ndarray | None:
    arrays = result.arrays
    if "y_pred" not in arrays or "y_true" not in arrays:
        return None
    return np.asarray(arrays["y_pred"]) == np.asarray(arrays["y_true"])


def _accuracy(result: Result) -> float:
    metrics = result.record.metrics
    return float(metrics.accuracy) if metrics and metrics.accuracy is not None else math.nan


def _mean(values: Sequence[float | None]) -> float | None:
    found = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(found)) if found else None


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None
