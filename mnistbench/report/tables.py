"""Table cells as the report's template draws them, and any frame turned into a table of
them, each cell formatted by what its column's name says."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mnistbench.results.metric_table import finite, format_value


def fmt(value: Any, kind: str = "g") -> str:
    """Format one number for a table cell (the metric table's formats)."""
    return format_value(value, kind)


def number(value: Any) -> float | None:
    """A cell's sort value: the number, or None for a missing or non-finite one."""
    return float(value) if finite(value) else None


#: where a table may wrap a cell's text but must not: between a number and its unit
#: ("1.67 %") or after a sign ("± 0.0012"); an interval may still wrap after its dash
_NO_BREAK = re.compile(r"(?<=\d) (?=[%×★])|(?<=[±≈]) ")


def unbreakable(text: str) -> str:
    """``text`` with no-break spaces where a wrap would part a number from its unit or
    sign, so a narrow column wraps only between whole values."""
    return _NO_BREAK.sub("\u00a0", text)


@dataclass
class Cell:
    text: str
    value: Any = None  # what the table sorts on
    best: bool = False
    css: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.text, str):
            self.text = unbreakable(self.text)


def generic_table(frame: pd.DataFrame, *, hidden: Sequence[str] = ()) -> dict[str, Any]:
    """Any frame as header + formatted cells, formatted by what its column names say, so
    columns added later (ratios, gains) still look right."""
    columns = [c for c in frame.columns if c not in hidden]
    rows = []
    for _, r in frame.iterrows():
        rows.append([_generic_cell(c, r[c]) for c in columns])
    return {"headers": [c.replace("_", " ") for c in columns], "rows": rows}


def _generic_cell(column: str, value: Any) -> Cell:
    if isinstance(value, bool | np.bool_):
        return Cell("yes" if value else "no", int(value), css="good" if value else "bad")
    if isinstance(value, str) or value is None:
        return Cell("–") if value is None else Cell(value, value)
    if not finite(value):
        return Cell("–")
    v = float(value)
    name = column.lower()
    if "speedup" in name or "speed_up" in name or name.endswith("ratio"):
        return Cell(fmt(v, "ratio"), v, css="good" if v > 1.05 else "bad" if v < 0.95 else "")
    if any(w in name for w in ("gain", "delta", "diff")):
        return Cell(fmt(v, "signed"), v, css="good" if v > 0 else "bad" if v < 0 else "")
    if "accuracy" in name or "f1" in name:
        return Cell(fmt(v, "acc"), v)
    if name.endswith("_s"):
        return Cell(fmt(v, "sec"), v)
    if "error" in name:
        return Cell(fmt(v, "pct"), v)
    if float(v).is_integer():
        return Cell(fmt(v, "int"), v)
    return Cell(fmt(v), v)
