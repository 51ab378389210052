"""Summaries of saved results shared by the CLI, the report and compare: per-spec
aggregates over seeds and the "as written vs tuned" pairing of ``X@seed`` with ``X``."""

from __future__ import annotations

import pandas as pd

AGGREGATED = (
    "accuracy", "error_rate", "log_loss", "macro_f1", "fit_wall_s", "fit_cpu_s", "predict_s",
    "predict_throughput", "latency_p50_s", "latency_p95_s", "fit_peak_rss_mb", "n_parameters",
)


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and count over seeds for each spec (ok tasks only)."""
    ok = frame[frame["status"] == "ok"]
    columns = [c for c in AGGREGATED if c in ok.columns]
    if ok.empty:
        return pd.DataFrame(columns=["spec", "model", "preset", "family", "n_seeds"])
    numeric = ok[["spec", *columns]].copy()
    numeric[columns] = numeric[columns].apply(pd.to_numeric, errors="coerce")
    grouped = numeric.groupby("spec", sort=False)
    out = grouped[columns].mean()
    spread = grouped[columns].std(ddof=1).add_suffix("_std")
    firsts = ok.groupby("spec", sort=False)[["model", "preset", "family"]].first()
    out = firsts.join(out).join(spread)
    out["n_seeds"] = grouped.size()
    return out.reset_index()


def speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per ``X@seed`` whose tuned ``X`` is in the same results.

    Ratios are seed-preset time over tuned time (above 1: the tuned default is faster).
    """
    agg = aggregate(frame).set_index("spec")
    rows = []
    for spec, row in agg.iterrows():
        if row["preset"] != "seed":
            continue
        tuned = spec.replace("@seed", "", 1)
        if tuned not in agg.index:
            continue
        base = agg.loc[tuned]
        rows.append({
            "model": row["model"],
            "tuned": tuned,
            "seed": spec,
            "tuned_accuracy": base["accuracy"],
            "seed_accuracy": row["accuracy"],
            "accuracy_gain": base["accuracy"] - row["accuracy"],
            "tuned_fit_s": base["fit_wall_s"],
            "seed_fit_s": row["fit_wall_s"],
            "fit_speedup": _ratio(row["fit_wall_s"], base["fit_wall_s"]),
            "tuned_predict_s": base["predict_s"],
            "seed_predict_s": row["predict_s"],
            "predict_speedup": _ratio(row["predict_s"], base["predict_s"]),
            "tuned_total_s": base["fit_wall_s"] + base["predict_s"],
            "seed_total_s": row["fit_wall_s"] + row["predict_s"],
        })
    return pd.DataFrame(rows)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")
