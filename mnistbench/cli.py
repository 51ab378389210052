"""`mnistbench datasets|models|run|tune|report|compare|export|summary`.

User errors (MnistbenchError) print one line and exit with status 2; nothing is written
before every argument has been checked. An unexpected exception is a bug in mnistbench: its
traceback is saved to a file, one line points to it, and the status is 3, so that it is
never read as compare's "regression" (1) or run's "a task failed" (1). SIGTERM (what
``kill``, CI runners and cluster managers send) stops a run like Ctrl-C: it is recorded as
``interrupted`` and the status is 143.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NoReturn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
# ... and its Python-side warnings (a run or a study fits several Keras models in one
# process, which TensorFlow reports as "retracing"); its logger is set by name, so
# TensorFlow is not imported here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

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


#: The status of a command stopped by SIGTERM (128 + the signal's number, as shells say).
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be, so that everything that
    records an interrupted run (run.json's ``interrupted``) does so for a kill too."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while a command runs (main thread only: elsewhere
    signals cannot be handled); the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def save_traceback() -> Path | None:
    """The current exception's traceback in a file of its own (the one line an internal
    error prints points to it); None when not even a temporary file can be written."""
    text = f"mnistbench {__version__}, argv {sys.argv!r}\n\n{traceback.format_exc()}"
    try:
        fd, name = tempfile.mkstemp(prefix="mnistbench-traceback-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        return None
    return Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        with _sigterm_interrupts():
            args = parser.parse_args(argv)
            if not args.command:
                parser.print_help()
                return EXIT_USAGE
            return COMMANDS[args.command].execute(args)
    except MnistbenchError as exc:
        print(f"mnistbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:
        print("mnistbench: terminated; finished tasks are saved (use --resume)", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("mnistbench: interrupted; finished tasks are saved (use --resume)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a bug: say where its traceback is
        saved = save_traceback()
        where = f"its traceback is in {saved}" if saved else "no file could hold its traceback"
        print(
            f"mnistbench: internal error (exit {EXIT_INTERNAL}): {type(exc).__name__}; this is "
            f"a bug in mnistbench {__version__}: {where}, please report it with that file",
            file=sys.stderr,
        )
        if saved is None:
            traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
