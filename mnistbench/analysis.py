"""Summaries of saved results shared by the terminal, the report and compare: per-spec
aggregates over seeds, and "as written vs tuned": each preset variant (``X@notebook``)
against the tuned default ``X`` measured in the same run."""

from __future__ import annotations

import pandas as pd

from mnistbench.harness.metric_table import METRICS
from mnistbench.harness.record import PHASES

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
        if not isinstance(row["preset"], str) or not row["preset"]:
            continue
        tuned = row["base_spec"]
        if tuned not in agg.index:
            continue
        base = agg.loc[tuned]
        rows.append({
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
                f"{side} {phase}" for side, name in (("tuned", tuned), ("as written", spec))
                for phase in disturbed.get(name, []) if phase in ("fit", "predict")),
        })
    return pd.DataFrame(rows)


def speedup_totals(pairs: pd.DataFrame) -> dict[str, float] | None:
    """Fit + predict seconds over every pair: tuned against as written, and the ratio."""
    if pairs.empty:
        return None
    tuned, preset = pairs["tuned_total_s"].sum(), pairs["preset_total_s"].sum()
    return {"models": len(pairs), "tuned_total_s": float(tuned),
            "preset_total_s": float(preset), "speedup": _ratio(preset, tuned)}


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")
