"""`mnistbench datasets|models|run|report|compare`.

User errors (MnistbenchError) print one line and exit with status 2; nothing is written
before every argument has been checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out

from mnistbench import __version__  # noqa: E402
from mnistbench.errors import MnistbenchError  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but its usage errors exit like our own user errors (one line, status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise MnistbenchError(f"{self.prog}: {message}")


def _add_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="directory holding the IDX files")
    p.add_argument("--download", action=argparse.BooleanOptionalAction, default=True,
                   help="download MNIST / Fashion-MNIST when not found locally (default: yes)")


def _cmd_datasets(args: argparse.Namespace) -> int:
    from mnistbench.data import list_datasets
    from mnistbench.display import datasets_table, print_table

    print_table(datasets_table(list_datasets(data_dir=args.data_dir)))
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from mnistbench.display import models_table, print_table
    from mnistbench.models import available_models

    print_table(models_table(available_models()))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from mnistbench.run_command import RunOptions, execute_run

    return execute_run(RunOptions.from_args(args))


def _cmd_report(args: argparse.Namespace) -> int:
    from mnistbench.report import default_report_path, write_report

    out = args.output or default_report_path(args.run_dirs)
    path = write_report(args.run_dirs, out, figures_dir=args.figures_dir)
    print(f"report: {path}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from mnistbench.compare import run_compare

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    return run_compare(args.baseline, args.current, max_error_increase=args.max_error_increase,
                       max_slowdown=args.max_slowdown, metrics=metrics, html=args.html)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mnistbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mnistbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {}

    p = sub.add_parser("datasets", help="list the data sets and whether they are here")
    _add_data_arguments(p)
    commands["datasets"] = _cmd_datasets

    p = sub.add_parser("models", help="list every model, preset and parameter")
    commands["models"] = _cmd_models

    p = sub.add_parser("run", help="train and evaluate models on one common split")
    p.add_argument("--models", help="comma-separated specs: name[@preset][:param=value,...] "
                   "(default: the six contract models)")
    p.add_argument("--set", action="append", default=[], metavar="MODEL.PARAM=VALUE",
                   help="override a parameter of every spec of MODEL (repeatable)")
    p.add_argument("--dataset", help="digits, mnist-5k (default), mnist, fashion-mnist or "
                   "csv:PATH")
    p.add_argument("--split", choices=("official", "stratified"),
                   help="official where the data set has one, else stratified")
    p.add_argument("--test-size", type=float, default=0.2,
                   help="stratified split: test fraction (default 0.2)")
    p.add_argument("--val-size", type=float, default=None,
                   help="validation part of the training part: a fraction, or a count if > 1")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the split (default 0)")
    p.add_argument("--seeds", help="comma-separated model seeds, one repeat each (default 0)")
    p.add_argument("--out", type=Path, default=Path("results"), help="results root")
    p.add_argument("--run-id", help="name of the run directory (default: time and data set)")
    p.add_argument("--resume", action="store_true",
                   help="continue --run-id (or the newest run under --out), skipping "
                   "finished tasks")
    p.add_argument("--threads", type=int, help="BLAS and TensorFlow threads (default: all)")
    p.add_argument("--jobs", type=int, default=1,
                   help="tasks at once (default 1; more disturbs the timings)")
    p.add_argument("--backend", default=None, help="joblib backend for --jobs > 1")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--report", action="store_true",
                   help="write an HTML report of the run to reports/<run-id>.html at the end")
    _add_data_arguments(p)
    commands["run"] = _cmd_run

    p = sub.add_parser("report", help="write a self-contained HTML report from saved runs "
                       "(never trains)")
    p.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR",
                   help="run directories; with several, the later ones are compared with "
                   "the first")
    p.add_argument("-o", "--output", type=Path,
                   help="HTML file to write (default: reports/<last run id>.html)")
    p.add_argument("--figures-dir", type=Path,
                   help="also write every figure there as PNG and SVG")
    commands["report"] = _cmd_report

    p = sub.add_parser("compare", help="regression check of CURRENT against BASELINE "
                       "(exit 1: regression, 2: not comparable)")
    p.add_argument("baseline", type=Path, metavar="BASELINE", help="baseline run directory")
    p.add_argument("current", type=Path, metavar="CURRENT", help="current run directory")
    p.add_argument("--max-error-increase", type=float, default=0.005,
                   help="largest tolerated rise of the error rate (absolute; default 0.005)")
    p.add_argument("--max-slowdown", type=float, default=1.3,
                   help="largest tolerated time ratio current/base (default 1.3)")
    p.add_argument("--metrics", help="comma-separated: accuracy, error_rate, fit_wall_s, "
                   "predict_s (default: all)")
    p.add_argument("--html", type=Path, help="also write the comparison as an HTML report")
    commands["compare"] = _cmd_compare

    parser.set_defaults(_commands=commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        return args._commands[args.command](args)
    except MnistbenchError as exc:
        print(f"mnistbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mnistbench: interrupted; finished tasks are saved (use --resume)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
