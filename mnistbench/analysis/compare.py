"""Regression verdicts between two saved runs (values only; `mnistbench compare` prints).

Results are matched by model spec on the same data set and split fingerprint. For each
metric the comparison says whether the current run is a regression, an improvement,
unchanged (the change is inside the threshold) or "within noise" (the change passes the
threshold but, with several seeds per side, the seeds do not tell the two runs apart).

Only the JSON records are read (never the NPZ arrays), so a baseline committed to a
repository can be JSON only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from mnistbench.analysis.summary import host_kind
from mnistbench.errors import MnistbenchError, RequestError
from mnistbench.results import SavedRun
from mnistbench.results.metric_table import BY_KEY, Metric, selected

VERDICTS = ("regression", "improvement", "unchanged", "within noise", "disturbed", "not measured")
# Two samples of seeds are told apart when a two-sided Mann-Whitney U test gives p below
# this, or when their mean +/- NOISE_SIGMAS standard deviations do not overlap.
NOISE_P_VALUE = 0.05
NOISE_SIGMAS = 2.0


class CompareError(MnistbenchError):
    """Two runs cannot be compared cleanly (different data, missing models)."""


class ThresholdError(CompareError, RequestError):
    """A threshold that would switch the check off; it names its field (the CLI names the
    flag)."""


@dataclass(frozen=True)
class Thresholds:
    """How much worse counts as a regression: the one definition the CLI, the gate and the
    report use. ``max_error_increase`` is absolute (0.005 = half a point of error rate or
    accuracy) and applies to metrics compared by difference; ``max_slowdown`` is a ratio
    and applies to metrics compared by ratio (times)."""

    max_error_increase: float = 0.005
    max_slowdown: float = 1.3

    def __post_init__(self) -> None:
        # NaN compares false with everything and infinity passes everything: either would
        # switch the gate off, so both are refused
        if not math.isfinite(self.max_error_increase) or not self.max_error_increase >= 0:
            raise ThresholdError(
                "max_error_increase",
                f"must be a finite number >= 0, got {self.max_error_increase}",
            )
        if not math.isfinite(self.max_slowdown) or not self.max_slowdown >= 1:
            raise ThresholdError(
                "max_slowdown", f"must be a finite number >= 1, got {self.max_slowdown}"
            )

    def describe(self) -> str:
        return (
            f"accuracy and error within {self.max_error_increase:g}, times within "
            f"{self.max_slowdown:g}×"
        )


DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_METRICS = tuple(m.key for m in selected("compare"))


def comparable_metric(key: str) -> Metric:
    """A metric ``compare`` can judge; a clear error for anything else."""
    if key not in BY_KEY:
        raise CompareError(f"unknown metric(s) {key}; choose from {', '.join(BY_KEY)}")
    return BY_KEY[key]


@dataclass
class Comparison:
    """Everything the CLI table, the exit status and the HTML report need."""

    baseline: SavedRun
    current: SavedRun
    same_data: bool  # False when data set or split fingerprint differ
    problems: list[str]  # one-line reasons the runs cannot be compared cleanly
    table: pd.DataFrame  # one row per matched spec (see compare_runs)
    unmatched_baseline: list[str]
    unmatched_current: list[str]
    regressions: list[str]  # one line per regression, starting with the spec
    metrics: list[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    # One line per timing not judged because either side was taken while the machine was
    # disturbed (harness.disturbance); with strict_timing they make the comparison fail.
    disturbed: list[str] = field(default_factory=list)
    strict_timing: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. timings taken on unlike hosts
    # Whether specs only the current run has (``unmatched_current``) were allowed: then
    # they are new, listed in the notes and not judged, instead of a problem.
    allow_new: bool = False

    @property
    def ok(self) -> bool:
        """No problem and no regression (nor, when strict, a disturbed timing): what CI
        wants."""
        return (
            not self.problems
            and not self.regressions
            and not (self.strict_timing and self.disturbed)
        )

    @property
    def noisy(self) -> bool:
        """Some change passed its threshold but the seeds could not tell the runs apart."""
        if self.table.empty:
            return False
        return bool((self.table.filter(like="_verdict") == "within noise").any(axis=None))


def change_column(m: Metric) -> str:
    return f"{m.key}_ratio" if m.change == "ratio" else f"{m.key}_delta"


def _data_identity(run: SavedRun, frame: pd.DataFrame) -> tuple[str | None, set[str]]:
    """The run's data set and every split fingerprint its meta and records mention."""
    split = run.meta.split or {}
    dataset = run.meta.dataset or split.get("dataset")
    prints = {str(f) for f in frame.get("split_fingerprint", pd.Series(dtype=object)).dropna()}
    if split.get("fingerprint"):
        prints.add(str(split["fingerprint"]))
    return dataset, prints


