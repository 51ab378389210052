"""Section 2 of the report: one row per model (mean ± spread over seeds, the best value of
each column starred, disturbed timings marked, augmented models marked and never starred:
they trained on more digits than the others) and each model's parameters."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mnistbench.analysis.summary import aggregate
from mnistbench.report.intervals import accuracy_intervals, interval_text
from mnistbench.report.tables import Cell, fmt
from mnistbench.results import SavedRun
from mnistbench.results.metric_table import finite, selected


def summary_rows(
    frame: pd.DataFrame, signals: dict[tuple[str, str], tuple[bool, str]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """One row per spec (mean ± spread over seeds), best cell per column flagged; timing
    cells carry their phase's disturbance signals on hover and are marked when disturbed."""
    signals = signals or {}
    intervals = accuracy_intervals(frame)
    agg = aggregate(frame)
    rows: list[dict[str, Any]] = []
    counts = frame.groupby("spec", sort=False)["status"].agg(
        lambda s: (int((s == "ok").sum()), len(s))
    )
    columns = selected("report")
    augmented = (
        set(frame.loc[frame["augmented"].fillna(False).astype(bool), "spec"])
        if "augmented" in frame.columns
        else set()
    )
    for _, a in agg.iterrows():
        cells = []
        for m in columns:
            mean, std = a.get(m.key), a.get(f"{m.key}_std")
            text = fmt(mean, m.fmt)
            if m.key == "accuracy" and finite(std) and a.get("n_seeds", 1) > 1:
                text += f" ± {float(std):.4f}"
            interval = interval_text(intervals.get(a["spec"])) if m.key == "accuracy" else ""
            if interval:
                text += f" ({interval})"
            spread = f"σ over seeds {fmt(std, m.fmt)}" if finite(std) else ""
            disturbed_cell, hover = signals.get((a["spec"], m.phase or ""), (False, ""))
            title = "\n".join(
                t for t in (spread, "95 % CI " + interval if interval else "", hover) if t
            )
            cells.append(
                Cell(
                    text,
                    float(mean) if finite(mean) else None,
                    title=title,
                    css="disturbed" if disturbed_cell else "",
                )
            )
        ok, total = counts.get(a["spec"], (0, 0))
        rows.append(
            {
                "spec": a["spec"],
                "family": a.get("family") or "",
                "cells": cells,
                "seeds": f"{ok}/{total}",
                "failed": ok < total,
                "augmented": a["spec"] in augmented,
            }
        )
    for spec, (ok, total) in counts.items():
        if ok == 0:
            family = frame.loc[frame["spec"] == spec, "family"].iloc[0]
            statuses = set(frame.loc[frame["spec"] == spec, "status"])
            word = "timeout" if statuses == {"timeout"} else "failed"
            rows.append(
                {
                    "spec": spec,
                    "family": family or "",
                    "failed": True,
                    "augmented": spec in augmented,
                    "seeds": f"0/{total}",
                    "cells": [Cell(word if i == 0 else "–") for i in range(len(columns))],
                }
            )
    # Augmented models saw shifted copies of their digits: the best of a column is judged
    # among the models that saw the same data.
    same_data = [r for r in rows if not r.get("augmented")]
    for j, m in enumerate(columns):
        values = [r["cells"][j].value for r in same_data if r["cells"][j].value is not None]
        if len(values) < 2:
            continue
        target = max(values) if m.higher_is_better else min(values)
        for r in same_data:
            if r["cells"][j].value == target:
                r["cells"][j].best = True
    headers = [{"text": m.label, "better": f"{m.better} is better"} for m in columns]
    return rows, headers


def summary_notes(run: SavedRun) -> dict[str, Any]:
    """What the summary states beside its table: the time-to-accuracy target and the
    machine's estimated peak that the training FLOP/s compare against."""
    target = run.meta.target_accuracy
    peak = next(
        (
            res.record.environment.peak_flops_basis
            for res in run.results
            if res.record.flops_per_epoch
            and res.record.environment is not None
            and res.record.environment.peak_flops_basis
        ),
        None,
    )
    return {"target_accuracy": fmt(target, "acc") if target else None, "peak_flops": peak}


def parameters(run: SavedRun) -> list[dict[str, Any]]:
    """Each spec's full parameter set (first record that has one), shown as text."""
    seen: dict[str, dict[str, Any]] = {}
    for res in run.results:
        params = res.record.params
        if params and res.record.spec not in seen:
            seen[res.record.spec] = params
    return [
        {"spec": spec, "pairs": [(k, _param_text(v)) for k, v in params.items()]}
        for spec, params in seen.items()
    ]


def _param_text(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(map(_param_text, value)) + ")"
    return repr(value) if isinstance(value, str) else str(value)
