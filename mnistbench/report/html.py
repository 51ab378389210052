"""Turn saved runs into the report's template context and render it.

Everything here reads results written by ``mnistbench run`` (``load_run``); nothing
trains. User-originated strings go to the template as plain strings and are escaped by
Jinja2's autoescape; only our own figure ``data:`` URIs are marked safe by the template.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from mnistbench.analysis.compare import Comparison, change_column, compare_runs
from mnistbench.analysis.statistics import seed_interval
from mnistbench.analysis.summary import (
    aggregate,
    mixed_hosts,
    significance,
    speedup_totals,
    speedups,
)
from mnistbench.files import atomic_write, timestamp
from mnistbench.report import figures as F
from mnistbench.report.explorer import confused_pairs, explorer_context
from mnistbench.report.training_size import training_size_context
from mnistbench.results import Result, SavedRun, load_run
from mnistbench.results.metric_table import BY_KEY, finite, format_change, format_value, selected
from mnistbench.results.record import Environment, WeightInfo

TARGET_ACCURACY = 0.95
MISTAKES_PER_MODEL = 12


def _finite(value: Any) -> bool:
    return finite(value)


def fmt(value: Any, kind: str = "g") -> str:
    """Format one number for a table cell (the metric table's formats)."""
    return format_value(value, kind)


@dataclass
class Cell:
    text: str
    value: Any = None  # what the table sorts on
    best: bool = False
    css: str = ""
    title: str = ""


# ---------------------------------------------------------------- section 1: header


def header_info(run: SavedRun) -> dict[str, Any]:
    """Data set, split, seeds, dates and the machine, as the template shows them."""
    meta = run.meta
    split = meta.split or {}
    envs = [r.record.environment for r in run.results if r.record.environment]
    # Prefer a record made after TensorFlow started, which knows its thread pools.
    found = next(
        (e for e in reversed(envs) if e.threads and e.threads.tensorflow_intra_op), None
    ) or (envs[0] if envs else None)
    env = found or Environment()
    threads = env.threads
    commits = sorted({str(e.commit) for e in envs} - {"None"})
    blas = ", ".join(
        f"{b.get('api')}: {b.get('num_threads')}" for b in (threads.blas if threads else [])
    )
    return {
        "run_id": meta.run_id,
        "path": str(run.path),
        "status": meta.status,
        "dataset": meta.dataset,
        "data_source": meta.data_source,
        "scheme": split.get("scheme"),
        "sizes": "/".join(
            f"{split.get(k, '?'):,}" if isinstance(split.get(k), int) else "?"
            for k in ("n_train", "n_val", "n_test")
        ),
        "image_shape": "×".join(map(str, split.get("image_shape") or [])),
        "fingerprint": split.get("fingerprint"),
        "split_seed": split.get("seed"),
        "seeds": ", ".join(map(str, meta.seeds)),
        "created": meta.created,
        "finished": meta.finished,
        "threads": meta.threads,
        "jobs": meta.jobs,
        "cpu": env.cpu,
        "cores": (
            f"{env.cores_physical} physical / {env.cores_logical} logical, "
            f"{env.cores_available} available"
        )
        if found
        else None,
        "memory_gb": env.memory_gb,
        "platform": env.platform,
        "python": env.python,
        "thread_info": (
            f"BLAS {blas or '–'}; TensorFlow intra-op "
            f"{threads.tensorflow_intra_op or '–'}, inter-op "
            f"{threads.tensorflow_inter_op or '–'}"
        )
        if threads
        else None,
        "versions": env.versions,
        "commit": ", ".join(commits) or None,
        "command": " ".join(map(str, meta.command)),
    }


# ---------------------------------------------------------------- section 2: summary


def phase_signals(run: SavedRun) -> dict[tuple[str, str], tuple[bool, str]]:
    """Per (spec, phase): whether any seed's timing was disturbed, and every seed's signals
    as hover text (CPU/wall, steal, other processes, load, repeats, verdict)."""
    texts: dict[tuple[str, str], list[str]] = {}
    flags: dict[tuple[str, str], bool] = {}
    for res in run.results:
        timing = res.record.timing
        if not res.ok or timing is None:
            continue
        for phase, sig in timing.phases.items():
            key = (res.record.spec, phase)
            steal = "n/a" if sig.steal_fraction is None else f"{100 * sig.steal_fraction:.1f} %"
            others = "n/a" if sig.others_cores is None else f"{sig.others_cores:.2f}"
            verdict = "disturbed: " + "; ".join(sig.reasons) if sig.disturbed else "clean"
            texts.setdefault(key, []).append(
                f"seed {res.record.seed} {phase}: {verdict} (CPU/wall {sig.cpu_per_wall} for "
                f"{sig.threads} thread(s), steal {steal}, other processes {others} cores, "
                f"load {sig.load_1min} on {sig.cores} cores, {sig.repeats} repeat(s))"
            )
            flags[key] = flags.get(key, False) or sig.disturbed
    return {key: (flags[key], "\n".join(lines)) for key, lines in texts.items()}


def accuracy_intervals(frame: pd.DataFrame) -> dict[str, tuple[float, float, bool]]:
    """Per spec: the 95 % interval of its accuracy over the test digits (the Wilson
    interval each record holds, averaged over seeds) and, with several seeds, widened to
    cover Student's t interval over the seeds: a deterministic model repeats itself
    exactly over seeds, yet its accuracy is still an estimate from a finite test set."""
    out = {}
    ok = frame[frame["status"] == "ok"]
    for spec, group in ok.groupby("spec", sort=False):
        low = pd.to_numeric(group["accuracy_ci_low"], errors="coerce").mean()
        high = pd.to_numeric(group["accuracy_ci_high"], errors="coerce").mean()
        over_seeds = len(group) > 1
        if over_seeds:
            t_low, t_high = seed_interval(group["accuracy"].astype(float).tolist())
            low = np.nanmin([low, t_low])
            high = np.nanmax([high, t_high])
        out[str(spec)] = (low, high, over_seeds)
    return out


def _interval_text(interval: tuple[Any, Any, bool] | None) -> str:
    if interval is None or not _finite(interval[0]):
        return ""
    return f"{fmt(interval[0], 'acc')}–{fmt(interval[1], 'acc')}"


def significance_context(run: SavedRun, frame: pd.DataFrame) -> dict[str, Any] | None:
    """The McNemar matrix and ranking of section 7c."""
    sig = significance(run)
    if len(sig.ranking) < 2:
        return None
    names = [r.name for r in sig.ranking]
    tests = {}
    for p in sig.pairs:
        tests[(p.first, p.second)] = (p, p.test.only_first, p.test.only_second)
        tests[(p.second, p.first)] = (p, p.test.only_second, p.test.only_first)
    intervals = accuracy_intervals(frame)
    rows = []
    for r in sig.ranking:
        cells = []
        for other in names:
            if other == r.name:
                cells.append({"text": "–", "css": "", "title": ""})
                continue
            pair, mine, theirs = tests[(r.name, other)]
            verdict = (
                "wins" if pair.winner == r.name else "loses" if pair.winner == other else "tie"
            )
            cells.append(
                {
                    "text": f"{'▲' if verdict == 'wins' else '▼' if verdict == 'loses' else '='} "
                    f"+{mine}/−{theirs}",
                    "css": {"wins": "good", "loses": "bad"}.get(verdict, "muted"),
                    "title": f"{r.name} vs {other}: {mine} digits only {r.name} gets right, "
                    f"{theirs} only {other}; p = {pair.test.p_value:.3g}, Holm-corrected "
                    f"{pair.p_adjusted:.3g}",
                }
            )
        text = fmt(r.accuracy, "acc")
        interval = _interval_text(intervals.get(r.name))
        rows.append(
            {
                "rank": r.rank,
                "name": r.name,
                "cells": cells,
                "accuracy": f"{text} ({interval})" if interval else text,
            }
        )
    y_true = next(
        (res.arrays.get("y_true") for res in run.results if res.ok and "y_true" in res.arrays), None
    )
    return {
        "names": names,
        "rows": rows,
        "missing": sig.without_predictions,
        "n_pairs": len(sig.pairs),
        "n_digits": len(y_true) if y_true is not None else "?",
        "seed": f"seed {sig.seed}" if sig.seed is not None else "each model's first seed",
        "over_seeds": any(v[2] for v in intervals.values()),
    }


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
    for _, a in agg.iterrows():
        cells = []
        for m in columns:
            mean, std = a.get(m.key), a.get(f"{m.key}_std")
            text = fmt(mean, m.fmt)
            if m.key == "accuracy" and _finite(std) and a.get("n_seeds", 1) > 1:
                text += f" ± {float(std):.4f}"
            interval = _interval_text(intervals.get(a["spec"])) if m.key == "accuracy" else ""
            if interval:
                text += f" ({interval})"
            spread = f"σ over seeds {fmt(std, m.fmt)}" if _finite(std) else ""
            disturbed_cell, hover = signals.get((a["spec"], m.phase or ""), (False, ""))
            title = "\n".join(
                t for t in (spread, "95 % CI " + interval if interval else "", hover) if t
            )
            cells.append(
                Cell(
                    text,
                    float(mean) if _finite(mean) else None,
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
                    "seeds": f"0/{total}",
                    "cells": [Cell(word if i == 0 else "–") for i in range(len(columns))],
                }
            )
    for j, m in enumerate(columns):
        values = [r["cells"][j].value for r in rows if r["cells"][j].value is not None]
        if len(values) < 2:
            continue
        target = max(values) if m.higher_is_better else min(values)
        for r in rows:
            if r["cells"][j].value == target:
                r["cells"][j].best = True
    headers = [{"text": m.label, "better": f"{m.better} is better"} for m in columns]
    return rows, headers


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


def failures(run: SavedRun) -> list[dict[str, str]]:
    """Tasks that failed (a timeout is listed by ``timeouts``: not the model's error)."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "error": r.record.error or "unknown error"}
        for r in run.results
        if not r.ok and not r.record.timed_out
    ]


def timeouts(run: SavedRun) -> list[dict[str, str]]:
    """Tasks that ran out of their --task-timeout budget, with how far they got."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "why": r.record.error or ""}
        for r in run.results
        if r.record.timed_out
    ]


