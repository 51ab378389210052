"""Section 8c of the report: accuracy against tuning budget, from a study's saved log
(``mnistbench tune``'s ``study.json``, read through ``mnistbench.results.study_log``):
the best validation accuracy so far of every model against trials and against compute
seconds on one chart, each model's best configuration with its test accuracy in a run of
the ``@tuned`` specs, and the parameter importances the study stored."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from mnistbench.analysis.tuning_budget import (
    best_so_far,
    importances,
    study_split_in,
    tuned_results,
)
from mnistbench.report.figures import DPI, FAMILY_PALETTE, FigureSink
from mnistbench.report.tables import generic_table
from mnistbench.results import SavedRun

#: line styles after the palette's colours run out, so every model stays distinguishable
_STYLES = ("-", "--", ":", "-.")


def budget_figure(curves: Any) -> Figure:
    """Best validation accuracy so far against trials (left) and against compute seconds
    (right, log axis), one line per model: a line still rising at its end is a model the
    budget stopped while it was improving."""
    fig = Figure(figsize=(9.0, 3.4), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax_trials, ax_seconds = fig.subplots(1, 2, sharey=True)
    for k, (name, rows) in enumerate(curves.groupby("model", sort=False)):
        colour = FAMILY_PALETTE[k % len(FAMILY_PALETTE)]
        style = _STYLES[(k // len(FAMILY_PALETTE)) % len(_STYLES)]
        best = rows["best"].to_numpy(float)
        ax_trials.step(rows["trial"], best, where="post", color=colour, ls=style, label=name)
        seconds = np.maximum(rows["compute_s"].to_numpy(float), 1e-3)
        ax_seconds.step(seconds, best, where="post", color=colour, ls=style)
        ax_trials.plot(rows["trial"].iloc[-1], best[-1], "o", color=colour, ms=4)
        ax_seconds.plot(seconds[-1], best[-1], "o", color=colour, ms=4)
    ax_trials.set_xlabel("trials")
    ax_trials.set_ylabel("best validation accuracy so far")
    ax_seconds.set_xlabel("compute seconds (wall × threads)")
    ax_seconds.set_xscale("log")
    ax_seconds.xaxis.set_minor_formatter(NullFormatter())  # the minor labels overlap
    ax_trials.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax_trials, ax_seconds):
        ax.grid(True, alpha=0.25)
        ax.spines[["right", "top"]].set_visible(False)
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    return fig


def tuning_context(log: dict[str, Any], run: SavedRun | None, sink: FigureSink) -> dict[str, Any]:
    """What ``tuning.html`` draws for one study (and the run of its ``@tuned`` specs)."""
    curves = best_so_far(log)
    table = tuned_results(log, run)
    has_test = "test_accuracy" in table and table["test_accuracy"].notna().any()
    if not has_test:
        table = table.drop(columns=["test_accuracy", "test_ci_low", "test_ci_high"])
    return {
        "dataset": log.get("dataset"),
        "budget": log.get("budget", {}),
        "sampler": log.get("sampler"),
        "objective": log.get("objective"),
        "command": " ".join(["mnistbench", *log.get("command", [])]),
        "figure": sink.embed(budget_figure(curves), "tuning-budget") if len(curves) else None,
        "table": generic_table(table),
        "has_test": bool(has_test),
        "run_id": run.run_id if run is not None else None,
        "other_split": run is not None and not study_split_in(run, log),
        "importances": {
            name: [{"param": k, "value": v, "width": round(100 * v, 1)} for k, v in found]
            for name, found in importances(log).items()
        },
    }
