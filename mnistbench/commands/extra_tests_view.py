"""The second test part in the terminal: each model's accuracy on the main test part beside
its accuracy on the data set's second one (QMNIST's 50,000 digits lost from MNIST's test
set), the check of Yadav & Bottou, "Cold Case: The Lost MNIST Digits", NeurIPS 2019.
``mnistbench run`` and ``mnistbench summary`` print it after their summary, only when a
record holds a second test part."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from mnistbench.analysis.extra_tests import ExtraTestRow, Scored, extra_test_rows
from mnistbench.commands.display import console
from mnistbench.results import SavedRun

CITATION = 'Yadav & Bottou, "Cold Case: The Lost MNIST Digits", NeurIPS 2019'


def extra_tests_table(rows: Sequence[ExtraTestRow]) -> Table | None:
    """One row per spec and second test part; None when there is none."""
    if not rows:
        return None
    table = Table(title="Second test part: main test digits against the lost ones")
    for col in ("model", "test part", "main test (95 % interval)", "second part", "difference"):
        table.add_column(col, justify="left" if col in ("model", "test part") else "right")
    table.add_column("95 % interval", justify="right")
    for row in rows:
        seeds = f" ×{row.n_seeds}" if row.n_seeds > 1 else ""
        table.add_row(
            escape(row.spec) + seeds,
            escape(row.part),
            _scored(row.main),
            _scored(row.extra),
            f"{row.difference * 100:+.2f} pts",
            _interval(row.low * 100, row.high * 100, "{:+.2f}"),
        )
    table.caption = (
        "difference: second part − main part, in accuracy points; its interval: normal "
        "approximation for two independent proportions (with several seeds widened to cover "
        f"Student's t over the seeds); the check of {CITATION}"
    )
    return table


def show_extra_tests(runs: Sequence[SavedRun]) -> None:
    """Print the table when any record of ``runs`` holds a second test part."""
    table = extra_tests_table(extra_test_rows(runs))
    if table is not None:
        console.print(table)


def _scored(s: Scored) -> str:
    digits = f", {s.n_test:,} digits" if s.n_test else ""
    return f"{s.accuracy:.4f} ({_interval(s.low, s.high)}{digits})"


def _interval(low: float, high: float, fmt: str = "{:.4f}") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    return f"{fmt.format(low)}–{fmt.format(high)}"