def disturbed(run: SavedRun) -> list[dict[str, Any]]:
    """Tasks that ran alongside others (``--jobs``): their timings are not clean."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "jobs": r.record.parallel_jobs}
        for r in run.results
        if r.record.parallel_jobs > 1
    ]


def disturbed_timings(run: SavedRun) -> list[dict[str, Any]]:
    """Every timed phase the machine disturbed (steal, other processes, starvation,
    concurrent tasks), with the reasons."""
    out = []
    for r in run.results:
        if r.ok and r.record.timing is not None:
            for phase in r.record.timing.phases:
                why = r.record.timing.disturbance(phase)
                if why:
                    out.append(
                        {"spec": r.record.spec, "seed": r.record.seed, "phase": phase, "why": why}
                    )
    return out


# ---------------------------------------------------------------- per-spec helpers


def _by_spec(run: SavedRun) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = {}
    for res in run.results:
        if res.ok:
            groups.setdefault(res.record.spec, []).append(res)
    return groups


def _class_names(run: SavedRun, n: int) -> list[str]:
    names = list(run.meta.split.get("class_names") or [])
    return names if len(names) == n else [str(i) for i in range(n)]


def confusion_tables(run: SavedRun) -> list[dict[str, Any]]:
    """Row-normalised confusion matrices (counts summed over seeds) as HTML heat maps."""
    out = []
    for spec, results in _by_spec(run).items():
        mats = [r.arrays.get("confusion") for r in results]
        mats = [m for m in mats if m is not None]
        if not mats:
            continue
        counts = np.sum(mats, axis=0)
        names = _class_names(run, counts.shape[0])
        totals = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, totals, out=np.zeros(counts.shape, float), where=totals > 0)
        rows = []
        for i, name in enumerate(names):
            cells = []
            for j, pred in enumerate(names):
                p = float(share[i, j])
                cells.append(
                    {
                        "pct": f"{100 * p:.0f}" if counts[i, j] else "·",
                        "count": f"{counts[i, j]:,}" if counts[i, j] else "·",
                        "alpha": f"{min(1.0, p**0.6):.3f}" if counts[i, j] else "0",
                        "dark": p > 0.45,
                        "diag": i == j,
                        "title": f"true {name}, predicted {pred}: {counts[i, j]:,} of "
                        f"{totals[i, 0]:,} ({100 * p:.1f} %)",
                    }
                )
            rows.append({"name": name, "cells": cells, "total": f"{totals[i, 0]:,}"})
        out.append(
            {
                "spec": spec,
                "names": names,
                "rows": rows,
                "n_seeds": len(mats),
                "accuracy": fmt(np.trace(counts) / max(1, counts.sum()), "acc"),
            }
        )
    return out


def weight_maps(run: SavedRun, sink: F.FigureSink) -> list[dict[str, str]]:
    """First seed's weight images per spec, captioned as the model describes them."""
    out = []
    for spec, results in _by_spec(run).items():
        res = results[0]
        images = res.arrays.get("weight_images")
        if images is None or images.ndim != 3 or images.size == 0:
            continue
        n_classes = len(run.meta.split.get("class_names") or []) or 10
        # Records from before models described their weights: one image per class is
        # the best guess there is.
        info = res.record.weights or WeightInfo(per_class=len(images) == n_classes)
        if info.per_class:
            caption = info.caption
            titles = _class_names(run, len(images))
            fig = F.weight_grid(images, titles, shared_scale=True, columns=5)
        else:
            kind = info.caption
            shown = min(len(images), F.MAX_UNITS)
            caption = f"{kind}: {shown} of {len(images)}, each on its own symmetric scale"
            fig = F.weight_grid(images, None, shared_scale=False, columns=8)
        out.append(
            {
                "spec": spec,
                "caption": caption,
                "seed": res.record.seed,
                "src": sink.embed(fig, f"weights-{spec}"),
            }
        )
    return out


