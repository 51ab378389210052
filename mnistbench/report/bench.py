"""Time a report build: ``python -m mnistbench.report.bench RUN_DIR [RUN_DIR ...]``.

The issue asks for reports of 2 seeds x 6 models in under 30 s; this measures it on real
saved results (a script, not a timed test, so a busy CI machine cannot make tests flaky).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from mnistbench.report.html import write_report


def main(argv: list[str] | None = None) -> int:
    run_dirs = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not run_dirs:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = write_report(run_dirs, Path(tmp) / "report.html")
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    print(f"report of {len(run_dirs)} run(s): built in {seconds:.2f} s, "
          f"{size / 2**20:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
