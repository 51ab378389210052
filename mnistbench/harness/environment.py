"""Machine and library facts recorded with every result, and the thread settings we impose."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

_LIBRARIES = (
    "mnistbench", "numpy", "scipy", "scikit-learn", "tensorflow", "tensorflow-cpu", "keras",
    "pandas", "joblib", "threadpoolctl",
)
_tf_threads: tuple[int, int] | None = None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """TensorFlow's C++ start-up notices bypass Python logging; hide them from the display."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def configure_tensorflow_threads(intra: int, inter: int = 1) -> tuple[int, int]:
    """Pin TensorFlow's pools once per process, before its runtime starts."""
    global _tf_threads
    if _tf_threads is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with _native_stderr_silenced():
            import tensorflow as tf

        try:
            with _native_stderr_silenced():
                tf.config.threading.set_intra_op_parallelism_threads(intra)
                tf.config.threading.set_inter_op_parallelism_threads(inter)
                tf.constant(0)  # start the runtime now, with these pools
            _tf_threads = (intra, inter)
        except RuntimeError:  # runtime already initialised: record what it has
            _tf_threads = (
                tf.config.threading.get_intra_op_parallelism_threads(),
                tf.config.threading.get_inter_op_parallelism_threads(),
            )
    return _tf_threads


def git_commit(path: Path | None = None) -> str | None:
    """The commit of the checkout mnistbench runs from, when there is one."""
    where = path or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@cache
def _static_facts() -> dict[str, Any]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "cores_available": default_threads(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "commit": git_commit(),
    }


def environment(threads: int) -> dict[str, Any]:
    """Facts for a result: the machine, libraries, and the thread settings in force."""
    from threadpoolctl import threadpool_info

    facts = dict(_static_facts())
    facts["threads"] = {
        "requested": threads,
        "blas": [
            {"api": p.get("internal_api"), "num_threads": p.get("num_threads")}
            for p in threadpool_info()
        ],
        "tensorflow_intra_op": _tf_threads[0] if _tf_threads else None,
        "tensorflow_inter_op": _tf_threads[1] if _tf_threads else None,
    }
    return facts
