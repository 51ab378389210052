"""The terminal table "Against the best published result" (``mnistbench run`` and
``mnistbench summary``): each model beside its family's published anchor and the gap."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich.markup import escape
from rich.table import Table

from mnistbench.analysis.frontier import published_gaps_of
from mnistbench.commands.display import console
from mnistbench.results import SavedRun
from mnistbench.results.metric_table import format_value

AUGMENTED_NOTE = (
    "augmented: trained on copies of its digits it made itself (shifts, virtual support "
    "vectors), so it saw more than the training digits; the anchors are without augmentation"
)


def published_gap_table(gaps: pd.DataFrame) -> Table | None:
    """``mnistbench.analysis.frontier``'s rows as a rich table; None when there are none
    (no model with an anchor measured on this run's data set and split)."""
    if gaps.empty:
        return None
    several_runs = gaps["run_id"].nunique() > 1
    table = Table(title="Against the best published result (test accuracy)")
    headers = [
        *(["run"] if several_runs else []),
        "data set",
        "spec",
        "accuracy (95 % CI)",
        "published",
        "gap",
        "source",
    ]
    for header in headers:
        right = header in ("accuracy (95 % CI)", "published", "gap")
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    for _, row in gaps.iterrows():
        seeds = f" ×{row['n_seeds']}" if row["n_seeds"] > 1 else ""
        interval = (
            f" ({format_value(row['accuracy_low'], 'acc')}–"
            f"{format_value(row['accuracy_high'], 'acc')})"
            if math.isfinite(row["accuracy_low"])
            else ""
        )
        gap = row["gap_points"]
        colour = "green" if gap >= 0 else "yellow" if gap > -0.5 else "red"
        colour = "dim" if row["augmented"] else colour  # more digits than the anchor's
        spec = escape(str(row["spec"])) + (" [yellow](augmented)[/]" if row["augmented"] else "")
        table.add_row(
            *([escape(str(row["run_id"]))] if several_runs else []),
            escape(str(row["dataset"])),
            spec,
            f"{format_value(row['accuracy'], 'acc')}{interval}{seeds}",
            format_value(row["anchor"], "acc"),
            f"[{colour}]{gap:+.2f} pts[/]",
            escape(str(row["source"])),
        )
    lines = ["gap: mean accuracy − published, in points"]
    if gaps["augmented"].any():
        lines.append(AUGMENTED_NOTE)
    table.caption = "; ".join(lines)
    return table


def print_published_gaps(runs: Sequence[SavedRun]) -> None:
    """Print the table for ``runs`` when any model in them has an anchor that applies."""
    table = published_gap_table(published_gaps_of(runs))
    if table is not None:
        console.print(table)