def _samples(frame: pd.DataFrame, spec: str, key: str) -> np.ndarray:
    if key not in frame.columns:
        return np.array([])
    values = pd.to_numeric(
        frame.loc[(frame["spec"] == spec) & (frame["status"] == "ok"), key], errors="coerce"
    )
    return values.dropna().to_numpy(dtype=float)


def seeds_differ(base: np.ndarray, current: np.ndarray) -> bool | None:
    """Whether two samples of seeds are told apart; None when either has one value.

    As asv does, a Mann-Whitney U test first; with a handful of seeds it can never reach
    significance, so non-overlapping mean +/- 2 sd intervals also count as a difference.
    """
    if len(base) < 2 or len(current) < 2:
        return None
    if np.ptp(np.concatenate([base, current])) == 0:
        return False
    if mannwhitneyu(base, current, alternative="two-sided").pvalue < NOISE_P_VALUE:
        return True

    def interval(x: np.ndarray) -> tuple[float, float]:
        sd = NOISE_SIGMAS * x.std(ddof=1)
        return x.mean() - sd, x.mean() + sd

    (lo_b, hi_b), (lo_c, hi_c) = interval(base), interval(current)
    return bool(hi_b < lo_c or hi_c < lo_b)


def _verdict(
    m: Metric, base: np.ndarray, current: np.ndarray, thresholds: Thresholds
) -> tuple[float, float, float, str]:
    """(base mean, current mean, change, verdict) for one metric of one spec."""
    b, c = float(base.mean()), float(current.mean())
    if m.change == "ratio":
        change = c / b if b > 0 else math.nan
        if m.higher_is_better:
            worse, better = change < 1 / thresholds.max_slowdown, change > thresholds.max_slowdown
        else:
            worse, better = change > thresholds.max_slowdown, change < 1 / thresholds.max_slowdown
    else:
        change = c - b
        signed = -change if m.higher_is_better else change  # > 0 means worse
        worse = signed > thresholds.max_error_increase + 1e-12
        better = signed < -(thresholds.max_error_increase + 1e-12)
    if not (worse or better):
        return b, c, change, "unchanged"
    if seeds_differ(base, current) is False:
        return b, c, change, "within noise"
    return b, c, change, "regression" if worse else "improvement"


def _describe(m: Metric, b: float, c: float, change: float, thresholds: Thresholds) -> str:
    if m.change == "ratio":
        return (
            f"{m.key} {b:.3g}s -> {c:.3g}s ({change:.2f}x > {thresholds.max_slowdown:g}x)"
            if m.unit == "s"
            else f"{m.key} {b:.4g} -> {c:.4g} ({change:.2f}x, past {thresholds.max_slowdown:g}x)"
        )
    return (
        f"{m.key} {b:.4f} -> {c:.4f} ({change:+.4f}, more than "
        f"{thresholds.max_error_increase:g} worse)"
    )


def _disturbance(frame: pd.DataFrame, spec: str, phase: str | None) -> str | None:
    """Why ``spec``'s ``phase`` timing was disturbed in any of its ok tasks (None: clean)."""
    column = f"{phase}_disturbance"
    if phase is None or column not in frame.columns:
        return None
    rows = frame[(frame["spec"] == spec) & (frame["status"] == "ok")]
    reasons = [
        f"seed {r.seed}: {getattr(r, column)}"
        for r in rows.itertuples()
        if isinstance(getattr(r, column), str)
    ]
    return "; ".join(reasons) or None


def _host_kinds(frame: pd.DataFrame) -> list[str]:
    if "cpu" not in frame.columns:
        return []
    ok = frame[(frame["status"] == "ok") & frame["cpu"].notna()]
    return sorted({host_kind(c, n) for c, n in zip(ok["cpu"], ok["cores"], strict=True)})


def _n_ok(frame: pd.DataFrame, spec: str) -> int:
    return int(((frame["spec"] == spec) & (frame["status"] == "ok")).sum())


