"""Terminal output with rich: tables for data sets, models, run summaries and comparisons;
the live progress display. Only commands print; this module is how."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import pandas as pd
from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichBar
from rich.table import Table

from mnistbench.analysis.compare import Comparison, change_column
from mnistbench.analysis.summary import Significance, mixed_hosts
from mnistbench.data import DatasetInfo
from mnistbench.harness.runner import Progress, Task
from mnistbench.models import ModelEntry
from mnistbench.models.specs import TUNED_PRESET
from mnistbench.results.metric_table import (
    BY_KEY,
    finite,
    format_change,
    format_value,
    selected,
)
from mnistbench.results.record import PHASES, TaskRecord

# Piped output (CI logs) gets a width that fits the tables instead of rich's 80 columns.
console = Console(stderr=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

VERDICT_STYLES = {
    "regression": "bold red",
    "improvement": "green",
    "unchanged": "dim",
    "within noise": "yellow",
    "disturbed": "yellow",
}


def datasets_table(infos: Iterable[DatasetInfo]) -> Table:
    table = Table(title="Data sets")
    for col in ("name", "available", "samples", "image", "source / how to get it"):
        table.add_column(col)
    for info in infos:
        shape = "x".join(map(str, info.image_shape)) if info.image_shape else "-"
        table.add_row(
            info.name,
            "[green]yes[/]" if info.available else "[red]no[/]",
            f"{info.n_samples:,}" if info.n_samples else "-",
            shape,
            info.source,
        )
    return table


def _preset_space_text(entry: ModelEntry, preset: str) -> str:
    """What ``mnistbench tune --models name@preset`` searches, for a preset with a space."""
    space = entry.preset_spaces.get(preset)
    if space is None:
        return ""
    return f"; tuned by mnistbench tune --models {entry.name}@{preset}: searches " + ", ".join(
        space.names
    )


def models_table(entries: Iterable[ModelEntry]) -> Table:
    """Every model with its parameters and presets; an unavailable one says what it needs
    and the command that installs it."""
    table = Table(
        title="Models (tuned defaults; presets change the parameters shown)", show_lines=True
    )
    for col in ("model", "family", "parameter", "default", "presets"):
        table.add_column(col, overflow="fold")
    for entry in entries:
        names = sorted(entry.defaults)
        preset_text = "\n".join(
            f"@{p}"
            + (f" ({entry.preset_source(p)})" if entry.preset_source(p) else "")
            + (" [yellow]augmented[/]" if entry.is_augmented(values) else "")
            + ": "
            + ", ".join(f"{k}={v!r}" for k, v in values.items())
            + _preset_space_text(entry, p)
            for p, values in entry.presets.items()
        )
        if entry.cls.search_space is not None:  # @tuned: the profile of a tuning study
            tuned = (
                f"@{TUNED_PRESET} (the tuned profile of the run's data set, from "
                f"mnistbench tune): searches {', '.join(entry.cls.search_space.names)}"
            )
            preset_text = f"{preset_text}\n{tuned}" if preset_text else tuned
        unavailable = entry.unavailable_reason
        status = f"\n[yellow]unavailable: {escape(unavailable)}[/]" if unavailable else ""
        anchor = entry.published
        published = (
            f"\npublished best: {anchor.accuracy:.4f} on {anchor.dataset} ({anchor.split} "
            f"split), {escape(anchor.source)}"
            if anchor
            else ""
        )
        table.add_row(
            f"[bold]{entry.name}[/]\n{entry.description}{published}{status}",
            entry.family,
            "\n".join(names),
            "\n".join(repr(entry.defaults[n]) for n in names),
            preset_text or "-",
        )
    return table


def _cell(value: Any, kind: str) -> str:
    text = format_value(value, kind)
    return "-" if text == "–" else text


def _disturbed(row: Any, phase: str | None) -> bool:
    return phase is not None and row.get(f"{phase}_disturbed") is True


def summary_table(frame: pd.DataFrame) -> Table:
    """One line per task; the metric columns are the metric table's terminal rows. A timing
    taken while the machine was disturbed is marked ``*`` and explained under the table."""
    columns = selected("terminal")
    table = Table(title="Results (test set)")
    for header in ("spec", "seed", "status"):
        table.add_column(header, justify="left" if header != "seed" else "right")
    for m in columns:
        table.add_column(m.label, justify="right")
        if m.key == "accuracy":
            table.add_column("95 % CI", justify="right")
    notes = []
    for _, row in frame.iterrows():
        ok = row["status"] == "ok"
        cells = []
        for m in columns:
            text = _cell(row.get(m.key), m.fmt) if ok else "-"
            cells.append(f"[yellow]{text}*[/]" if ok and _disturbed(row, m.phase) else text)
            if m.key == "accuracy":
                low, high = row.get("accuracy_ci_low"), row.get("accuracy_ci_high")
                cells.append(
                    f"{_cell(low, 'f4')}–{_cell(high, 'f4')}" if ok and finite(low) else "-"
                )
        # A timeout (--task-timeout) is a budget spent, not the model's error: yellow.
        colour = "green" if ok else "yellow" if row["status"] == "timeout" else "red"
        table.add_row(
            escape(str(row["spec"])),
            str(row["seed"]),
            f"[{colour}]{escape(str(row['status']))}[/]",
            *cells,
        )
        if not ok:
            notes.append(
                f"[{colour}]{escape(str(row['spec']))} seed {row['seed']}: "
                f"{escape(str(row['error']))}[/]"
            )
        phases = [p for p in PHASES if ok and _disturbed(row, p)]
        if phases:
            why = " · ".join(f"{p}: {row[f'{p}_disturbance']}" for p in phases)
            notes.append(
                f"[yellow]* {escape(str(row['spec']))} seed {row['seed']} disturbed "
                f"— {escape(why)}[/]"
            )
    for spec, kinds in mixed_hosts(frame).items():
        notes.append(
            f"[yellow]! {escape(spec)}: seeds ran on different kinds of host "
            f"({escape(' / '.join(kinds))}); its timings do not compare[/]"
        )
    if notes:
        table.caption = "\n".join(notes)
    return table


def ranking_table(sig: Significance) -> Table | None:
    """Models ranked by accuracy; a shared rank means McNemar's test (Holm-corrected over
    every pair) cannot tell the models apart on these test digits."""
    if len(sig.ranking) < 2:
        return None
    seed = f"seed {sig.seed}" if sig.seed is not None else "each model's first seed"
    table = Table(title=f"Ranking on the same test digits (McNemar exact, Holm-corrected, {seed})")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("rank", "right"),
        ("spec", "left"),
        ("accuracy", "right"),
        ("cannot be told apart from", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify)
    for r in sig.ranking:
        table.add_row(
            str(r.rank),
            escape(r.name),
            format_value(r.accuracy, "acc"),
            escape(", ".join(r.ties)) or "-",
        )
    return table


def speedup_table(pairs: pd.DataFrame, totals: dict | None = None) -> Table | None:
    """As written (each preset variant) against the tuned default, in one run."""
    if pairs.empty:
        return None
    table = Table(title="As written (@preset) vs tuned: preset time / tuned time")
    for col in (
        "tuned",
        "as written",
        "accuracy tuned",
        "accuracy as written",
        "gain",
        "fit speed-up",
        "predict speed-up",
        "disturbed",
    ):
        table.add_column(
            col,
            justify="right"
            if "accuracy" in col or col in ("gain", "fit speed-up", "predict speed-up")
            else "left",
        )
    for _, row in pairs.iterrows():
        table.add_row(
            escape(row["tuned"]),
            escape(row["preset"]),
            _cell(row["tuned_accuracy"], "acc"),
            _cell(row["preset_accuracy"], "acc"),
            _cell(row["accuracy_gain"], "signed"),
            _cell(row["fit_speedup"], "ratio"),
            _cell(row["predict_speedup"], "ratio"),
            f"[yellow]{row['disturbed']}[/]" if row["disturbed"] else "clean",
        )
    if totals:
        table.caption = (
            f"{totals['models']} model(s): tuned {totals['tuned_total_s']:.1f} s "
            f"vs as written {totals['preset_total_s']:.1f} s of fit + predict, "
            f"{totals['speedup']:.1f}x faster"
        )
    return table


def comparison_table(comparison: Comparison) -> Table:
    """The deltas, one line per spec and metric, coloured by verdict."""
    table = Table(title=f"{comparison.baseline.run_id} -> {comparison.current.run_id}")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("spec", "left"),
        ("seeds", "right"),
        ("metric", "left"),
        ("base", "right"),
        ("current", "right"),
        ("change", "right"),
        ("verdict", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for _, row in comparison.table.iterrows():
        for i, key in enumerate(comparison.metrics):
            m = BY_KEY[key]
            verdict = row[f"{key}_verdict"]
            first = i == 0
            table.add_row(
                str(row["spec"]) if first else "",
                f"{row['n_seeds_base']}/{row['n_seeds_current']}" if first else "",
                key,
                format_value(row[f"{key}_base"], m.fmt),
                format_value(row[f"{key}_current"], m.fmt),
                format_change(row[change_column(m)], m),
                # a verdict without a style ("not measured") is plain text: "[]...[/]" is
                # not markup rich can close
                f"[{VERDICT_STYLES[verdict]}]{verdict}[/]"
                if verdict in VERDICT_STYLES
                else escape(str(verdict)),
                end_section=i == len(comparison.metrics) - 1,
            )
    return table


class RichProgress(Progress):
    """An overall bar over tasks and a bar over the epochs of the model in training."""

    def __init__(self, n_tasks: int) -> None:
        self._bars = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self._overall = self._bars.add_task("tasks", total=n_tasks, info="")
        self._current: Any = None

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def task_started(self, task: Task) -> None:
        self._drop_current()
        self._current = self._bars.add_task(
            f"  {task.spec.label} (seed {task.seed})", total=None, info="training"
        )

    def epoch(self, task: Task, epoch: int, n_epochs: int, row: dict) -> None:
        info = f"loss {row.get('loss', float('nan')):.3f}"
        if "val_accuracy" in row:
            info += f"  val acc {row['val_accuracy']:.3f}"
        self._bars.update(self._current, total=n_epochs, completed=epoch, info=info)

    def task_finished(self, task: Task, record: TaskRecord) -> None:
        self._drop_current()
        if record.ok:
            line = (
                f"[green]ok[/]    {escape(record.spec)} seed {record.seed}: accuracy "
                f"{format_value(record.metrics.accuracy if record.metrics else None, 'acc')}, "
                f"fit {format_value(record.timing.fit_wall_s if record.timing else None, 'sec')} s"
            )
        elif record.timed_out:
            line = (
                f"[yellow]timeout[/] {escape(record.spec)} seed {record.seed}: "
                f"{escape(record.error or '')}"
            )
        else:
            line = (
                f"[red]error[/] {escape(record.spec)} seed {record.seed}: "
                f"{escape(record.error or '')}"
            )
        self._bars.console.print(line, markup=True, highlight=False)
        self._bars.advance(self._overall)

    def _drop_current(self) -> None:
        if self._current is not None:
            self._bars.remove_task(self._current)
            self._current = None


def training_size_table(exponents: pd.DataFrame, crossings: Iterable[Any] = ()) -> Table | None:
    """A training-size curve's growth per model: time ∝ n^k for fit and predict (fitted
    over the sizes every seed finished), the largest size finished and where it ran out
    of time; crossovers under the table."""
    if exponents.empty:
        return None
    table = Table(title="Growth with training-set size (time ∝ n^k, least squares on log-log)")
    for col in (
        "model",
        "sizes",
        "fit k",
        "predict k",
        "largest n",
        "accuracy there",
        "ran out at",
    ):
        table.add_column(col, justify="left" if col in ("model", "sizes") else "right")

    def k(value: Any) -> str:
        return "-" if not finite(value) else f"{value:.2f}"

    def n(value: Any) -> str:
        return "-" if not finite(value) else f"{int(value):,}"

    for _, row in exponents.iterrows():
        table.add_row(
            escape(str(row["model_spec"])),
            ", ".join(f"{s:,}" for s in row["sizes"]),
            k(row["k_fit"]),
            k(row["k_predict"]),
            n(row["largest_n"]),
            _cell(row["accuracy_at_largest"], "acc"),
            f"[yellow]{n(row['stopped_at'])}[/]" if finite(row["stopped_at"]) else "-",
        )
    lines = [escape(c.describe()) for c in crossings]
    if lines:
        table.caption = "crossovers: " + "; ".join(lines)
    return table
