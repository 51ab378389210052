"""`mnistbench tune`: the same tuning budget for every model, on one data set's
validation part; ends in a tuned profile that `run` uses for `@tuned` specs."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from mnistbench.commands.common import EXIT_OK, add_data_arguments, flags_named
from mnistbench.commands.display import console
from mnistbench.parsing import parse_budget, parse_scheduler, parse_tune_models
from mnistbench.results.tuned_profile import PROFILE_FILE
from mnistbench.tuning.study import Progress

HELP = "tune models' parameters on validation under the same budget each"

STATE_STYLES = {"complete": "", "pruned": "yellow", "failed": "red"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset", required=True, help="digits, mnist-5k, mnist, fashion-mnist, csv:PATH"
    )
    p.add_argument(
        "--models",
        required=True,
        help="comma-separated model names, presets that declare a search space of their "
        "own (NAME@best: the study starts from the preset), or 'all' (every model with a "
        "search space)",
    )
    p.add_argument(
        "--budget",
        required=True,
        help="per model: a number of trials (40) or compute seconds, wall x threads "
        "(900s, 30m, 2h)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler and the models")
    p.add_argument("--threads", type=int, help="threads per trial (default: all)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="results root; the study goes to OUT/tune-<dataset>/ (default: results)",
    )
    p.add_argument(
        "--storage",
        metavar="URL",
        help="any database Optuna supports (default: an SQLite file in the study's folder)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the studies of a killed tune, keeping every finished trial",
    )
    p.add_argument(
        "--split", choices=("official", "stratified"), help="as for run (default: official)"
    )
    p.add_argument("--test-size", type=float, default=0.2, help="as for run (default 0.2)")
    p.add_argument("--val-size", type=float, default=None, help="as for run")
    p.add_argument("--split-seed", type=int, default=0, help="as for run (default 0)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the trials on a Dask cluster, one per worker at a time: tcp://HOST:8786 "
        "(with a --storage every worker reaches), or local:N worker processes here",
    )
    p.add_argument("--quiet", action="store_true", help="no line per trial")
    add_data_arguments(p)


def execute(args: argparse.Namespace) -> int:
    with flags_named():
        from mnistbench.tuning.study import TuneRequest, check_optuna

        check_optuna()  # before any other check: without Optuna nothing else matters
        request = TuneRequest(
            dataset=args.dataset,
            models=parse_tune_models(args.models),
            budget=parse_budget(args.budget),
            seed=args.seed,
            threads=args.threads,
            out=args.out,
            storage=args.storage,
            resume=args.resume,
            split=args.split,
            test_size=args.test_size,
            val_size=args.val_size,
            split_seed=args.split_seed,
            data_dir=args.data_dir,
            download=args.download,
            command=sys.argv[1:],
            scheduler=parse_scheduler(args.scheduler) if args.scheduler is not None else None,
        )
        from mnistbench.tuning.study import execute_tune, plan_tune

        plan = plan_tune(request)
    split = plan.split
    console.print(
        f"tune [bold]{escape(', '.join(request.models))}[/] on {split.dataset} "
        f"({split.scheme} split, {len(split.y_train)} train / {len(split.y_val)} validation, "
        f"fingerprint {split.fingerprint}); budget {request.budget.describe()}; "
        f"{plan.threads} thread(s); study {escape(plan.log.storage)}",
        highlight=False,
    )
    for name, numbers in plan.stale.items():
        if numbers:
            console.print(
                f"{name}: trial(s) {', '.join(map(str, numbers))} were running when the tune "
                "stopped: marked failed, not counted",
                highlight=False,
            )
    log = execute_tune(plan, _Lines(request.budget) if not args.quiet else None)
    console.print(tune_table(log.models, request.budget.describe()))
    console.print(f"profile: {plan.path / PROFILE_FILE}")
    return EXIT_OK


class _Lines(Progress):
    """One line per trial (a trial's fit is not interrupted for a live display)."""

    def __init__(self, budget: Any) -> None:
        self.budget = budget

    def model_started(self, name: str, spent: float) -> None:
        done = f" ({self._spent(spent)} spent before)" if spent else ""
        console.print(f"[bold]{escape(name)}[/]{done}", highlight=False)

    def trial_finished(self, name: str, row: dict[str, Any], spent: float, best: float) -> None:
        state = row["state"]
        value = row["val_accuracy"]
        shown = "—" if value is None else f"{value:.4f}"
        style = STATE_STYLES.get(state, "")
        state_text = f"[{style}]{state}[/]" if style else state
        extra = " (defaults)" if row["defaults"] else ""
        if row.get("budget_stop"):
            extra += " (stopped: the budget ran out)"
        if row.get("error"):
            extra += f" {escape(row['error'])}"
        if row.get("verdict") == "disturbed":
            extra += " [yellow]disturbed[/]"
        console.print(
            f"  {escape(name)} trial {row['number']}: {state_text} val {shown} "
            f"best {'—' if math.isnan(best) else f'{best:.4f}'} fit {row['fit_s'] or 0:.2f} s "
            f"spent {self._spent(spent)}{extra}",
            highlight=False,
        )

    def model_finished(self, name: str) -> None: ...

    def _spent(self, spent: float) -> str:
        if self.budget.kind == "trials":
            return f"{int(spent)}/{int(self.budget.amount)} trials"
        return f"{spent:.0f}/{self.budget.amount:.0f} compute s"


def tune_table(models: dict[str, dict[str, Any]], budget: str) -> Table:
    """Best validation accuracy per model and what it cost, under the one budget."""
    table = Table(title=f"tuning: {budget}", title_justify="left")
    for column in ("model", "best val acc", "trials", "pruned", "failed", "compute s", "best"):
        table.add_column(column, justify="left" if column in ("model", "best") else "right")
    for name, study in models.items():
        rows = study["trials"]
        best = study.get("best")
        table.add_row(
            name,
            "—" if best is None else f"{best['val_accuracy']:.4f}",
            str(study["spent"]["trials"]),
            str(sum(r["state"] == "pruned" for r in rows)),
            str(sum(r["state"] == "failed" for r in rows)),
            f"{study['spent']['compute_s']:.1f}",
            "—"
            if best is None
            else ("the defaults" if best["defaults"] else f"trial {best['number']}"),
        )
    return table
