"""Section 8 of the report: each preset as written (``X@notebook``) against its tuned
default in the same run: speed-ups, accuracy gains and the suite's totals."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mnistbench.analysis.summary import speedup_totals, speedups
from mnistbench.report.tables import generic_table


def preset_speedups_context(frame: pd.DataFrame) -> dict[str, Any]:
    """``speedups`` (one row per pair) and ``speedup_totals``, each None when empty."""
    pairs = speedups(frame) if not frame.empty else pd.DataFrame()
    totals = speedup_totals(pairs)
    return {
        "speedups": generic_table(pairs) if not pairs.empty else None,
        "speedup_totals": generic_table(pd.DataFrame([totals])) if totals else None,
    }
