"""`mnistbench compare BASELINE CURRENT`: regression verdicts for CI.

Exit status: 0 no regression, 1 a regression passes a threshold (the model is named), 2 the
runs cannot be compared (a one-line reason).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.markup import escape

from mnistbench.analysis.compare import DEFAULT_THRESHOLDS, CompareError, Thresholds, compare_runs
from mnistbench.analysis.compare_formats import FORMATS, render
from mnistbench.commands.common import EXIT_FAILED, EXIT_OK, flags_named
from mnistbench.commands.display import comparison_table, console, err_console
from mnistbench.files import check_output_file
from mnistbench.report import write_comparison_report
from mnistbench.results import load_run
from mnistbench.results.metric_table import BY_KEY, selected

HELP = "regression check of CURRENT against BASELINE (exit 1: regression, 2: not comparable)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", type=Path, metavar="BASELINE", help="baseline run directory")
    p.add_argument("current", type=Path, metavar="CURRENT", help="current run directory")
    p.add_argument(
        "--max-error-increase",
        type=float,
        default=DEFAULT_THRESHOLDS.max_error_increase,
        help="largest tolerated rise of the error rate (absolute; default "
        f"{DEFAULT_THRESHOLDS.max_error_increase:g})",
    )
    p.add_argument(
        "--max-slowdown",
        type=float,
        default=DEFAULT_THRESHOLDS.max_slowdown,
        help="largest tolerated time ratio current/base (default "
        f"{DEFAULT_THRESHOLDS.max_slowdown:g})",
    )
    p.add_argument(
        "--metrics",
        help=f"comma-separated, from: {', '.join(BY_KEY)} (default: "
        f"{', '.join(m.key for m in selected('compare'))})",
    )
    p.add_argument("--html", type=Path, help="also write the comparison as an HTML report")
    p.add_argument(
        "--strict-timing",
        action="store_true",
        help="exit 2 when a compared timing was taken while the machine was "
        "disturbed (default: such timings are reported, never called a regression)",
    )
    p.add_argument(
        "--allow-new",
        action="store_true",
        help="a model only CURRENT has is listed as new, not judged (default: exit 2, "
        "the runs are not comparable); the CI gate compares so",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default): a table for the terminal; markdown: the regressions "
        "and improvements for a pull-request comment; json: the whole comparison. "
        "The exit status is the same for all three",
    )


def execute(args: argparse.Namespace) -> int:
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    with flags_named():
        thresholds = Thresholds(args.max_error_increase, args.max_slowdown)
    if args.html is not None:
        check_output_file(args.html, "--html")
    comparison = compare_runs(
        load_run(args.baseline),
        load_run(args.current),
        thresholds=thresholds,
        metrics=metrics,
        strict_timing=args.strict_timing,
        allow_new=args.allow_new,
    )
    if args.html is not None:
        # Markdown and JSON go to stdout alone, so that they can be redirected to a file.
        out = console if args.format == "text" else err_console
        out.print(f"report: {write_comparison_report(comparison, args.html)}")
    if args.format != "text":
        sys.stdout.write(render(comparison, args.format))
        sys.stdout.flush()
        if comparison.problems:
            raise CompareError("cannot compare: " + "; ".join(comparison.problems))
        if comparison.strict_timing and comparison.disturbed:
            raise CompareError(
                f"strict timing: {len(comparison.disturbed)} timing(s) were "
                "taken while the machine was disturbed"
            )
        return EXIT_FAILED if comparison.regressions else EXIT_OK
    if comparison.problems:
        raise CompareError("cannot compare: " + "; ".join(comparison.problems))
    console.print(comparison_table(comparison))
    if comparison.noisy:
        console.print(
            "within noise: the change passes the threshold but the seeds of the "
            "two runs overlap, so it does not fail"
        )
    for line in comparison.notes:
        console.print(f"[yellow]note[/] {escape(line)}", highlight=False)
    for line in comparison.disturbed:
        console.print(f"[yellow]disturbed[/] {escape(line)}", highlight=False)
    if comparison.regressions:
        for line in comparison.regressions:
            console.print(f"[bold red]regression[/] {line}", highlight=False)
        return EXIT_FAILED
    if comparison.strict_timing and comparison.disturbed:
        raise CompareError(
            f"--strict-timing: {len(comparison.disturbed)} timing(s) were taken "
            "while the machine was disturbed; re-run on a quiet machine"
        )
    console.print(
        f"no regression ({', '.join(comparison.metrics)}; {comparison.thresholds.describe()})"
    )
    return EXIT_OK
