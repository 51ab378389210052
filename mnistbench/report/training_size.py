"""The report's sections on growth: accuracy and cost against training-set size (with the
fitted exponents and the crossovers), and accuracy and fit time against swept parameters.
Empty for a run that has neither, so such a run's report is unchanged."""

from __future__ import annotations

import math
from typing import Any

from mnistbench.analysis.training_size import (
    crossovers,
    curve_points,
    curve_table,
    growth_exponents,
    is_curve,
    sweeps,
)
from mnistbench.report import training_size_figures as CF
from mnistbench.report.figures import FigureSink
from mnistbench.results import SavedRun
from mnistbench.results.metric_table import format_value


def _size(n: float) -> str:
    return "–" if not math.isfinite(n) else f"{int(n):,}"


def _k(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.2f}"


def training_size_context(run: SavedRun, sink: FigureSink) -> dict[str, Any]:
    """``training_size`` (None, or figures, one row per model with its exponents,
    crossovers) and ``sweeps`` (one figure and table per swept group)."""
    table = curve_table(curve_points(run))
    growth = None
    if is_curve(table):
        exponents = growth_exponents(table)
        rows = []
        for _, e in exponents.iterrows():
            rows.append(
                {
                    "spec": e["model_spec"],
                    "sizes": ", ".join(f"{n:,}" for n in e["sizes"]),
                    "k_fit": _k(e["k_fit"]),
                    "k_predict": _k(e["k_predict"]),
                    "largest": _size(e["largest_n"]),
                    "accuracy": format_value(e["accuracy_at_largest"], "acc"),
                    "stopped": _size(e["stopped_at"]),
                }
            )
        points = [
            {
                "spec": r["model_spec"],
                "n": _size(r["n"]),
                "accuracy": format_value(r["accuracy"], "acc"),
                "accuracy_std": format_value(r["accuracy_std"], "acc"),
                "fit": format_value(r["fit_wall_s"], "sec"),
                "predict": format_value(r["predict_s"], "sec"),
                "seeds": f"{r['n_ok']}"
                + (f" ({r['n_timeout']} out of time)" if r["n_timeout"] else ""),
            }
            for _, r in table.iterrows()
        ]
        growth = {
            "accuracy": sink.embed(CF.accuracy_vs_size(table), "accuracy-vs-train-size"),
            "time": sink.embed(CF.time_vs_size(table, exponents), "time-vs-train-size"),
            "rows": rows,
            "points": points,
            "crossovers": [c.describe() for c in crossovers(table)],
        }
    swept = []
    for sweep in sweeps(run):
        name = sweep.model + (f"@{sweep.preset}" if sweep.preset else "")
        swept.append(
            {
                "title": f"{name}: {sweep.param}"
                + (f" (lines: {', '.join(sweep.others)})" if sweep.others else ""),
                "n": _size(sweep.n),
                "src": sink.embed(
                    CF.sweep_figure(sweep), f"sweep-{name}-{sweep.param}-{_size(sweep.n)}"
                ),
                "rows": [
                    {
                        "spec": r["spec"],
                        "accuracy": format_value(r["accuracy"], "acc"),
                        "fit": format_value(r["fit_wall_s"], "sec"),
                        "seeds": r["n_seeds"],
                    }
                    for _, r in sweep.points.iterrows()
                ],
            }
        )
    return {"training_size": growth, "sweeps": swept}
