"""Section 2b of the report: each model against its family's best published accuracy (the
anchor its model file declares), with the source and the gap in points. Only where the run
measured what the anchor measured (its data set and split; ``analysis.frontier``);
augmented models are marked, since they saw more than the training digits."""

from __future__ import annotations

import math
from typing import Any

from mnistbench.analysis.frontier import published_gaps
from mnistbench.report.tables import fmt
from mnistbench.results import SavedRun


def published_context(run: SavedRun) -> dict[str, Any]:
    """``published``: the section's rows and whether any is augmented (None: no model of
    the run has an anchor that applies, and the section is left out)."""
    gaps = published_gaps(run)
    if gaps.empty:
        return {"published": None}
    rows = []
    for _, g in gaps.iterrows():
        interval = (
            f"{fmt(g['accuracy_low'], 'acc')}–{fmt(g['accuracy_high'], 'acc')}"
            if math.isfinite(g["accuracy_low"])
            else ""
        )
        gap = float(g["gap_points"])
        rows.append(
            {
                "spec": g["spec"],
                "dataset": g["dataset"],
                "accuracy": fmt(g["accuracy"], "acc"),
                "accuracy_value": float(g["accuracy"]),
                "interval": interval,
                "seeds": int(g["n_seeds"]),
                "anchor": fmt(g["anchor"], "acc"),
                "anchor_value": float(g["anchor"]),
                "gap": f"{gap:+.2f}",
                "gap_value": gap,
                "css": _gap_css(gap, bool(g["augmented"])),
                "source": g["source"],
                "augmented": bool(g["augmented"]),
            }
        )
    return {
        "published": {
            "rows": rows,
            "augmented": any(r["augmented"] for r in rows),
            "datasets": sorted({r["dataset"] for r in rows}),
        }
    }


def _gap_css(gap: float, augmented: bool) -> str:
    """Green at or above the anchor, red half a point or more below; grey for an augmented
    model, which saw more digits than the anchor's and is not judged against it."""
    if augmented:
        return "muted"
    return "good" if gap >= 0 else "bad" if gap <= -0.5 else ""