def _time_to_target(history: Sequence[dict], target: float) -> float | None:
    for row in history:
        if (row.get("val_accuracy") or 0) >= target:
            return row.get("elapsed_s")
    return None


def _epoch_range(history: Sequence[dict]) -> str:
    """Fastest and slowest epoch (wall s, with CPU s of the slowest): where a slowdown was."""
    walls = [row["wall_s"] for row in history if _finite(row.get("wall_s"))]
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
    for spec, results in _by_spec(run).items():
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
    for spec, results in _by_spec(run).items():
        res = next((r for r in results if r.record.history), None)
        if res is not None:
            histories.append(res.record.history)
            labels.append(spec)
            families.append(res.record.family or "")
    if not histories:
        return None
    return sink.embed(F.curves_by_time(histories, labels, families), "curves-by-time")


def f1_figure(run: SavedRun, sink: F.FigureSink) -> str | None:
    specs, rows = [], []
    for spec, results in _by_spec(run).items():
        f1 = [
            r.record.metrics.per_class.f1
            if r.record.metrics and r.record.metrics.per_class
            else None
            for r in results
        ]
        f1 = [v for v in f1 if v]
        if f1:
            specs.append(spec)
            rows.append(np.mean(np.asarray(f1, float), axis=0))
    if not rows:
        return None
    width = max(len(r) for r in rows)
    matrix = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        matrix[i, : len(r)] = r
    return sink.embed(F.f1_heatmap(matrix, specs, _class_names(run, width)), "per-class-f1")


