"""What going through a Dask scheduler costs per task.

    python -m benchmarks.cluster_overhead [--tasks 20] [--workers 1]

Runs the same tiny tasks (``sgd`` on ``digits``, one seed each, one thread) in this
process and on a ``local:N`` cluster, timing only the execution of the tasks (the cluster
is started, and the data loaded, before the clock), and prints the wall time per task of
each and the difference: the scheduler's overhead per task (submission, a worker
rebuilding the split once, shipping the record and arrays back). A benchmark, not a test:
these machines are shared, so run it twice and on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from mnistbench.harness.cluster import SchedulerAddress
from mnistbench.harness.plan import RunRequest, execute_plan, plan_run
from mnistbench.models import parse_spec


def timed_run(out: Path, run_id: str, n_tasks: int, workers: int | None) -> float:
    """Seconds the tasks take, in this process or on ``workers`` local Dask workers."""
    request = RunRequest(
        specs=[parse_spec("sgd")],
        dataset="digits",
        seeds=list(range(n_tasks)),
        threads=1,
        out=out,
        run_id=run_id,
        scheduler=SchedulerAddress(workers=workers) if workers else None,
    )
    plan = plan_run(request)
    started = time.perf_counter()
    outcome = execute_plan(plan)
    seconds = time.perf_counter() - started
    if outcome.failed:
        raise SystemExit(f"{run_id}: a task failed")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cluster_overhead", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mnistbench-overhead-") as tmp:
        local = timed_run(Path(tmp), "local", args.tasks, None)
        cluster = timed_run(Path(tmp), "cluster", args.tasks, args.workers)
    per_local, per_cluster = local / args.tasks, cluster / args.tasks
    print(
        f"{args.tasks} tiny tasks: in process {per_local * 1e3:.0f} ms/task, on "
        f"local:{args.workers} {per_cluster * 1e3:.0f} ms/task, overhead "
        f"{(per_cluster - per_local) * 1e3:+.0f} ms/task"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
