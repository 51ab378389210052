"""Section 7c of the report: whether two models really differ, as a matrix of McNemar
tests (Holm-corrected) over every pair and a ranking with accuracy intervals."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mnistbench.analysis.summary import significance
from mnistbench.report.intervals import accuracy_intervals, interval_text
from mnistbench.report.tables import fmt
from mnistbench.results import SavedRun


def significance_context(run: SavedRun, frame: pd.DataFrame) -> dict[str, Any] | None:
    """The McNemar matrix and ranking of section 7c."""
    sig = significance(run)
    if len(sig.ranking) < 2:
        return None
    names = [r.name for r in sig.ranking]
    tests = {}
    for p in sig.pairs:
        tests[(p.first, p.second)] = (p, p.test.only_first, p.test.only_second)
        tests[(p.second, p.first)] = (p, p.test.only_second, p.test.only_first)
    intervals = accuracy_intervals(frame)
    augmented = set(frame.loc[frame["augmented"].fillna(False).astype(bool), "spec"])
    rows = []
    for r in sig.ranking:
        cells = []
        for other in names:
            if other == r.name:
                cells.append({"text": "–", "css": "", "title": ""})
                continue
            if (r.name, other) not in tests:  # another data set's model: other digits
                cells.append({"text": "·", "css": "muted", "title": "other digits: not paired"})
                continue
            pair, mine, theirs = tests[(r.name, other)]
            verdict = (
                "wins" if pair.winner == r.name else "loses" if pair.winner == other else "tie"
            )
            cells.append(
                {
                    "text": f"{'▲' if verdict == 'wins' else '▼' if verdict == 'loses' else '='} "
                    f"+{mine}/−{theirs}",
                    "css": {"wins": "good", "loses": "bad"}.get(verdict, "muted"),
                    "title": f"{r.name} vs {other}: {mine} digits only {r.name} gets right, "
                    f"{theirs} only {other}; p = {pair.test.p_value:.3g}, Holm-corrected "
                    f"{pair.p_adjusted:.3g}",
                }
            )
        text = fmt(r.accuracy, "acc")
        interval = interval_text(intervals.get(r.name))
        rows.append(
            {
                "rank": r.rank,
                "name": r.name,
                "cells": cells,
                "accuracy": f"{text} ({interval})" if interval else text,
                "augmented": r.name in augmented,  # trained on more digits: marked
            }
        )
    y_true = next(
        (res.arrays.get("y_true") for res in run.results if res.ok and "y_true" in res.arrays), None
    )
    return {
        "names": names,
        "rows": rows,
        "missing": sig.without_predictions,
        "n_pairs": len(sig.pairs),
        "n_digits": len(y_true) if y_true is not None else "?",
        "seed": f"seed {sig.seed}" if sig.seed is not None else "each model's first seed",
        "over_seeds": any(v[2] for v in intervals.values()),
        "augmented": bool(augmented & set(names)),
    }
