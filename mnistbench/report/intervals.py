"""The 95 % interval of each model's accuracy as the summary and the significance section
show it (computed in ``mnistbench.analysis.intervals``)."""

from __future__ import annotations

from typing import Any

from mnistbench.analysis.intervals import accuracy_intervals
from mnistbench.report.tables import fmt
from mnistbench.results.metric_table import finite

__all__ = ["accuracy_intervals", "interval_text"]


def interval_text(interval: tuple[Any, Any, bool] | None) -> str:
    """``low–high`` as the tables print it; empty when there is none."""
    if interval is None or not finite(interval[0]):
        return ""
    return f"{fmt(interval[0], 'acc')}–{fmt(interval[1], 'acc')}"
