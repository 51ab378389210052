"""Arguments and exit statuses more than one command shares."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mnistbench.errors import MnistbenchError, RequestError
from mnistbench.parsing import flag

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# mnistbench itself failed (a bug): never 1, which compare and run give a meaning
EXIT_INTERNAL = 3


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="directory holding the IDX files")
    p.add_argument(
        "--download",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="download MNIST / Fashion-MNIST when not found locally (default: yes)",
    )


@contextmanager
def flags_named(name: Callable[[str], str] = flag) -> Iterator[None]:
    """Errors about a value, named by the flag that gave it."""
    try:
        yield
    except RequestError as exc:
        raise MnistbenchError(exc.render(name)) from None
