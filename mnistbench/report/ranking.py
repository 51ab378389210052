"""Section 8b of the report: the models ranked across the data sets of the runs (one run
over several data sets, or runs made separately): the accuracy matrix with intervals, the
average ranks with the Friedman test and a critical-difference diagram (Nemenyi), the same
ranking on fit time, and per data set the gain of each family's best model over the other
family's best with what it costs. The numbers are ``mnistbench.analysis.ranking``'s."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mnistbench.analysis.ranking import Ranking, RankingError, RankTest, rank_runs
from mnistbench.analysis.statistics import ALPHA
from mnistbench.report import figures as F
from mnistbench.results import SavedRun
from mnistbench.results.labels import spec_of


def ranking_context(runs: Sequence[SavedRun], sink: F.FigureSink) -> dict[str, Any] | None:
    """The section's context, when the runs hold two data sets or more (None: one)."""
    datasets = {
        res.record.dataset or run.meta.dataset for run in runs for res in run.results if res.ok
    }
    if len(datasets) < 2:
        return None
    try:
        ranking = rank_runs(runs)
    except RankingError as exc:
        return {"refused": str(exc)}
    augmented = {  # trained on more digits than the others: marked in the matrix
        spec_of(res.record.spec, res.record.model_spec, res.record.spec_label)
        for run in runs
        for res in run.results
        if res.record.augmented
    }
    return {
        "refused": None,
        "datasets": [
            {
                "name": d.name,
                "fingerprint": d.fingerprint,
                "n_test": d.n_test,
                "runs": ", ".join(d.runs),
            }
            for d in ranking.datasets
        ],
        "rows": [{**r, "augmented": r["model"] in augmented} for r in _matrix_rows(ranking)],
        "tests": [
            _test_context(test, sink, f"critical-difference-{key}")
            for key, test in (("accuracy", ranking.accuracy), ("fit-time", ranking.fit_time))
        ],
        "gains": [
            {
                "dataset": g.dataset,
                "model": g.model,
                "family": g.family,
                "base_model": g.base_model,
                "base_family": g.base_family,
                "gain": f"{g.gain * 100:+.2f}",
                "interval": _interval(g.low * 100, g.high * 100, "{:+.2f}"),
                "p": f"{g.p_value:.3g}" if g.p_value is not None else "–",
                "significant": g.p_value is not None and g.p_value < ALPHA,
                "seed": g.seed,
                "fit": _cost(g.fit_s, g.base_fit_s, g.fit_ratio, "s", 1.0),
                "latency": _cost(g.latency_s, g.base_latency_s, g.latency_ratio, "ms", 1000.0),
            }
            for g in ranking.gains
        ],
        "left_out": {m: ", ".join(d) for m, d in ranking.left_out.items()},
        "alpha": ALPHA,
    }


def _matrix_rows(ranking: Ranking) -> list[dict[str, Any]]:
    best = {d: ranking.matrix().loc[:, d].max() for d in ranking.dataset_names}
    rows = []
    for model in ranking.models:
        cells = []
        for name in ranking.dataset_names:
            cell = ranking.cells[(model, name)]
            seeds = f"mean over {cell.n_seeds} seeds, Student's t" if cell.n_seeds > 1 else ""
            cells.append(
                {
                    "text": f"{cell.accuracy:.4f}",
                    "interval": _interval(cell.low, cell.high),
                    "title": seeds or "one seed: Wilson interval over the test digits",
                    "best": cell.accuracy == best[name],
                }
            )
        rank = ranking.accuracy.average_ranks.get(model)
        rows.append(
            {
                "model": model,
                "family": ranking.families.get(model) or "–",
                "cells": cells,
                "rank": f"{rank:.2f}" if rank is not None else "–",
            }
        )
    return rows


def _test_context(test: RankTest, sink: F.FigureSink, name: str) -> dict[str, Any]:
    figure = None
    if test.tested and test.posthoc is not None:
        figure = sink.embed(critical_difference(test), name)
    return {
        "metric": test.metric,
        "better": "higher" if test.higher_is_better else "lower",
        "ranks": [(m, f"{r:.2f}") for m, r in test.average_ranks.items()],
        "statistic": f"{test.statistic:.2f}" if test.statistic is not None else None,
        "p": f"{test.p_value:.3g}" if test.p_value is not None else None,
        "differ": test.p_value is not None and test.p_value < ALPHA,
        "reason": test.reason,
        "groups": [" = ".join(g) for g in test.not_told_apart()],
        "figure": figure,
    }


def critical_difference(test: RankTest) -> Figure:
    """The critical-difference diagram of a tested ranking, drawn by scikit-posthocs from
    the average ranks and Nemenyi's p-values: models joined by a bar are not told apart."""
    import scikit_posthocs  # lazy, as in the analysis: only this section draws it

    fig = Figure(figsize=(7.5, 0.6 + 0.32 * len(test.average_ranks)), dpi=F.DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    scikit_posthocs.critical_difference_diagram(
        test.average_ranks, test.posthoc, alpha=ALPHA, ax=ax
    )
    ax.set_title(f"{test.metric}: average rank (1 = best)", fontsize=9)
    fig.tight_layout()
    return fig


def _interval(low: float, high: float, fmt: str = "{:.4f}") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{fmt.format(low)}–{fmt.format(high)}"


def _cost(
    value: float | None, base: float | None, ratio: float | None, unit: str, scale: float
) -> str:
    if value is None or base is None:
        return "–"
    times = f" (×{ratio:.3g})" if ratio is not None else ""
    return f"{value * scale:.3g} vs {base * scale:.3g} {unit}{times}"
