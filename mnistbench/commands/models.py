"""`mnistbench models`: every registered model with its parameters and presets, and the
command that installs what an unavailable one needs."""

from __future__ import annotations

import argparse

from mnistbench.commands.common import EXIT_OK
from mnistbench.commands.display import console, models_table
from mnistbench.models import registered_models

HELP = "list every model, preset and parameter"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options: the listing is the registry."""


def execute(args: argparse.Namespace) -> int:
    console.print(models_table(registered_models()))
    return EXIT_OK
