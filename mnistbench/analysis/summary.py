"""Summaries of saved results shared by the terminal, the report and compare: per-spec
aggregates over seeds, and "as written vs tuned": each preset variant (``X@notebook``)
against the tuned default ``X`` measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mnistbench.analysis.statistics import PairResult, Ranked, pairwise, rank
from mnistbench.models.specs import is_reference_preset
from mnistbench.results import Result, SavedRun
from mnistbench.results.metric_table import METRICS
from mnistbench.results.record import PHASES

AGGREGATED = tuple(m.key for m in METRICS)
_DESCRIPTIVE = ["model", "preset", "base_spec", "family"]


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and count over seeds for each spec (ok tasks only)."""
    ok = frame[frame["status"] == "ok"]
    columns = [c for c in AGGREGATED if c in ok.columns]
    if ok.empty:
        return pd.DataFrame(columns=["spec", *_DESCRIPTIVE, "n_seeds"])
    numeric = ok[["spec", *columns]].copy()
    numeric[columns] = numeric[columns].apply(pd.to_numeric, errors="coerce")
    grouped = numeric.groupby("spec", sort=False)
    out = grouped[columns].mean()
    spread = grouped[columns].std(ddof=1).add_suffix("_std")
    firsts = ok.groupby("spec", sort=False)[_DESCRIPTIVE].first()
    out = firsts.join(out).join(spread)
    out["n_seeds"] = grouped.size()
    return out.reset_index()


def host_kind(cpu: object, cores: object) -> str:
    """What makes two hosts' timings comparable: the CPU model and the cores."""
    return f"{cpu or 'unknown CPU'}, {cores or '?'} cores"


def mixed_hosts(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Specs whose ok tasks ran on hosts of different kinds (a cluster of unlike machines):
    their timings do not compare across seeds."""
    if "cpu" not in frame.columns:
        return {}
    ok = frame[frame["status"] == "ok"]
    out = {}
    for spec, group in ok.groupby("spec", sort=False):
        kinds = sorted({host_kind(c, n) for c, n in zip(group["cpu"], group["cores"], strict=True)})
        if len(kinds) > 1:
            out[str(spec)] = kinds
    return out


def disturbed_phases(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Per spec, the timed phases disturbed in any of its ok tasks (see harness.disturbance)."""
    out: dict[str, list[str]] = {}
    ok = frame[frame["status"] == "ok"]
    for phase in PHASES:
        column = f"{phase}_disturbed"
        if column not in ok.columns:
            continue
        for spec in ok.loc[ok[column].eq(True), "spec"].unique():
            out.setdefault(spec, []).append(phase)
    return out


def speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per preset variant whose tuned default is in the same results.

    Ratios are preset time over tuned time (above 1: the tuned default is faster);
    ``disturbed`` names either side's fit or predict timing taken while the machine was
    disturbed (empty: both clean), since a ratio is only as clean as its two timings.
    """
    agg = aggregate(frame).set_index("spec")
    disturbed = disturbed_phases(frame)
    rows = []
    for spec, row in agg.iterrows():
        if not isinstance(row["preset"], str) or not is_reference_preset(row["preset"]):
            continue
        tuned = row["base_spec"]
        if tuned not in agg.index:
            continue
        base = agg.loc[tuned]
        rows.append(
            {
                "model": row["model"],
                "tuned": tuned,
                "preset": spec,
                "tuned_accuracy": base["accuracy"],
                "preset_accuracy": row["accuracy"],
                "accuracy_gain": base["accuracy"] - row["accuracy"],
                "tuned_fit_s": base["fit_wall_s"],
                "preset_fit_s": row["fit_wall_s"],
                "fit_speedup": _ratio(row["fit_wall_s"], base["fit_wall_s"]),
                "tuned_predict_s": base["predict_s"],
                "preset_predict_s": row["predict_s"],
                "predict_speedup": _ratio(row["predict_s"], base["predict_s"]),
                "tuned_total_s": base["fit_wall_s"] + base["predict_s"],
                "preset_total_s": row["fit_wall_s"] + row["predict_s"],
                "disturbed": "; ".join(
                    f"{side} {phase}"
                    for side, name in (("tuned", tuned), ("as written", spec))
                    for phase in disturbed.get(name, [])
                    if phase in ("fit", "predict")
                ),
            }
        )
    return pd.DataFrame(rows)


def speedup_totals(pairs: pd.DataFrame) -> dict[str, float] | None:
    """Fit + predict seconds over every pair: tuned against as written, and the ratio."""
    if pairs.empty:
        return None
    tuned, preset = pairs["tuned_total_s"].sum(), pairs["preset_total_s"].sum()
    return {
        "models": len(pairs),
        "tuned_total_s": float(tuned),
        "preset_total_s": float(preset),
        "speedup": _ratio(preset, tuned),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


@dataclass(frozen=True)
class Significance:
    """Pairwise McNemar tests and the ranking of a run's models on its test digits."""

    seed: int | None  # the seed whose predictions were paired (None: each model's first)
    pairs: list[PairResult]
    ranking: list[Ranked]
    without_predictions: list[str]  # specs whose saved results cannot be paired


def significance(run: SavedRun) -> Significance:
    """McNemar's exact test between every two models of ``run`` on the same test digits,
    Holm-corrected, and the ranking it allows. Pairs the predictions of one seed, the
    smallest seed every model has (each model's first seed when there is none). A run over
    several data sets pairs and ranks the models of each data set among themselves (Holm
    over each data set's pairs): only models scored on the same digits are paired."""
    by_spec: dict[str, dict[int, Result]] = {}
    for res in run.results:
        if res.ok:
            by_spec.setdefault(res.record.spec, {})[res.record.seed] = res
    common = set.intersection(*(set(s) for s in by_spec.values())) if by_spec else set()
    seed = min(common) if common else None
    correct: dict[str | None, dict[str, np.ndarray]] = {}
    missing = []
    for spec, seeds in by_spec.items():
        res = seeds[seed] if seed is not None else seeds[min(seeds)]
        arrays = res.arrays
        if "y_true" not in arrays or "y_pred" not in arrays:
            missing.append(spec)
            continue
        correct.setdefault(res.record.dataset, {})[spec] = np.asarray(
            arrays["y_pred"]
        ) == np.asarray(arrays["y_true"])
    pairs: list[PairResult] = []
    ranking: list[Ranked] = []
    for same_digits in correct.values():
        found = pairwise(same_digits)
        pairs += found
        ranking += rank({spec: float(c.mean()) for spec, c in same_digits.items()}, found)
    return Significance(seed, pairs, ranking, missing)
