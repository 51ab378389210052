"""Section 9 of the report: one run against a baseline, for every metric judged the base,
current, change and verdict, labelled and formatted as the metric table says."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mnistbench.analysis.compare import Comparison, change_column
from mnistbench.report.header import header_info
from mnistbench.report.tables import Cell, fmt, number
from mnistbench.results.metric_table import BY_KEY, format_change

VERDICT_CSS = {
    "regression": "bad",
    "improvement": "good",
    "within noise": "muted",
    "unchanged": "",
    "disturbed": "disturbed",
}


def comparison_context(comparison: Comparison) -> dict[str, Any]:
    """Section 9 for one comparison: for every metric it judged, base, current, change
    and verdict, labelled and formatted as the metric table says."""
    table: pd.DataFrame = comparison.table
    metrics = [BY_KEY[k] for k in comparison.metrics]
    groups = [
        {
            "metric": m.key,
            "label": m.label,
            "change": change_column(m),
            "change_label": "ratio" if m.change == "ratio" else "Δ",
        }
        for m in metrics
    ]
    rows = []
    for _, r in table.iterrows():
        cells = [Cell(str(r.get("spec")), str(r.get("spec")))]
        for m in metrics:
            verdict = str(r.get(f"{m.key}_verdict") or "")
            css = VERDICT_CSS.get(verdict, "")
            cells.append(Cell(fmt(r.get(f"{m.key}_base"), m.fmt), number(r.get(f"{m.key}_base"))))
            cells.append(
                Cell(fmt(r.get(f"{m.key}_current"), m.fmt), number(r.get(f"{m.key}_current")))
            )
            value = r.get(change_column(m))
            cells.append(Cell(format_change(value, m), number(value), css=css, title=verdict))
            cells.append(Cell(verdict, verdict, css=css))
        rows.append(cells)
    return {
        "baseline": header_info(comparison.baseline),
        "current": header_info(comparison.current),
        "same_data": bool(comparison.same_data),
        "problems": list(comparison.problems),
        "groups": groups,
        "rows": rows,
        "unmatched_baseline": list(comparison.unmatched_baseline),
        "unmatched_current": list(comparison.unmatched_current),
        "regressions": list(comparison.regressions),
        "notes": list(comparison.notes) + list(comparison.disturbed),
        "thresholds": comparison.thresholds.describe(),
    }
