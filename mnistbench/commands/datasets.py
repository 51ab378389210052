"""`mnistbench datasets`: every data set, whether it is here, its size and its source."""

from __future__ import annotations

import argparse

from mnistbench.commands.common import EXIT_OK, add_data_arguments
from mnistbench.commands.display import console, datasets_table
from mnistbench.data import list_datasets

HELP = "list the data sets and whether they are here"

NOTES = (
    "Your own data: csv:PATH (label, 784 pixels), images:FOLDER[?size=HxW] (a subfolder "
    "of PNG/JPEG per class), npz:PATH[?shape=HxW] (arrays X and y).",
    "Downloads are checked against the official sizes and checksums and kept in the cache; "
    "MNISTBENCH_MIRROR=URL fetches them from a mirror instead.",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)


def execute(args: argparse.Namespace) -> int:
    console.print(datasets_table(list_datasets(data_dir=args.data_dir)))
    for note in NOTES:
        console.print(note, highlight=False)
    return EXIT_OK
