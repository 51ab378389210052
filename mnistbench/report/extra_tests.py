"""Section 7d of the report: each model's accuracy on the main test part beside its
accuracy on the data set's second test part (QMNIST's 50,000 digits lost from MNIST's test
set), the check of Yadav & Bottou, "Cold Case: The Lost MNIST Digits", NeurIPS 2019. Shown
only when a record holds a second test part; the numbers are
``mnistbench.analysis.extra_tests``'s."""

from __future__ import annotations

import math
from typing import Any

from mnistbench.analysis.extra_tests import Scored, extra_test_rows
from mnistbench.results import SavedRun

CITATION = 'Yadav & Bottou, "Cold Case: The Lost MNIST Digits", NeurIPS 2019'


def extra_tests_context(run: SavedRun) -> dict[str, Any]:
    """``extra_tests``: the section's rows, or None when no record has a second part."""
    rows = extra_test_rows([run])
    if not rows:
        return {"extra_tests": None}
    return {
        "extra_tests": {
            "citation": CITATION,
            "parts": sorted({r.part for r in rows}),
            "rows": [
                {
                    "spec": r.spec,
                    "part": r.part,
                    "n_seeds": r.n_seeds,
                    "main": _scored(r.main),
                    "extra": _scored(r.extra),
                    "difference": f"{r.difference * 100:+.2f}",
                    "difference_value": r.difference,
                    "interval": _interval(r.low * 100, r.high * 100, "{:+.2f}"),
                    "below": math.isfinite(r.high) and r.high < 0,
                    "above": math.isfinite(r.low) and r.low > 0,
                    "predict": f"{r.predict_s:.3g} s" if r.predict_s is not None else "–",
                }
                for r in rows
            ],
        }
    }


def _scored(s: Scored) -> dict[str, Any]:
    return {
        "accuracy": f"{s.accuracy:.4f}",
        "value": s.accuracy,
        "interval": _interval(s.low, s.high),
        "n": f"{s.n_test:,}" if s.n_test else "–",
    }


def _interval(low: float, high: float, fmt: str = "{:.4f}") -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{fmt.format(low)}–{fmt.format(high)}"
