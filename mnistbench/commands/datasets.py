"""`mnistbench datasets`: every data set, whether it is here, its size and its source."""

from __future__ import annotations

import argparse

from mnistbench.commands.common import EXIT_OK, add_data_arguments
from mnistbench.commands.display import console, datasets_table
from mnistbench.data import list_datasets

HELP = "list the data sets and whether they are here"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)


def execute(args: argparse.Namespace) -> int:
    console.print(datasets_table(list_datasets(data_dir=args.data_dir)))
    return EXIT_OK