def mistake_gallery(run: SavedRun, limit: int = MISTAKES_PER_MODEL) -> list[dict[str, Any]]:
    """The first seed's most confident mistakes per spec."""
    out = []
    for spec, results in _by_spec(run).items():
        res = results[0]
        arrays = res.arrays
        images = arrays.get("mistake_image")
        if images is None:
            continue
        names = _class_names(run, int(run.meta.split.get("n_classes") or 10))
        conf = arrays.get("mistake_confidence")
        margin = arrays.get("mistake_margin") if conf is None else None
        items = []
        for k in range(min(limit, len(images))):
            true, pred = int(arrays["mistake_true"][k]), int(arrays["mistake_pred"][k])
            items.append(
                {
                    "src": F.digit_png(images[k]),
                    "true": names[true] if true < len(names) else str(true),
                    "pred": names[pred] if pred < len(names) else str(pred),
                    "confidence": f"{100 * float(conf[k]):.0f} %"
                    if conf is not None
                    else f"margin {float(margin[k]):.2f}"
                    if margin is not None and k < len(margin)
                    else "–",
                }
            )
        out.append(
            {
                "spec": spec,
                "seed": res.record.seed,
                "digits": items,
                "has_confidence": conf is not None,
                "has_margin": margin is not None,
            }
        )
    return out


# ---------------------------------------------------------------- section 8


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
    if not _finite(value):
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


# ---------------------------------------------------------------- assembly


