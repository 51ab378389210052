"""Section 4 of the report: each model's confusion matrix (counts summed over seeds), row
normalised, as an HTML heat map."""

from __future__ import annotations

from typing import Any

import numpy as np

from mnistbench.report.per_spec import class_names, finished_by_spec
from mnistbench.report.tables import fmt
from mnistbench.results import SavedRun


def confusion_tables(run: SavedRun) -> list[dict[str, Any]]:
    """Row-normalised confusion matrices (counts summed over seeds) as HTML heat maps."""
    out = []
    for spec, results in finished_by_spec(run).items():
        mats = [m for r in results if (m := r.arrays.get("confusion")) is not None]
        if not mats:
            continue
        counts = np.sum(mats, axis=0)
        names = class_names(run, counts.shape[0])
        totals = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, totals, out=np.zeros(counts.shape, float), where=totals > 0)
        rows = []
        for i, name in enumerate(names):
            cells = []
            for j, pred in enumerate(names):
                p = float(share[i, j])
                cells.append(
                    {
                        "pct": f"{100 * p:.0f}" if counts[i, j] else "·",
                        "count": f"{counts[i, j]:,}" if counts[i, j] else "·",
                        "alpha": f"{min(1.0, p**0.6):.3f}" if counts[i, j] else "0",
                        "dark": p > 0.45,
                        "diag": i == j,
                        "title": f"true {name}, predicted {pred}: {counts[i, j]:,} of "
                        f"{totals[i, 0]:,} ({100 * p:.1f} %)",
                    }
                )
            rows.append({"name": name, "cells": cells, "total": f"{totals[i, 0]:,}"})
        out.append(
            {
                "spec": spec,
                "names": names,
                "rows": rows,
                "n_seeds": len(mats),
                "accuracy": fmt(np.trace(counts) / max(1, counts.sum()), "acc"),
            }
        )
    return out
