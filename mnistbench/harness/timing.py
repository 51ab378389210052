"""Clocks and memory probes: wall and CPU time, latency percentiles, peak resident memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import psutil

from mnistbench.harness.disturbance import Snapshot, signals, task_cpu_seconds
from mnistbench.results.record import PhaseSignals

T = TypeVar("T")
#: Phases shorter than this are repeated (up to a phase's maximum), as asv does.
REPEAT_BELOW_S = 1.0
#: Memory touched before a process's first timed phase: this many times the training data,
#: at least WARM_MIN_BYTES, at most a quarter of the memory available.
WARM_FACTOR = 4
WARM_MIN_BYTES = 256 * 2**20
_warmed_bytes = 0


def warm_memory(data_bytes: int) -> None:
    """Write to (and free) a few times ``data_bytes`` of memory, once per process and
    outside every clock, so that the first task of a run does not pay for cold memory.

    On a virtual machine, memory that no process has touched yet is slow to hand out (the
    host backs each page on first touch); freed pages go back to the kernel and serve the
    next allocations warm. Without this, the first task paid for the whole run: logreg's
    full-MNIST fit took 1.5-2.0 s as a run's first task and 1.0-1.1 s after another task
    or after this warm-up (2026-11-24, 2-core VM).
    """
    global _warmed_bytes
    wanted = max(WARM_MIN_BYTES, WARM_FACTOR * int(data_bytes))
    if wanted <= _warmed_bytes:
        return
    size = min(wanted, psutil.virtual_memory().available // 4)
    block = np.ones(size // 4, dtype=np.float32)  # np.ones writes every page
    del block
    _warmed_bytes = wanted


@dataclass
class Measurement:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    rss_increase_mb: float = 0.0


class _PeakSampler(threading.Thread):
    """Samples this process's RSS; TensorFlow allocates outside tracemalloc's view."""

    def __init__(self, interval_s: float) -> None:
        super().__init__(daemon=True)
        self._process = psutil.Process()
        self._interval = interval_s
        self._halt = threading.Event()
        self.start_rss = self._process.memory_info().rss
        self.peak = self.start_rss

    def run(self) -> None:
        while not self._halt.wait(self._interval):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        self.peak = max(self.peak, self._process.memory_info().rss)
        return self.peak


@contextmanager
def measure(track_memory: bool = True, interval_s: float = 0.005) -> Iterator[Measurement]:
    """Time the enclosed block (wall and process CPU) and record its peak RSS."""
    result = Measurement()
    sampler = _PeakSampler(interval_s) if track_memory else None
    if sampler is not None:
        sampler.start()
    cpu0, wall0 = task_cpu_seconds(), time.perf_counter()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - wall0
        result.cpu_s = task_cpu_seconds() - cpu0
        if sampler is not None:
            peak = sampler.stop()
            result.peak_rss_mb = peak / 2**20
            result.rss_increase_mb = (peak - sampler.start_rss) / 2**20


@dataclass
class PhaseTiming:
    """One timed phase: every repeat's wall and CPU seconds, peak memory of the first,
    and the disturbance signals over the whole phase."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    rss_increase_mb: float = 0.0
    signals: PhaseSignals | None = None

    @property
    def median_s(self) -> float:
        return float(np.median(self.walls))

    @property
    def min_s(self) -> float:
        return float(min(self.walls))

    @property
    def median_cpu_s(self) -> float:
        return float(np.median(self.cpus))


def timed_phase(
    work: Callable[[int], T],
    *,
    threads: int,
    concurrent_tasks: int = 0,
    track_memory: bool = False,
    max_repeats: int = 1,
) -> tuple[T, PhaseTiming]:
    """Run ``work(0)`` under the clocks and return its result; while the repeats so far
    took less than ``REPEAT_BELOW_S`` run ``work(1)``, ``work(2)``... (at most
    ``max_repeats`` in all), so a short phase gives a minimum and a median."""
    phase = PhaseTiming()
    start = Snapshot.take()
    result: Any = None
    for i in range(max_repeats):
        with measure(track_memory=track_memory and i == 0) as m:
            out = work(i)
        if i == 0:
            result = out
            phase.peak_rss_mb, phase.rss_increase_mb = m.peak_rss_mb, m.rss_increase_mb
        phase.walls.append(m.wall_s)
        phase.cpus.append(m.cpu_s)
        if sum(phase.walls) >= REPEAT_BELOW_S:
            break
    phase.signals = signals(
        start,
        Snapshot.take(),
        threads=threads,
        concurrent_tasks=concurrent_tasks,
        repeats=len(phase.walls),
    )
    return result, phase


def single_sample_latency(
    predict: Callable[[np.ndarray], Any],
    X: np.ndarray,
    *,
    n_samples: int = 100,
    warmup: int = 5,
    budget_s: float = 30.0,
) -> dict[str, float]:
    """Median and 95th-percentile seconds to predict one digit, after a warm-up.

    Stops early once ``budget_s`` is spent (slow models still get at least 10 samples).
    """
    rows = [X[i : i + 1] for i in range(min(len(X), n_samples + warmup))]
    for row in rows[:warmup]:
        predict(row)
    times: list[float] = []
    spent = 0.0
    for row in rows[warmup:]:
        t0 = time.perf_counter()
        predict(row)
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        spent += elapsed
        if spent > budget_s and len(times) >= 10:
            break
    arr = np.asarray(times)
    return {
        "latency_p50_s": float(np.percentile(arr, 50)),
        "latency_p95_s": float(np.percentile(arr, 95)),
        "latency_samples": len(times),
    }
