"""Section 6 of the report: training against validation per epoch for every model that
records a history, the seconds it took to reach a target accuracy, and every model's curve
on one elapsed-seconds axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnistbench.report import figures as F
from mnistbench.report.per_spec import finished_by_spec
from mnistbench.report.tables import fmt
from mnistbench.results import SavedRun
from mnistbench.results.metric_table import finite

TARGET_ACCURACY = 0.95


def _time_to_target(history: Sequence[dict], target: float) -> float | None:
    for row in history:
        if (row.get("val_accuracy") or 0) >= target:
            return row.get("elapsed_s")
    return None


def _epoch_range(history: Sequence[dict]) -> str:
    """Fastest and slowest epoch (wall s, with CPU s of the slowest): where a slowdown was."""
    walls = [row["wall_s"] for row in history if finite(row.get("wall_s"))]
    if not walls:
        return "–"
    slowest = max(history, key=lambda row: row.get("wall_s") or 0)
    return (
        f"{fmt(min(walls), 'sec')}–{fmt(max(walls), 'sec')} (epoch {slowest.get('epoch')}: "
        f"CPU {fmt(slowest.get('cpu_s'), 'sec')})"
    )


def learning_curves(
    run: SavedRun, sink: F.FigureSink, target: float = TARGET_ACCURACY
) -> list[dict[str, Any]]:
    out = []
    for spec, results in finished_by_spec(run).items():
        with_history = [r for r in results if r.record.history]
        if not with_history:
            continue
        histories = [r.record.history for r in with_history]
        seeds = [r.record.seed for r in with_history]
        fig = F.learning_curves(histories, seeds, target)
        facts = []
        for seed, history in zip(seeds, histories, strict=True):
            last = history[-1]
            reached = _time_to_target(history, target)
            best = max((row.get("val_accuracy") or 0) for row in history)
            facts.append(
                {
                    "seed": seed,
                    "epochs": len(history),
                    "elapsed": fmt(last.get("elapsed_s"), "sec"),
                    "per_epoch": fmt((last.get("elapsed_s") or float("nan")) / len(history), "sec"),
                    "best_val": fmt(best, "acc"),
                    "epoch_range": _epoch_range(history),
                    "reached": fmt(reached, "sec") + " s" if reached is not None else "not reached",
                }
            )
        out.append(
            {
                "spec": spec,
                "src": sink.embed(fig, f"curves-{spec}"),
                "facts": facts,
                "note": _curve_note(histories),
            }
        )
    return out


def _curve_note(histories: Sequence[Sequence[dict]]) -> str:
    """Where a curve's rows came from, when not from a timed per-epoch callback."""
    rows = [row for history in histories for row in history]
    notes = []
    if any(row.get("replay") for row in rows):
        notes.append(
            "replayed after the timed fit on a fresh copy, one partial_fit epoch "
            "per point (same settings, its own shuffling); seconds are the "
            "replay's, the recorded fit time is untouched"
        )
    if any(row.get("elapsed_estimated") for row in rows):
        notes.append("recorded by the fit per iteration; seconds spread evenly over the timed fit")
    if any("hinge_loss" in row for row in rows) and not any("loss" in row for row in rows):
        notes.append("loss is the mean one-vs-rest hinge loss (no probabilities)")
    return "; ".join(notes)


def curves_overview(run: SavedRun, sink: F.FigureSink) -> str | None:
    """Every model with a history (first seed) on one elapsed-seconds axis."""
    histories, labels, families = [], [], []
    for spec, results in finished_by_spec(run).items():
        res = next((r for r in results if r.record.history), None)
        if res is not None:
            histories.append(res.record.history)
            labels.append(spec)
            families.append(res.record.family or "")
    if not histories:
        return None
    return sink.embed(F.curves_by_time(histories, labels, families), "curves-by-time")