def _specs_with(frame: pd.DataFrame, ok: bool, status: str | None = None) -> list[str]:
    """Specs with an ok task (``ok``), with a failed one (not ok and not a timeout), or
    with a task of ``status``."""
    if frame.empty:
        return []
    if status is not None:
        mask = frame["status"] == status
    else:
        mask = frame["status"] == "ok"
        mask = mask if ok else ~mask & (frame["status"] != "timeout")
    return list(dict.fromkeys(frame.loc[mask, "spec"]))


def compare_runs(
    baseline: SavedRun,
    current: SavedRun,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    metrics: Sequence[str] | None = None,
    strict_timing: bool = False,
    allow_new: bool = False,
) -> Comparison:
    """Match the two runs' results by spec and judge every metric; never raises for runs
    that differ (the differences go to ``problems`` so a report can still show them).
    With ``allow_new``, a spec only the current run has is new: a note ("new, not
    judged"), not a problem (the CI gate judges the models its baseline has, so adding a
    model needs no new baseline).

    ``table`` has one row per matched spec: ``spec``, ``model``, ``n_seeds_base``,
    ``n_seeds_current`` and, for each metric m, ``m_base``, ``m_current`` (means over
    seeds), ``m_delta`` (current - base; ``m_ratio``, current / base, for metrics the
    metric table compares by ratio, such as times) and ``m_verdict``. A timing whose
    phase was disturbed on either side gets the verdict ``disturbed`` instead of a
    judgement, and a line in ``disturbed`` saying why.
    """
    chosen = [comparable_metric(k) for k in (metrics or DEFAULT_METRICS)]
    base_frame, cur_frame = baseline.to_frame(), current.to_frame()
    problems: list[str] = []
    regressions: list[str] = []
    disturbed: list[str] = []

    base_data, base_prints = _data_identity(baseline, base_frame)
    cur_data, cur_prints = _data_identity(current, cur_frame)
    splits = max(1, len(baseline.meta.dataset_names))  # one per data set of the run
    same_data = base_data == cur_data and base_prints == cur_prints and len(base_prints) <= splits
    if base_data != cur_data:
        problems.append(f"different data sets: baseline {base_data}, current {cur_data}")
    elif base_prints != cur_prints or len(base_prints) > splits:
        problems.append(
            f"different splits: baseline fingerprint {', '.join(sorted(base_prints)) or '?'}, "
            f"current {', '.join(sorted(cur_prints)) or '?'}"
        )

    base_specs, cur_specs = _specs_with(base_frame, ok=True), _specs_with(cur_frame, ok=True)
    base_failed, cur_failed = _specs_with(base_frame, ok=False), _specs_with(cur_frame, ok=False)
    for spec in base_failed:
        problems.append(f"{spec} failed in the baseline {baseline.run_id}; refresh it")
    # A model that ran in the baseline and now fails is the worst regression of all.
    for spec in cur_failed:
        if spec in base_specs:
            errors = cur_frame.loc[
                (cur_frame["spec"] == spec) & ~cur_frame["status"].isin(["ok", "timeout"]), "error"
            ]
            regressions.append(f"{spec}: failed in the current run ({errors.iloc[0]})")
    # A task that ran out of its --task-timeout budget has no measurement: where the other
    # run has one, the point cannot be compared; where neither has, there is nothing to say.
    base_out = _specs_with(base_frame, ok=False, status="timeout")
    cur_out = _specs_with(cur_frame, ok=False, status="timeout")
    timeout_notes = []
    for spec in cur_out:
        if spec in base_specs and spec not in cur_specs:
            problems.append(
                f"{spec} ran out of its time budget (--task-timeout) in the "
                f"current run {current.run_id}; the baseline measured it"
            )
        elif spec in base_out and spec not in base_specs:
            timeout_notes.append(f"{spec} ran out of its time budget in both runs")
    timeout_notes += [
        f"{spec} ran out of its time budget in the baseline; the current run measured it"
        for spec in base_out
        if spec in cur_specs and spec not in base_specs
    ]
    unmatched_baseline = [
        s for s in base_specs if s not in cur_specs and s not in cur_failed and s not in cur_out
    ]
    unmatched_current = [
        s for s in cur_specs if s not in base_specs and s not in base_failed and s not in base_out
    ]
    if unmatched_baseline:
        problems.append(
            f"missing from the current run {current.run_id}: {', '.join(unmatched_baseline)}"
        )
    notes = timeout_notes
    if unmatched_current and allow_new:
        notes.append(
            f"new, not judged: {', '.join(unmatched_current)} (not in the baseline "
            f"{baseline.run_id})"
        )
    elif unmatched_current:
        problems.append(f"not in the baseline {baseline.run_id}: {', '.join(unmatched_current)}")
    base_hosts, cur_hosts = _host_kinds(base_frame), _host_kinds(cur_frame)
    if (
        base_hosts
        and cur_hosts
        and base_hosts != cur_hosts
        and any(m.change == "ratio" for m in chosen)
    ):
        notes.append(
            f"timings compared across hosts: baseline on {' / '.join(base_hosts)}, "
            f"current on {' / '.join(cur_hosts)}"
        )
    rows: list[dict[str, Any]] = []
    for spec in (s for s in base_specs if s in cur_specs):
        model = base_frame.loc[base_frame["spec"] == spec, "model"].iloc[0]
        row: dict[str, Any] = {
            "spec": spec,
            "model": model,
            "n_seeds_base": len(_samples(base_frame, spec, "seed")),
            "n_seeds_current": len(_samples(cur_frame, spec, "seed")),
        }
        for m in chosen:
            b_vals, c_vals = _samples(base_frame, spec, m.key), _samples(cur_frame, spec, m.key)
            gaps = [
                f"{side} run {run.run_id} ({len(vals)} of {_n_ok(frame, spec)} task(s))"
                for side, run, frame, vals in (
                    ("baseline", baseline, base_frame, b_vals),
                    ("current", current, cur_frame, c_vals),
                )
                if len(vals) < _n_ok(frame, spec)
            ]
            if len(b_vals) == 0 and len(c_vals) == 0:
                # measured on neither side (log loss of a model without probabilities)
                row.update(
                    {
                        f"{m.key}_base": math.nan,
                        f"{m.key}_current": math.nan,
                        change_column(m): math.nan,
                        f"{m.key}_verdict": "not measured",
                    }
                )
                continue
            if gaps:
                problems.append(
                    f"{spec}: {m.key} cannot be compared, it is missing in the "
                    + " and the ".join(gaps)
                )
                row.update(
                    {
                        f"{m.key}_base": math.nan,
                        f"{m.key}_current": math.nan,
                        change_column(m): math.nan,
                        f"{m.key}_verdict": "not measured",
                    }
                )
                continue
            b, c, change, verdict = _verdict(m, b_vals, c_vals, thresholds)
            why = [
                f"{side} {text}"
                for side, text in (
                    ("baseline", _disturbance(base_frame, spec, m.phase)),
                    ("current", _disturbance(cur_frame, spec, m.phase)),
                )
                if text
            ]
            if why:
                # A change past the threshold is not called either way; one inside it is
                # shown as measured, but a strict comparison still refuses to trust it.
                if verdict != "unchanged":
                    verdict = "disturbed"
                disturbed.append(f"{spec}: {m.key} {m.phase} timing disturbed ({'; '.join(why)})")
            row.update(
                {
                    f"{m.key}_base": b,
                    f"{m.key}_current": c,
                    change_column(m): change,
                    f"{m.key}_verdict": verdict,
                }
            )
            if verdict == "regression":
                regressions.append(f"{spec}: " + _describe(m, b, c, change, thresholds))
        rows.append(row)
    for m in chosen:
        if rows and all(r[f"{m.key}_verdict"] == "not measured" for r in rows):
            problems.append(f"{m.key} cannot be compared: no model has it in either run")

    return Comparison(
        baseline=baseline,
        current=current,
        same_data=same_data,
        problems=problems,
        table=pd.DataFrame(rows, columns=_columns(chosen)),
        unmatched_baseline=unmatched_baseline,
        unmatched_current=unmatched_current,
        regressions=regressions,
        metrics=[m.key for m in chosen],
        thresholds=thresholds,
        disturbed=disturbed,
        strict_timing=strict_timing,
        notes=notes,
        allow_new=allow_new,
    )


def _columns(chosen: Sequence[Metric]) -> list[str]:
    cols = ["spec", "model", "n_seeds_base", "n_seeds_current"]
    for m in chosen:
        cols += [f"{m.key}_base", f"{m.key}_current", change_column(m), f"{m.key}_verdict"]
    return cols
