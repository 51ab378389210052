"""`mnistbench datasets|models|run|tune|report|compare|export`.

User errors (MnistbenchError) print one line and exit with status 2; nothing is written
before every argument has been checked. An unexpected exception is a bug in mnistbench: its
traceback is printed and the status is 3, so that it is never read as compare's
"regression" (1) or run's "a task failed" (1).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out

from mnistbench import __version__  # noqa: E402
from mnistbench.commands import (  # noqa: E402
    compare,
    datasets,
    export,
    models,
    report,
    run,
    summary,
    tune,
)
from mnistbench.commands.common import (  # noqa: E402
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
)
from mnistbench.errors import MnistbenchError  # noqa: E402

COMMANDS = {
    "datasets": datasets,
    "models": models,
    "run": run,
    "tune": tune,
    "report": report,
    "compare": compare,
    "export": export,
    "summary": summary,
}


class _Parser(argparse.ArgumentParser):
    """argparse, but its usage errors exit like our own user errors (one line, status 2)."""

    def error(self, message: str) -> NoReturn:
        # "mnistbench: error: run: ..." (main adds the program's name once)
        command = self.prog.removeprefix("mnistbench").strip()
        raise MnistbenchError(f"{command}: {message}" if command else message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mnistbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mnistbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command].execute(args)
    except MnistbenchError as exc:
        print(f"mnistbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mnistbench: interrupted; finished tasks are saved (use --resume)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - a bug: show it, with a status no verdict uses
        traceback.print_exc()
        print(
            f"mnistbench: internal error (exit {EXIT_INTERNAL}); this is a bug in "
            f"mnistbench {__version__}: please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
