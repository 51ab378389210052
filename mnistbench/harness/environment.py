"""Machine and library facts recorded with every result, and the thread settings we impose."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from threadpoolctl import threadpool_info

from mnistbench.models.threads import tensorflow_pools
from mnistbench.results.record import Environment, Threads

_LIBRARIES = (
    "mnistbench",
    "numpy",
    "scipy",
    "scikit-learn",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "pandas",
    "joblib",
    "threadpoolctl",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def default_threads() -> int:
    """The cores this process may run on (its affinity where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
        "host": socket.gethostname(),
    }


def environment(threads: int) -> Environment:
    """Facts for a result: the host, machine, libraries, the threads requested and what
    BLAS and TensorFlow report (``mnistbench.models.threads`` sets them)."""
    intra, inter = tensorflow_pools()
    blas = [
        {"api": p.get("internal_api"), "num_threads": p.get("num_threads")}
        for p in threadpool_info()
    ]
    return Environment(
        **_static_facts(),
        threads=Threads(
            requested=threads, blas=blas, tensorflow_intra_op=intra, tensorflow_inter_op=inter
        ),
    )
