"""Regression check between two saved runs: `mnistbench compare BASELINE CURRENT`.

Results are matched by model spec on the same data set and split fingerprint. For each
metric the comparison says whether the current run is a regression, an improvement,
unchanged (the change is inside the threshold) or "within noise" (the change passes the
threshold but, with several seeds per side, the seeds do not tell the two runs apart).

Exit status of the command, for CI: 0 no regression, 1 a regression passes a threshold
(the model is named), 2 the runs cannot be compared (a one-line reason).

Only the JSON records are read (never the NPZ arrays), so a baseline committed to a
repository can be JSON only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mnistbench.errors import MnistbenchError
from mnistbench.results import Run

# What each metric means for "worse": error-like metrics grow, accuracy shrinks, times grow.
METRICS = ("accuracy", "error_rate", "fit_wall_s", "predict_s")
HIGHER_IS_BETTER = {"accuracy": True, "error_rate": False, "fit_wall_s": False,
                    "predict_s": False}
TIME_METRICS = ("fit_wall_s", "predict_s")
VERDICTS = ("regression", "improvement", "unchanged", "within noise")
# Two samples of seeds are told apart when a two-sided Mann-Whitney U test gives p below
# this, or when their mean +/- NOISE_SIGMAS standard deviations do not overlap.
NOISE_P_VALUE = 0.05
NOISE_SIGMAS = 2.0


class CompareError(MnistbenchError):
    """Two runs cannot be compared cleanly (different data, missing models)."""


@dataclass
class Comparison:
    """Everything the CLI table, the exit status and the HTML report need."""

    baseline: Run
    current: Run
    same_data: bool  # False when data set or split fingerprint differ
    problems: list[str]  # one-line reasons the runs cannot be compared cleanly
    table: pd.DataFrame  # one row per matched spec (see compare_runs)
    unmatched_baseline: list[str]
    unmatched_current: list[str]
    regressions: list[str]  # one line per regression, starting with the spec
    metrics: list[str] = field(default_factory=lambda: list(METRICS))
    max_error_increase: float = 0.005
    max_slowdown: float = 1.3

    @property
    def ok(self) -> bool:
        """No problem and no regression: what CI wants."""
        return not self.problems and not self.regressions


def _data_identity(run: Run, frame: pd.DataFrame) -> tuple[str | None, set[str]]:
    """The run's data set and every split fingerprint its meta and records mention."""
    split = run.meta.get("split") or {}
    dataset = run.meta.get("dataset") or split.get("dataset")
    prints = {str(f) for f in frame.get("split_fingerprint", pd.Series(dtype=object)).dropna()}
    if split.get("fingerprint"):
        prints.add(str(split["fingerprint"]))
    return dataset, prints


def _samples(frame: pd.DataFrame, spec: str, metric: str) -> np.ndarray:
    if metric not in frame.columns:
        return np.array([])
    values = pd.to_numeric(frame.loc[frame["spec"] == spec, metric], errors="coerce")
    return values.dropna().to_numpy(dtype=float)


def seeds_differ(base: np.ndarray, current: np.ndarray) -> bool | None:
    """Whether two samples of seeds are told apart; None when either has one value.

    As asv does, a Mann-Whitney U test first; with a handful of seeds it can never reach
    significance, so non-overlapping mean +/- 2 sd intervals also count as a difference.
    """
    if len(base) < 2 or len(current) < 2:
        return None
    from scipy.stats import mannwhitneyu

    if np.ptp(np.concatenate([base, current])) == 0:
        return False
    p = mannwhitneyu(base, current, alternative="two-sided").pvalue
    if p < NOISE_P_VALUE:
        return True
    lo_b, hi_b = base.mean() - NOISE_SIGMAS * base.std(ddof=1), \
        base.mean() + NOISE_SIGMAS * base.std(ddof=1)
    lo_c, hi_c = current.mean() - NOISE_SIGMAS * current.std(ddof=1), \
        current.mean() + NOISE_SIGMAS * current.std(ddof=1)
    return bool(hi_b < lo_c or hi_c < lo_b)


def _verdict(metric: str, base: np.ndarray, current: np.ndarray, *, max_error_increase: float,
             max_slowdown: float) -> tuple[float, float, float, str]:
    """(base mean, current mean, change, verdict) for one metric of one spec."""
    b, c = float(base.mean()), float(current.mean())
    if metric in TIME_METRICS:
        change = c / b if b > 0 else math.nan
        worse = change > max_slowdown
        better = change < 1 / max_slowdown
    else:
        change = c - b
        signed = -change if HIGHER_IS_BETTER[metric] else change  # > 0 means worse
        worse = signed > max_error_increase + 1e-12
        better = signed < -(max_error_increase + 1e-12)
    if not (worse or better):
        return b, c, change, "unchanged"
    if seeds_differ(base, current) is False:
        return b, c, change, "within noise"
    return b, c, change, "regression" if worse else "improvement"


