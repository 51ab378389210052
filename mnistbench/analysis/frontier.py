"""Each model against its family's best published accuracy: the anchor its model file
declares (``ModelEntry.published``), the source, and the gap in accuracy points.

An anchor was measured on one data set's split with the whole training part (full MNIST's
official split, for the built-in ones): a run is set against it only there, never on
another data set, another split or a point of a training-size curve. A model that trained
on copies of its digits it made itself (``augmented``) is flagged: it saw more than the
training digits the anchor, which is without augmentation, was reached with.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mnistbench.analysis.intervals import accuracy_intervals
from mnistbench.errors import ModelSpecError
from mnistbench.models import PublishedResult, get_entry
from mnistbench.results import SavedRun

#: the table's columns: gap_points is accuracy − anchor, in points (0.01 accuracy = 1 point)
COLUMNS = (
    "run_id",
    "dataset",
    "spec",
    "model",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "n_seeds",
    "anchor",
    "anchor_dataset",
    "source",
    "gap_points",
    "augmented",
)


def gap_points(accuracy: float, anchor: float) -> float:
    """Accuracy minus the anchor, in percentage points (negative: below the anchor)."""
    return (accuracy - anchor) * 100


def _anchor(model: str) -> PublishedResult | None:
    try:
        return get_entry(model).published
    except ModelSpecError:  # a plug-in's model no longer installed: no anchor to read
        return None


def published_gaps(run: SavedRun) -> pd.DataFrame:
    """One row per spec whose family declares a published anchor measured as this run
    measured it (same data set and split, whole training part): its mean test accuracy
    over the ok seeds with the summary's 95 % interval, the anchor, its source, the gap
    in points and whether the model trained on augmented digits. Empty: no such spec."""
    frame = run.to_frame()
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    ok = frame[frame["status"] == "ok"].copy()
    ok["dataset"] = ok["dataset"].fillna(run.meta.dataset or "")
    whole = [
        pd.isna(size) or size == run.meta.split_of(dataset).get("n_train")
        for size, dataset in zip(ok["train_size"], ok["dataset"], strict=True)
    ]
    ok = ok[whole]
    intervals = accuracy_intervals(ok)
    rows = []
    for spec, group in ok.groupby("spec", sort=False):
        first = group.iloc[0]
        anchor = _anchor(str(first["model"]))
        scheme = first["split_scheme"] if isinstance(first["split_scheme"], str) else None
        if anchor is None or not anchor.applies_to(str(first["dataset"]), scheme):
            continue
        accuracy = float(pd.to_numeric(group["accuracy"], errors="coerce").mean())
        low, high, _ = intervals.get(str(spec), (float("nan"), float("nan"), False))
        rows.append(
            {
                "run_id": run.run_id,
                "dataset": first["dataset"],
                "spec": spec,
                "model": first["model"],
                "accuracy": accuracy,
                "accuracy_low": float(low),
                "accuracy_high": float(high),
                "n_seeds": len(group),
                "anchor": anchor.accuracy,
                "anchor_dataset": anchor.dataset,
                "source": anchor.source,
                "gap_points": gap_points(accuracy, anchor.accuracy),
                "augmented": bool(group["augmented"].fillna(False).astype(bool).any()),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def published_gaps_of(runs: Sequence[SavedRun]) -> pd.DataFrame:
    """``published_gaps`` of every run, one table (each row names its run)."""
    tables = [t for t in (published_gaps(run) for run in runs) if not t.empty]
    if not tables:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(tables, ignore_index=True)
