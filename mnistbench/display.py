"""Terminal output with rich: tables for datasets, models, run summaries; live progress."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mnistbench.harness.runner import Progress as RunnerProgress
from mnistbench.harness.runner import Task

# Piped output (CI logs) gets a width that fits the tables instead of rich's 80 columns.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(stderr=False, width=_WIDTH)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def print_table(table: Table) -> None:
    console.print(table)


def _fmt(value: Any, spec: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec)


def datasets_table(infos: Iterable[Any]) -> Table:
    table = Table(title="Data sets")
    for col in ("name", "available", "samples", "image", "source / how to get it"):
        table.add_column(col)
    for info in infos:
        shape = "x".join(map(str, info.image_shape)) if info.image_shape else "-"
        table.add_row(info.name, "[green]yes[/]" if info.available else "[red]no[/]",
                      _fmt(info.n_samples, ",") if info.n_samples else "-", shape, info.source)
    return table


def models_table(entries: Iterable[Any]) -> Table:
    table = Table(title="Models (tuned defaults; presets change the parameters shown)",
                  show_lines=True)
    for col in ("model", "family", "parameter", "default", "presets"):
        table.add_column(col, overflow="fold")
    for entry in entries:
        names = sorted(entry.defaults)
        preset_text = "\n".join(
            f"@{p}: " + ", ".join(f"{k}={v!r}" for k, v in values.items())
            for p, values in entry.presets.items()
        )
        table.add_row(
            f"[bold]{entry.name}[/]\n{entry.description}", entry.family,
            "\n".join(names), "\n".join(repr(entry.defaults[n]) for n in names),
            preset_text or "-",
        )
    return table


def summary_table(frame: pd.DataFrame) -> Table:
    table = Table(title="Results (test set)")
    columns = ("spec", "seed", "status", "accuracy", "log loss", "macro-F1", "fit s",
               "predict s", "p50 ms", "params")
    for col in columns:
        table.add_column(col, justify="left" if col in ("spec", "status") else "right")
    for _, row in frame.iterrows():
        ok = row["status"] == "ok"
        table.add_row(
            row["spec"], str(row["seed"]),
            "[green]ok[/]" if ok else f"[red]{row['status']}[/]",
            _fmt(row.get("accuracy")), _fmt(row.get("log_loss")), _fmt(row.get("macro_f1")),
            _fmt(row.get("fit_wall_s"), ".2f"), _fmt(row.get("predict_s"), ".3f"),
            _fmt(row.get("latency_p50_s", float("nan")) * 1e3 if ok else None, ".2f"),
            _fmt(row.get("n_parameters"), ",") if ok else "-",
        )
    failed = frame[frame["status"] != "ok"]
    if not failed.empty:
        table.caption = "\n".join(f"{r.spec} seed {r.seed}: {r.error}" for r in failed.itertuples())
        table.caption_style = "red"
    return table


def speedup_table(frame: pd.DataFrame, totals: dict | None = None) -> Table | None:
    """The "as written vs tuned" table, with target verdicts on full MNIST."""
    if frame.empty:
        return None
    has_targets = "target_met" in frame.columns
    table = Table(title="As written (@seed) vs tuned: seed time / tuned time")
    columns = ["model", "accuracy tuned", "accuracy @seed", "gain", "fit speed-up",
               "predict speed-up"]
    for col in columns + (["target", "met"] if has_targets else []):
        table.add_column(col, justify="left" if col in ("model", "target") else "right")
    for _, row in frame.iterrows():
        cells = [
            row["tuned"], _fmt(row["tuned_accuracy"]), _fmt(row["seed_accuracy"]),
            _fmt(row["accuracy_gain"], "+.4f"), _fmt(row["fit_speedup"], ".1f") + "x",
            _fmt(row["predict_speedup"], ".1f") + "x",
        ]
        if has_targets:
            met = row.get("target_met")
            cells += [row.get("target") if isinstance(row.get("target"), str) else "-",
                      "-" if met is None or met != met else _verdict(bool(met))]
        table.add_row(*cells)
    if totals:
        caption = (f"{totals['models']} model(s): tuned {totals['tuned_total_s']:.1f} s vs "
                   f"@seed {totals['seed_total_s']:.1f} s of fit + predict, "
                   f"{totals['speedup']:.1f}x faster")
        if totals.get("all_targets_met") is not None:
            caption += (f" (target {totals['target_speedup']:g}x and every model's target: "
                        f"{_verdict(totals['all_targets_met'])})")
        table.caption = caption
    return table


def _verdict(met: bool) -> str:
    return "[green]yes[/]" if met else "[red]no[/]"


class RichProgress(RunnerProgress):
    """An overall bar over tasks and a bar over the epochs of the Keras model in training."""

    def __init__(self, n_tasks: int) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=err_console,
            transient=False,
        )
        self._overall = self._progress.add_task("tasks", total=n_tasks, info="")
        self._current: Any = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def task_started(self, task: Task) -> None:
        self._drop_current()
        self._current = self._progress.add_task(f"  {task.spec.label} (seed {task.seed})",
                                                total=None, info="training")

    def epoch(self, task: Task, epoch: int, n_epochs: int, row: dict) -> None:
        info = f"loss {row.get('loss', float('nan')):.3f}"
        if "val_accuracy" in row:
            info += f"  val acc {row['val_accuracy']:.3f}"
        self._progress.update(self._current, total=n_epochs, completed=epoch, info=info)

    def task_finished(self, record: dict) -> None:
        self._drop_current()
        if record["status"] == "ok":
            line = (f"[green]ok[/]    {record['spec']} seed {record['seed']}: accuracy "
                    f"{record['metrics']['accuracy']:.4f}, fit "
                    f"{record['timing']['fit_wall_s']:.2f} s")
        else:
            line = f"[red]error[/] {record['spec']} seed {record['seed']}: {record['error']}"
        self._progress.console.print(line)
        self._progress.advance(self._overall)

    def _drop_current(self) -> None:
        if self._current is not None:
            self._progress.remove_task(self._current)
            self._current = None
