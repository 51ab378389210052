"""`mnistbench report RUN_DIR...`: one self-contained HTML file from saved runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from mnistbench.commands.common import EXIT_OK
from mnistbench.commands.display import console
from mnistbench.errors import MnistbenchError
from mnistbench.files import check_output_dir, check_output_file
from mnistbench.report import default_report_path, write_report

HELP = "write a self-contained HTML report from saved runs (never trains)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run_dirs",
        nargs="*",
        type=Path,
        metavar="RUN_DIR",
        help="run directories; with several, the later ones are compared with the first "
        "(none: a report of the --study alone)",
    )
    p.add_argument(
        "-o", "--output", type=Path, help="HTML file to write (default: reports/<last run id>.html)"
    )
    p.add_argument("--figures-dir", type=Path, help="also write every figure there as PNG and SVG")
    p.add_argument(
        "--study",
        type=Path,
        metavar="DIR",
        help="a tuning study's folder (mnistbench tune's OUT/tune-<dataset>): adds accuracy "
        "against tuning budget; the last run gives the test accuracy of its @tuned specs",
    )


def execute(args: argparse.Namespace) -> int:
    if not args.run_dirs and args.study is None:
        raise MnistbenchError("report: give run directories, or a tuning study with --study")
    out = check_output_file(args.output or default_report_path(args.run_dirs, args.study), "-o")
    if args.figures_dir is not None:
        check_output_dir(args.figures_dir, "--figures-dir")
    path = write_report(args.run_dirs, out, figures_dir=args.figures_dir, study_dir=args.study)
    console.print(f"report: {path}")
    return EXIT_OK
