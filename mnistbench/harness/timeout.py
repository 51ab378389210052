"""A time budget per task (``--task-timeout``): each task runs in a child process that can
be killed, since a scikit-learn fit cannot be interrupted from another thread.

Only runs with a budget go through here; the others run in-process as before. Children
come from a fork server: a clean process started once, with mnistbench and the model
modules imported, that forks one child per task. Forking this process directly is not
safe: a child hangs when the parent already ran OpenMP code (scikit-learn's k-NN) or held a
lock in another thread (the progress display) at the fork. The split is pickled to the
child, the model's registry entry with it (so a model registered at run time is known
there too), and the child runs the very ``run_task`` of an in-process run, its clocks
inside: process start, unpickling and sending the result back happen outside them. A
child that runs out of time is killed with its whole process group (joblib or OpenMP
helpers included) and the task is recorded with status ``timeout``; larger training sizes
of the same spec are then recorded as ``timeout`` without being started, which is where
the curve stops.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from multiprocessing import resource_tracker
from typing import Any

import numpy as np

from mnistbench.data import Split
from mnistbench.errors import ModelSpecError
from mnistbench.files import timestamp
from mnistbench.harness.environment import environment
from mnistbench.harness.runner import Progress, Task, run_task
from mnistbench.models import ModelEntry, get_entry, register
from mnistbench.results.labels import size_key
from mnistbench.results.record import TaskRecord

POLL_S = 0.25


#: imported once by the fork server, so a child starts with them loaded
PRELOAD = ["mnistbench.harness.timeout"]


def _context() -> Any:
    """The fork server where the platform has one (Linux, macOS), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


#: the resource tracker's report of what a process left behind: for a child killed on
#: purpose, expected (its tracker still unlinks what it names)
_LEAK_WARNING = "ignore:resource_tracker:UserWarning"


def _own_resource_tracker() -> None:
    """Give the child a resource tracker of its own, started before it leaves the run's
    process group so that a kill of the child's group spares it. Named semaphores the task
    creates (every ``multiprocessing.pool.ThreadPool``, such as joblib's threading backend
    in SGD's one-vs-rest fit, makes two) would otherwise be registered with the parent's
    tracker and, the child being killed before it can unregister them, reported as leaked
    when the run exits (after the one line of a SIGTERM). This tracker unlinks them when
    the child dies, and is started told not to warn about them."""
    tracker: Any = getattr(resource_tracker, "_resource_tracker", None)  # behind register()
    if not (hasattr(tracker, "_fd") and hasattr(tracker, "_pid")):
        return  # a Python whose tracker is built otherwise: at worst, the warning is back
    with contextlib.suppress(OSError, TypeError):
        os.close(tracker._fd)  # this process's copy of the parent tracker's pipe
    tracker._fd = tracker._pid = None
    if _LEAK_WARNING not in sys.warnoptions:
        sys.warnoptions.append(_LEAK_WARNING)  # passed to the tracker as -W
    resource_tracker.ensure_running()


def _child(conn: Any, task: Task, split: Split, threads: int, entry: ModelEntry) -> None:
    """The task in its own process group, so a kill takes its helpers too."""
    if os.name == "posix":  # Windows has no named semaphores to track
        _own_resource_tracker()
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    try:
        get_entry(entry.name)
    except ModelSpecError:  # registered at run time in the parent, not by an import
        register(entry)

    def epoch(e: int, n: int, row: dict) -> None:
        conn.send(("epoch", e, n, row))

    try:
        record, arrays = run_task(task, split, threads=threads, epoch_callback=epoch)
        conn.send(("done", record, arrays))
        conn.close()
    except (BrokenPipeError, ConnectionResetError, EOFError):
        os._exit(1)  # the run that wanted the result is gone (killed): nothing to tell it


def _kill(process: Any) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.kill()
    process.join()


def _base_record(
    task: Task, split: Split, threads: int, status: str, error: str, started: str, timeout: float
) -> TaskRecord:
    return TaskRecord(
        **task.identity(),
        family=get_entry(task.spec.name).family,
        dataset=split.dataset,
        split_scheme=split.scheme,
        split_fingerprint=split.fingerprint,
        status=status,
        error=error,
        started=started,
        finished=timestamp(),
        threads=threads,
        environment=environment(threads),
        task_timeout_s=timeout,
    )


