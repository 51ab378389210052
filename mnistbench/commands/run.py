"""`mnistbench run`: train and evaluate models on one common split, print a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.markup import escape

from mnistbench.analysis.ranking import rank_runs
from mnistbench.analysis.summary import significance, speedup_totals, speedups
from mnistbench.analysis.training_size import (
    crossovers,
    curve_points,
    curve_table,
    growth_exponents,
    is_curve,
)
from mnistbench.commands.common import EXIT_FAILED, EXIT_OK, add_data_arguments, flags_named
from mnistbench.commands.display import (
    RichProgress,
    console,
    err_console,
    ranking_table,
    speedup_table,
    summary_table,
    training_size_table,
)
from mnistbench.commands.extra_tests_view import show_extra_tests
from mnistbench.commands.frontier_display import print_published_gaps
from mnistbench.commands.summary import ranking_view
from mnistbench.errors import MnistbenchError
from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
from mnistbench.harness.runner import Progress
from mnistbench.models import ModelSelection, parse_settings
from mnistbench.parsing import (
    parse_datasets,
    parse_model_selection,
    parse_scheduler,
    parse_seeds,
    parse_target_accuracy,
    parse_train_sizes,
)
from mnistbench.report import default_report_path, write_report

HELP = "train and evaluate models on one common split"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--models",
        help="comma-separated specs: name[@preset][:param=value,...] "
        "(default: the six contract models)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODEL.PARAM=VALUE",
        help="override a parameter of every spec of MODEL (repeatable)",
    )
    p.add_argument(
        "--dataset",
        help="digits, mnist-5k (default), mnist, fashion-mnist or csv:PATH; several, "
        "comma-separated, run every model on each",
    )
    p.add_argument(
        "--split",
        choices=("official", "stratified"),
        help="official where the data set has one, else stratified",
    )
    p.add_argument(
        "--test-size", type=float, default=0.2, help="stratified split: test fraction (default 0.2)"
    )
    p.add_argument(
        "--val-size",
        type=float,
        default=None,
        help="validation part of the training part: a fraction, or a count if > 1",
    )
    p.add_argument("--split-seed", type=int, default=0, help="seed of the split (default 0)")
    p.add_argument("--seeds", help="comma-separated model seeds, one repeat each (default 0)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results root")
    p.add_argument("--run-id", help="name of the run directory (default: time and data set)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue --run-id (or the newest run under --out), skipping finished tasks",
    )
    p.add_argument("--threads", type=int, help="BLAS and TensorFlow threads (default: all)")
    p.add_argument(
        "--jobs", type=int, default=1, help="tasks at once (default 1; more disturbs the timings)"
    )
    p.add_argument("--backend", default=None, help="joblib backend for --jobs > 1")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the tasks on a Dask cluster: tcp://HOST:8786, or local:N for N "
        "worker processes on 127.0.0.1 (needs mnistbench[cluster])",
    )
    p.add_argument(
        "--train-sizes",
        metavar="SIZES",
        help="a training-size curve: comma-separated row counts or fractions of "
        "the training part, and 'all' (e.g. 500,1000,5000,all); nested, "
        "stratified subsets, scored on the full test set",
    )
    p.add_argument(
        "--task-timeout",
        type=float,
        metavar="SECONDS",
        help="time budget per task: each task runs in a child process and one "
        "that runs out is recorded with status timeout",
    )
    p.add_argument(
        "--target-accuracy",
        metavar="ACCURACY",
        help="the validation accuracy whose time to reach is measured for every model "
        "that trains in epochs or iterations (0.99 or 99%%; default 0.99)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="the tuned profile @tuned specs use (default: OUT/tune-<dataset>/profile.json, "
        "else the one shipped for the data set)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--report",
        action="store_true",
        help="write an HTML report of the run to reports/<run-id>.html at the end",
    )
    add_data_arguments(p)


def request_from(args: argparse.Namespace, selection: ModelSelection | None = None) -> RunRequest:
    """The flags as values (errors name the value's field; ``execute`` names the flag);
    ``selection``: ``--models`` already parsed."""
    if selection is None and args.models is not None:
        selection = parse_model_selection(args.models)
    return RunRequest(
        specs=selection.specs if selection is not None else None,
        settings=parse_settings(args.set),
        dataset=parse_datasets(args.dataset) if args.dataset is not None else None,
        split=args.split,
        test_size=args.test_size,
        val_size=args.val_size,
        split_seed=args.split_seed,
        seeds=parse_seeds(args.seeds) if args.seeds is not None else None,
        out=args.out,
        run_id=args.run_id,
        resume=args.resume,
        threads=args.threads,
        jobs=args.jobs,
        backend=args.backend,
        data_dir=args.data_dir,
        download=args.download,
        scheduler=parse_scheduler(args.scheduler) if args.scheduler is not None else None,
        train_sizes=parse_train_sizes(args.train_sizes) if args.train_sizes is not None else None,
        task_timeout=args.task_timeout,
        command=sys.argv[1:],
        profile=args.profile,
        target_accuracy=parse_target_accuracy(args.target_accuracy)
        if args.target_accuracy is not None
        else None,
    )


def execute(args: argparse.Namespace) -> int:
    with flags_named():
        selection = parse_model_selection(args.models) if args.models is not None else None
        plan = plan_run(request_from(args, selection))
    for note in selection.notes if selection is not None else ():  # models groups left out
        err_console.print(f"[yellow]note[/] {escape(note)}", highlight=False)
    if not args.quiet:
        data = ", ".join(
            f"{split.dataset} ({split.scheme} split {len(split.y_train)}/{len(split.y_val)}/"
            f"{len(split.y_test)}, fingerprint {split.fingerprint})"
            for split in (plan.splits or {plan.split.dataset: plan.split}).values()
        )
        console.print(
            f"run [bold]{plan.path}[/]: {len(plan.tasks)} task(s) on {data}, {plan.threads} "
            f"thread(s)" + (f", {plan.n_done} already done" if plan.n_done else ""),
            highlight=False,
        )
    with Progress() if args.quiet else RichProgress(len(plan.tasks)) as progress:
        outcome = execute_plan(plan, progress)
    if not args.quiet:
        frame = outcome.run.to_frame()
        console.print(summary_table(frame))
        ranking = ranking_table(significance(outcome.run))
        if ranking is not None:
            console.print(ranking)
        curve = curve_table(curve_points(outcome.run))
        if is_curve(curve):
            console.print(training_size_table(growth_exponents(curve), crossovers(curve)))
        pairs = speedups(frame)
        table = speedup_table(pairs, speedup_totals(pairs))
        if table is not None:
            console.print(table)
        if len(outcome.run.meta.dataset_names) > 1:  # the models ranked across data sets
            console.print(ranking_view(rank_runs([outcome.run])))
        print_published_gaps([outcome.run])
        show_extra_tests([outcome.run])  # QMNIST's second test part (Yadav & Bottou 2019)
    console.print(f"results: {plan.path}")
    status = EXIT_FAILED if outcome.failed else EXIT_OK
    for res in outcome.run.results if outcome.failed else []:  # said even with --quiet
        if res.record.status == "error":
            err_console.print(
                f"task {escape(res.record.spec)} (seed {res.record.seed}) failed: "
                f"{escape(res.record.error or 'no reason recorded')}",
                highlight=False,
                soft_wrap=True,
            )
    if args.report:  # a report that cannot be written is said apart; the run stands
        try:
            report = write_report([plan.path], default_report_path([plan.path]))
        except MnistbenchError as exc:
            err_console.print(f"report not written: {escape(str(exc))}", highlight=False)
        else:
            console.print(f"report: {report}")
    return status
