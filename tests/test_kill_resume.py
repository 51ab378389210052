"""SIGKILL at several points of a run (issue 16), including in the middle of a file write;
``--resume`` then finishes the run, every JSON and NPZ loads, no temporary file remains."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from mnistbench.cli import main
from mnistbench.results import load_run

MODELS = "knn,sgd,linear_svc"

# The run in a child process stops itself with SIGKILL at the n-th call of ``point``:
# inside atomic_write after half the bytes are on disk, or just before a task starts.
_KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    point, n = sys.argv[1], int(sys.argv[2])
    calls = 0

    def countdown():
        global calls
        calls += 1
        if calls == n:
            os.kill(os.getpid(), signal.SIGKILL)

    import mnistbench.files as files
    real_fdopen = files.os.fdopen

    class HalfWriter:
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)
        def write(self, data):
            self.fh.write(bytes(data)[: len(data) // 2])
            self.fh.flush()
            countdown()
            return self.fh.write(bytes(data)[len(data) // 2:])

    if point == "write":
        files.os.fdopen = lambda fd, mode: HalfWriter(real_fdopen(fd, mode))
    else:
        from mnistbench.harness import runner
        real_task = runner.run_task
        def task(*a, **k):
            countdown()
            return real_task(*a, **k)
        runner.run_task = task
    from mnistbench.cli import main
    sys.exit(main(sys.argv[3:]))
""")


@pytest.mark.parametrize(("point", "n"), [("write", 1), ("write", 3), ("task", 2), ("task", 3)])
def test_sigkill_then_resume_finishes_the_run(tmp_path, point, n):
    out = tmp_path / "results"
    args = [
        "run",
        "--quiet",
        "--dataset",
        "digits",
        "--models",
        MODELS,
        "--out",
        str(out),
        "--run-id",
        "r",
    ]
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_RUN, point, str(n), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run_dir = out / "r"
    start = time.monotonic()
    if point == "write" and n == 1:  # killed while writing run.json: no run yet
        assert not (run_dir / "run.json").exists()
        assert list(run_dir.rglob(".*.tmp"))  # the half-written temporary
        assert main(args) == 0  # the same run id starts afresh
    else:
        assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
        assert main([*args[:-2], "--resume", "--run-id", "r"]) == 0
    assert time.monotonic() - start < 120
    run = load_run(run_dir)
    assert run.meta.status == "complete"
    assert len(run.meta.resumed) == (0 if point == "write" and n == 1 else 1)
    assert sorted(r.task_id for r in run.results) == sorted(
        ["knn--seed0", "sgd--seed0", "linear_svc--seed0"]
    )
    for res in run.results:
        assert res.ok
        json.loads(res.path.read_text())
        assert isinstance(res.arrays["confusion"], np.ndarray)
    assert not list(run_dir.rglob("*.tmp"))