def run_sections(run: SavedRun, sink: F.FigureSink) -> dict[str, Any]:
    """Sections 2–8 of one run."""
    frame = run.to_frame()
    rows, headers = summary_rows(frame, phase_signals(run)) if not frame.empty else ([], [])
    agg = aggregate(frame) if not frame.empty else pd.DataFrame()
    scatter = None
    if not agg.empty and "fit_wall_s" in agg and "accuracy" in agg:
        ok = agg[agg["fit_wall_s"].gt(0) & agg["accuracy"].notna()]
        if not ok.empty:
            fig = F.accuracy_vs_time(
                list(ok["spec"]),
                list(ok["family"].fillna("")),
                ok["fit_wall_s"].to_numpy(),
                ok.get("fit_wall_s_std", pd.Series(np.nan, ok.index)).to_numpy(),
                ok["accuracy"].to_numpy(),
                ok.get("accuracy_std", pd.Series(np.nan, ok.index)).to_numpy(),
            )
            scatter = sink.embed(fig, "accuracy-vs-fit-time")
    pairs = speedups(frame) if not frame.empty else pd.DataFrame()
    totals = speedup_totals(pairs)
    return {
        "summary": rows,
        "summary_headers": headers,
        "failures": failures(run),
        "timeouts": timeouts(run),
        "disturbed": disturbed(run),
        "disturbed_timings": disturbed_timings(run),
        "mixed_hosts": mixed_hosts(frame) if not frame.empty else {},
        "params": parameters(run),
        "scatter": scatter,
        "confusions": confusion_tables(run),
        "weights": weight_maps(run, sink),
        "curves": learning_curves(run, sink),
        "target": TARGET_ACCURACY,
        "curves_overview": curves_overview(run, sink),
        "explorer": explorer_context(run),
        "confused": confused_pairs(run),
        "specs": list(dict.fromkeys(r["spec"] for r in rows)),
        "f1": f1_figure(run, sink),
        "mistakes": mistake_gallery(run),
        "significance": significance_context(run, frame) if not frame.empty else None,
        "speedups": generic_table(pairs) if not pairs.empty else None,
        "speedup_totals": generic_table(pd.DataFrame([totals])) if totals else None,
        **training_size_context(run, sink),  # 3b training-set size, 3c sweeps (when present)
    }


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
            cells.append(Cell(fmt(r.get(f"{m.key}_base"), m.fmt), _num(r.get(f"{m.key}_base"))))
            cells.append(
                Cell(fmt(r.get(f"{m.key}_current"), m.fmt), _num(r.get(f"{m.key}_current")))
            )
            value = r.get(change_column(m))
            cells.append(Cell(format_change(value, m), _num(value), css=css, title=verdict))
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


def _num(value: Any) -> float | None:
    return float(value) if _finite(value) else None


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mnistbench.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(context: dict[str, Any]) -> str:
    """Render the report template with ``context`` (autoescaped)."""
    context = {"generated": timestamp(), "fmt": fmt, **context}
    return _environment().get_template("report.html").render(**context)


def _title(runs: Sequence[SavedRun]) -> str:
    names = ", ".join(r.run_id for r in runs)
    return f"mnistbench report: {names}"


def build_report(runs: Sequence[SavedRun], figures_dir: Path | None = None) -> str:
    """The whole report for ``runs`` as one HTML string; sections 2–8 describe the last
    run, section 9 compares every later run with the first."""
    if not runs:
        raise ValueError("a report needs at least one run")
    sink = F.FigureSink(figures_dir)
    primary = runs[-1]
    comparisons = [comparison_context(compare_runs(runs[0], r)) for r in runs[1:]]
    return render(
        {
            "title": _title(runs),
            "headers": [header_info(r) for r in runs],
            "primary": header_info(primary),
            "sections": run_sections(primary, sink),
            "comparisons": comparisons,
        }
    )


REPORTS_DIR = Path("reports")


def default_report_path(run_dirs: Sequence[Path]) -> Path:
    """``reports/<run id>.html``; for a comparison, ``reports/<first>-vs-<last>.html``."""
    names = [Path(p).resolve().name for p in run_dirs]
    stem = names[-1] if len(names) == 1 else f"{names[0]}-vs-{names[-1]}"
    return REPORTS_DIR / f"{stem}.html"


def write_report(run_dirs: Sequence[Path], path: Path, figures_dir: Path | None = None) -> Path:
    """Read the run directories (never train) and write one self-contained HTML file
    atomically, so a failure leaves no half-written report."""
    runs = [load_run(p) for p in run_dirs]
    for run in runs:  # a damaged NPZ stops the report before any file is written
        for res in run.results:
            res.arrays  # noqa: B018
    html = build_report(runs, figures_dir)
    path = Path(path)
    atomic_write(path, html.encode("utf-8"))
    _readable(path)
    return path


def _readable(path: Path) -> None:
    """``atomic_write`` creates private files; a report is meant to be shared."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_comparison_report(comparison: Comparison, path: Path) -> Path:
    """A self-contained HTML holding the comparison (section 9) and both runs' headers,
    for ``mnistbench compare --html``."""
    html = render(
        {
            "title": _title([comparison.baseline, comparison.current]),
            "headers": [header_info(comparison.baseline), header_info(comparison.current)],
            "primary": None,
            "sections": None,
            "comparisons": [comparison_context(comparison)],
        }
    )
    path = Path(path)
    atomic_write(path, html.encode("utf-8"))
    _readable(path)
    return path
