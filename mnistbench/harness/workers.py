"""Worker processes that end with the run that started them.

joblib's loky workers outlive a parent killed with SIGKILL: a worker in the middle of a
task trains on (holding its memory) and then idles for minutes. A worker that calls
:func:`end_with_parent` watches its parent and ends itself within a second of the parent's
death, however the parent died: on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``,
which works even while a native library holds the GIL), and a watching thread covers other
systems.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import sys
import threading
import time

#: how often a worker looks at its parent (seconds)
WATCH_INTERVAL = 0.5

_watched: int | None = None
_guard = threading.Lock()


class RunEnded(RuntimeError):
    """The run that asked for a task ended before the task started."""


def end_with_parent(
    parent_pid: int, parent_host: str | None = None, interval: float = WATCH_INTERVAL
) -> bool:
    """In a worker started by process ``parent_pid`` (on ``parent_host``), end this process
    when that parent ends. Does nothing (returns False) in the parent itself (a threading
    backend), on another host, or in a process that is not the parent's direct child (a
    cluster worker). When the parent is already gone, no one would collect the task's
    result: an orphaned pool worker ends at once, anything else raises :class:`RunEnded`."""
    global _watched
    if parent_host is not None and parent_host != socket.gethostname():
        return False
    if os.getpid() == parent_pid:
        return False
    if os.getppid() != parent_pid:
        if _exists(parent_pid):
            return False
        if os.getppid() == 1 or _is_pool_worker():
            os.kill(os.getpid(), signal.SIGKILL)  # orphaned: a pool worker of a dead run
        raise RunEnded(f"process {parent_pid}, which asked for this task, has ended")
    with _guard:
        if _watched == parent_pid:
            return True
        _watched = parent_pid

    _kill_on_parent_death()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:  # re-parented: the parent is gone
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(interval)

    threading.Thread(target=watch, name="mnistbench-end-with-parent", daemon=True).start()
    return True


_PR_SET_PDEATHSIG = 1


def _kill_on_parent_death() -> None:
    """Linux: ask the kernel for SIGKILL when the parent ends (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watching thread still ends the worker once it gets the GIL


def _is_pool_worker() -> bool:
    """A process a joblib / multiprocessing pool started (not a cluster's main process)."""
    import multiprocessing

    return (
        multiprocessing.parent_process() is not None
        or multiprocessing.current_process().name.startswith("LokyProcess")
    )


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
