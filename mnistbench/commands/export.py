"""`mnistbench export RUN_DIR [RUN_DIR ...] -o results.csv|results.parquet`: every task of
the runs as one table file, one row per task (what ``Run.to_frame()`` gives, with the run
and the host in front)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mnistbench.commands.common import EXIT_OK
from mnistbench.commands.display import console
from mnistbench.files import check_output_file
from mnistbench.results import load_run
from mnistbench.results.export import export_frame, table_format, write_table

HELP = "write the tasks of one or more runs to a CSV or Parquet table"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR", help="run directories")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="the table to write: *.csv or *.parquet (the suffix picks the format)",
    )


def execute(args: argparse.Namespace) -> int:
    # A bad file name or place is refused before anything is read.
    table_format(check_output_file(args.output, "--output"))
    frame = export_frame([load_run(path) for path in args.runs])
    path = write_table(frame, args.output)
    console.print(
        f"exported {len(frame)} task(s) of {len(args.runs)} run(s) to {path}", highlight=False
    )
    return EXIT_OK