def run_task_with_timeout(
    task: Task,
    split: Split,
    *,
    threads: int,
    timeout: float,
    epoch_callback: Callable[[int, int, dict], None] | None = None,
) -> tuple[TaskRecord, dict[str, np.ndarray]]:
    """``run_task`` in a child process killed after ``timeout`` seconds (the whole task:
    fit, predict, latency and what is recorded after them)."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    entry = get_entry(task.spec.name)
    process = ctx.Process(
        target=_child, args=(send, task, split, threads, entry), name=f"mnistbench-{task.task_id}"
    )
    started, clock = timestamp(), time.monotonic()
    process.start()
    send.close()
    last_epoch: tuple[int, int] | None = None
    result: tuple[TaskRecord, dict[str, np.ndarray]] | None = None
    try:
        while result is None:
            left = clock + timeout - time.monotonic()
            if left <= 0 or not receive.poll(min(left, POLL_S)):
                if left <= 0:
                    break
                continue
            try:
                message = receive.recv()
            except EOFError:  # the child ended without a result
                break
            if message[0] == "epoch":
                last_epoch = message[1], message[2]
                if epoch_callback is not None:
                    epoch_callback(*message[1:])
            else:
                result = message[1], message[2]
    finally:
        if result is None:
            _kill(process)
        else:
            process.join()
        receive.close()
    elapsed = time.monotonic() - clock
    if result is not None:
        record, arrays = result
        record.task_timeout_s = timeout
        return record, arrays
    if elapsed >= timeout:
        where = f" in epoch {last_epoch[0] + 1} of {last_epoch[1]}" if last_epoch else ""
        return _base_record(
            task,
            split,
            threads,
            "timeout",
            f"ran out of its {timeout:g} s budget (--task-timeout){where}; "
            f"stopped after {elapsed:.1f} s",
            started,
            timeout,
        ), {}
    code = process.exitcode
    why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    return _base_record(
        task,
        split,
        threads,
        "error",
        f"the task's process ended without a result ({why}; out of memory?)",
        started,
        timeout,
    ), {}


def run_tasks_with_timeout(
    tasks: Iterable[Task],
    split: Split,
    *,
    threads: int,
    timeout: float,
    progress: Progress | None = None,
    stopped: dict[str, int | None] | None = None,
) -> Iterator[tuple[Task, TaskRecord, dict[str, np.ndarray]]]:
    """One task at a time, each under the budget (``runner.run_tasks`` with one job,
    otherwise). ``stopped`` maps a curve (``Task.curve``) to the smallest training size at which it
    already ran out of time (None: the whole part); larger sizes are not started."""
    progress = progress or Progress()
    stopped = dict(stopped or {})
    if _context().get_start_method() == "forkserver":  # its start-up is no task's budget
        from multiprocessing import forkserver

        forkserver.ensure_running()
    for task in tasks:
        label = task.curve  # the spec's label (and its data set, in a run over several)
        if label in stopped and size_key(task.train_size) > size_key(stopped[label]):
            at = stopped[label]
            record = _base_record(
                task,
                split,
                threads,
                "timeout",
                f"not started: {label} already ran out of its {timeout:g} s budget at "
                f"n={'all' if at is None else at}",
                timestamp(),
                timeout,
            )
            progress.task_finished(task, record)
            yield task, record, {}
            continue
        progress.task_started(task)
        record, arrays = run_task_with_timeout(
            task,
            split,
            threads=threads,
            timeout=timeout,
            epoch_callback=partial(progress.epoch, task),
        )
        if record.timed_out and (
            label not in stopped or size_key(task.train_size) < size_key(stopped[label])
        ):
            stopped[label] = task.train_size
        progress.task_finished(task, record)
        yield task, record, arrays


def budget_spent(record: TaskRecord, timeout: float | None) -> bool:
    """Whether a saved timeout stands on resume: a task that ran out of a budget at least
    as large as the new one would only run out again (a larger budget tries it anew)."""
    if not record.timed_out:
        return False
    return timeout is not None and (record.task_timeout_s or 0) >= timeout
