"""`mnistbench models`: every registered model with its parameters and presets."""

from __future__ import annotations

import argparse

from mnistbench.commands.common import EXIT_OK
from mnistbench.commands.display import console, models_table
from mnistbench.models import available_models

HELP = "list every model, preset and parameter"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options: the listing is the registry."""


def execute(args: argparse.Namespace) -> int:
    console.print(models_table(available_models()))
    return EXIT_OK