def _describe(metric: str, b: float, c: float, change: float, *, max_error_increase: float,
              max_slowdown: float) -> str:
    if metric in TIME_METRICS:
        return f"{metric} {b:.3g}s -> {c:.3g}s ({change:.2f}x > {max_slowdown:g}x)"
    return (f"{metric} {b:.4f} -> {c:.4f} ({change:+.4f}, more than {max_error_increase:g} "
            "worse)")


def compare_runs(
    baseline: Run,
    current: Run,
    *,
    max_error_increase: float = 0.005,
    max_slowdown: float = 1.3,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Match the two runs' results by spec and judge every metric; never raises for runs
    that differ (the differences go to ``problems`` so a report can still show them).

    ``table`` has one row per matched spec: ``spec``, ``model``, ``n_seeds_base``,
    ``n_seeds_current`` and, for each metric m, ``m_base``, ``m_current`` (means over
    seeds), ``m_delta`` (current - base; for times ``m_ratio``, current / base) and
    ``m_verdict``. ``max_error_increase`` applies to error rate and accuracy (absolute,
    0.005 = half a point); ``max_slowdown`` to the times.
    """
    metrics = list(metrics) if metrics else list(METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise CompareError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                           f"{', '.join(METRICS)}")
    if max_error_increase < 0 or max_slowdown < 1:
        raise CompareError("--max-error-increase must be >= 0 and --max-slowdown >= 1")

    base_frame, cur_frame = baseline.to_frame(), current.to_frame()
    problems: list[str] = []
    regressions: list[str] = []

    base_data, base_prints = _data_identity(baseline, base_frame)
    cur_data, cur_prints = _data_identity(current, cur_frame)
    same_data = base_data == cur_data and base_prints == cur_prints and len(base_prints) <= 1
    if base_data != cur_data:
        problems.append(f"different data sets: baseline {base_data}, current {cur_data}")
    elif base_prints != cur_prints or len(base_prints) > 1:
        problems.append(
            f"different splits: baseline fingerprint {', '.join(sorted(base_prints)) or '?'}, "
            f"current {', '.join(sorted(cur_prints)) or '?'}"
        )

    def ok_specs(frame: pd.DataFrame) -> list[str]:
        if frame.empty:
            return []
        return list(dict.fromkeys(frame.loc[frame["status"] == "ok", "spec"]))

    def failed_specs(frame: pd.DataFrame) -> list[str]:
        if frame.empty:
            return []
        return list(dict.fromkeys(frame.loc[frame["status"] != "ok", "spec"]))

    base_specs, cur_specs = ok_specs(base_frame), ok_specs(cur_frame)
    base_failed, cur_failed = failed_specs(base_frame), failed_specs(cur_frame)
    for spec in base_failed:
        problems.append(f"{spec} failed in the baseline {baseline.run_id}; refresh it")
    # A model that ran in the baseline and now fails is the worst regression of all.
    for spec in cur_failed:
        if spec in base_specs:
            errors = cur_frame.loc[(cur_frame["spec"] == spec) & (cur_frame["status"] != "ok"),
                                   "error"]
            regressions.append(f"{spec}: failed in the current run ({errors.iloc[0]})")
    unmatched_baseline = [s for s in base_specs if s not in cur_specs and s not in cur_failed]
    unmatched_current = [s for s in cur_specs if s not in base_specs and s not in base_failed]
    if unmatched_baseline:
        problems.append(f"missing from the current run {current.run_id}: "
                        f"{', '.join(unmatched_baseline)}")
    if unmatched_current:
        problems.append(f"not in the baseline {baseline.run_id}: {', '.join(unmatched_current)}")

    rows: list[dict[str, Any]] = []
    thresholds = {"max_error_increase": max_error_increase, "max_slowdown": max_slowdown}
    for spec in (s for s in base_specs if s in cur_specs):
        model = base_frame.loc[base_frame["spec"] == spec, "model"].iloc[0]
        row: dict[str, Any] = {"spec": spec, "model": model}
        b_seeds = _samples(base_frame, spec, "accuracy")
        c_seeds = _samples(cur_frame, spec, "accuracy")
        row["n_seeds_base"], row["n_seeds_current"] = len(b_seeds), len(c_seeds)
        for metric in metrics:
            b_vals, c_vals = _samples(base_frame, spec, metric), _samples(cur_frame, spec, metric)
            change_col = f"{metric}_ratio" if metric in TIME_METRICS else f"{metric}_delta"
            if len(b_vals) == 0 or len(c_vals) == 0:
                row.update({f"{metric}_base": math.nan, f"{metric}_current": math.nan,
                            change_col: math.nan, f"{metric}_verdict": "unchanged"})
                continue
            b, c, change, verdict = _verdict(metric, b_vals, c_vals, **thresholds)
            row.update({f"{metric}_base": b, f"{metric}_current": c, change_col: change,
                        f"{metric}_verdict": verdict})
            if verdict == "regression":
                regressions.append(f"{spec}: " + _describe(metric, b, c, change, **thresholds))
        rows.append(row)

    return Comparison(
        baseline=baseline, current=current, same_data=same_data, problems=problems,
        table=pd.DataFrame(rows, columns=_columns(metrics)),
        unmatched_baseline=unmatched_baseline, unmatched_current=unmatched_current,
        regressions=regressions, metrics=metrics, max_error_increase=max_error_increase,
        max_slowdown=max_slowdown,
    )


def _columns(metrics: Sequence[str]) -> list[str]:
    cols = ["spec", "model", "n_seeds_base", "n_seeds_current"]
    for m in metrics:
        change = f"{m}_ratio" if m in TIME_METRICS else f"{m}_delta"
        cols += [f"{m}_base", f"{m}_current", change, f"{m}_verdict"]
    return cols


def comparison_table(comparison: Comparison) -> Any:
    """A rich table of the deltas, one line per spec and metric, coloured by verdict."""
    from rich.table import Table

    colours = {"regression": "bold red", "improvement": "green", "unchanged": "dim",
               "within noise": "yellow"}
    table = Table(title=f"{comparison.baseline.run_id} -> {comparison.current.run_id}")
    for name, justify in (("spec", "left"), ("seeds", "right"), ("metric", "left"),
                          ("base", "right"), ("current", "right"), ("change", "right"),
                          ("verdict", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for _, row in comparison.table.iterrows():
        for i, m in enumerate(comparison.metrics):
            verdict = row[f"{m}_verdict"]
            base, cur = row[f"{m}_base"], row[f"{m}_current"]
            if m in TIME_METRICS:
                cells = [f"{base:.3g}s", f"{cur:.3g}s", f"{row[f'{m}_ratio']:.2f}x"]
            elif m == "error_rate":
                cells = [f"{base:.2%}", f"{cur:.2%}", f"{100 * row[f'{m}_delta']:+.2f} pt"]
            else:
                cells = [f"{base:.4f}", f"{cur:.4f}", f"{row[f'{m}_delta']:+.4f}"]
            first = i == 0
            table.add_row(str(row["spec"]) if first else "",
                          f"{row['n_seeds_base']}/{row['n_seeds_current']}" if first else "",
                          m, *cells, f"[{colours.get(verdict, '')}]{verdict}[/]",
                          end_section=i == len(comparison.metrics) - 1)
    return table


def run_compare(baseline_dir: Path, current_dir: Path, *, max_error_increase: float = 0.005,
                max_slowdown: float = 1.3, metrics: Sequence[str] | None = None,
                html: Path | None = None) -> int:
    """The CLI command: print the table, write the HTML if asked, return the exit status.

    Raises ``CompareError`` (exit 2) when the runs cannot be compared.
    """
    from mnistbench.display import console
    from mnistbench.results import load_run

    comparison = compare_runs(load_run(baseline_dir), load_run(current_dir),
                              max_error_increase=max_error_increase,
                              max_slowdown=max_slowdown, metrics=metrics)
    if html is not None:
        from mnistbench.report import write_comparison_report

        console.print(f"report: {write_comparison_report(comparison, html)}")
    if comparison.problems:
        raise CompareError("cannot compare: " + "; ".join(comparison.problems))
    console.print(comparison_table(comparison))
    noisy = (comparison.table.filter(like="_verdict") == "within noise").any(axis=None) \
        if not comparison.table.empty else False
    if noisy:
        console.print("within noise: the change passes the threshold but the seeds of the "
                      "two runs overlap, so it does not fail")
    if comparison.regressions:
        for line in comparison.regressions:
            console.print(f"[bold red]regression[/] {line}")
        return 1
    console.print(f"no regression ({', '.join(comparison.metrics)}; error within "
                  f"{comparison.max_error_increase:g}, time within "
                  f"{comparison.max_slowdown:g}x)")
    return 0
