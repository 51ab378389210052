"""Time to accuracy: the seconds a fit took to first reach a target validation accuracy
(DAWNBench's question, "how fast to good enough", asked of every model that trains in
epochs or iterations).

Computed from what a record already holds (its history's ``elapsed_s`` and
``val_accuracy`` per epoch, and the run's target), so analysis and reports never train.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: the contract's accuracy for MNIST: the default target of ``mnistbench run``
DEFAULT_TARGET_ACCURACY = 0.99
#: the value of a history that never reaches the target (shown as "not reached")
NOT_REACHED = math.inf


def time_to_accuracy(history: Sequence[dict[str, Any]], target: float | None) -> float | None:
    """Elapsed seconds at the first epoch whose validation accuracy reaches ``target``;
    ``NOT_REACHED`` when none does; None when there is nothing to judge (no target, or no
    epoch with both a validation accuracy and its elapsed seconds)."""
    if target is None:
        return None
    judged = [
        row
        for row in history
        if row.get("val_accuracy") is not None and row.get("elapsed_s") is not None
    ]
    if not judged:
        return None
    for row in judged:
        if float(row["val_accuracy"]) >= target:
            return float(row["elapsed_s"])
    return NOT_REACHED
