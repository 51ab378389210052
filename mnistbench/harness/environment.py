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


#: float32 lanes of one fused multiply-add, by the widest vector extension a CPU flags
_FMA_LANES = (("avx512f", 16), ("avx2", 8), ("fma", 8), ("avx", 8), ("sse2", 4), ("asimd", 4))


def peak_flops(cpuinfo: str, cores: int) -> tuple[float | None, str | None]:
    """An estimate of the float32 peak of ``cores`` cores from the text of /proc/cpuinfo:
    cores x FMA lanes x 2 (a multiply and an add) x clock, assuming one FMA per core and
    cycle at the reported (not the turbo) clock. None where the flags or clock are
    missing. The basis says how it was reached, so a report can state it."""
    flags: set[str] = set()
    mhz: list[float] = []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("flags", "features") and not flags:
            flags = set(value.split())
        elif key == "cpu mhz":
            try:
                mhz.append(float(value))
            except ValueError:
                continue
    lanes = next((n for flag, n in _FMA_LANES if flag in flags), None)
    if lanes is None or not mhz or cores < 1:
        return None, None
    ghz = max(mhz) / 1000
    peak = cores * lanes * 2 * ghz * 1e9
    flag = next(f for f, n in _FMA_LANES if f in flags)
    return peak, (
        f"{cores} cores x {lanes} float32 lanes ({flag}) x 2 (FMA) x {ghz:.2f} GHz = "
        f"{peak / 1e9:.0f} GFLOP/s, an estimate"
    )


def _machine_peak() -> tuple[float | None, str | None]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None, None
    return peak_flops(text, default_threads())


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
        **dict(zip(("peak_flops", "peak_flops_basis"), _machine_peak(), strict=True)),
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
