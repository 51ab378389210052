"""Was a timing disturbed? Signals taken around each timed phase, and the verdict.

These machines are shared: a timing can be off by half while another process, the
hypervisor (steal) or our own parallel tasks take the cores. Each timed phase records what
the machine did meanwhile, read from ``/proc/stat`` and the load average, and is judged
``clean`` or ``disturbed`` by the thresholds below (the README's "Disturbed timings"
section explains them):

- **steal**: the hypervisor took more than ``STEAL_LIMIT`` of the machine's CPU time during
  the phase (reported by virtual machines' kernels; absent elsewhere);
- **other processes**: processes other than this one and its own workers (a model's joblib
  processes count as the task's CPU) kept more than ``OTHERS_LIMIT`` of a core busy on
  average, while their use plus the threads we asked for exceeded the cores;
- **starved**: this process got less than ``STARVED_RATIO`` of the CPU its threads could
  use while the load average exceeded the cores;
- **concurrent tasks**: other tasks of the run ran at the same time (``--jobs``).

Phases shorter than ``MIN_JUDGED_S`` are too short for ``/proc/stat``'s 10 ms ticks; the
steal and other-process rules skip them (repeats make most short phases long enough).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from mnistbench.results.record import PhaseSignals

STEAL_LIMIT = 0.05
OTHERS_LIMIT = 0.25  # cores' worth of CPU, averaged over the phase
STARVED_RATIO = 0.5
MIN_JUDGED_S = 0.1
_PROC_STAT = Path("/proc/stat")
_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def task_cpu_seconds() -> float:
    """CPU seconds of this process and of its child processes: a model that fits in joblib
    worker processes (scikit-learn's ``n_jobs`` on the loky backend) spends its CPU there,
    and that CPU is the task's, not another process's."""
    own = time.process_time()
    reaped = os.times()
    total = own + reaped.children_user + reaped.children_system
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return total
    for child in children:
        try:
            times = child.cpu_times()
        except psutil.Error:  # it ended meanwhile
            continue
        total += times.user + times.system
    return total


@dataclass(frozen=True)
class Snapshot:
    """Clocks and machine counters at one instant."""

    wall: float
    cpu: float  # this process (all threads) and its child processes
    busy_ticks: int | None  # the machine's non-idle, non-steal ticks (all CPUs)
    steal_ticks: int | None
    total_ticks: int | None

    @classmethod
    def take(cls) -> Snapshot:
        busy = steal = total = None
        try:
            fields = [int(v) for v in _PROC_STAT.read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            fields = []
        if len(fields) == 8:
            user, nice, system, idle, iowait, irq, softirq, steal = fields
            busy = user + nice + system + irq + softirq
            total = busy + idle + iowait + steal
        return cls(time.perf_counter(), task_cpu_seconds(), busy, steal, total)

    def ticks(self) -> tuple[int, int, int] | None:
        """Busy, steal and total ticks; None where ``/proc/stat`` could not be read."""
        if self.busy_ticks is None or self.steal_ticks is None or self.total_ticks is None:
            return None
        return self.busy_ticks, self.steal_ticks, self.total_ticks


def machine_cores() -> int:
    """Every CPU /proc/stat counts (not only those this process may use)."""
    return os.cpu_count() or 1


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def signals(
    start: Snapshot, end: Snapshot, *, threads: int, concurrent_tasks: int = 0, repeats: int = 1
) -> PhaseSignals:
    """What the machine did between two snapshots, and the verdict on it."""
    wall = max(end.wall - start.wall, 1e-9)
    cpu = max(end.cpu - start.cpu, 0.0)
    steal_fraction = others_cores = None
    before, after = start.ticks(), end.ticks()
    if before is not None and after is not None:
        busy, steal, total = (b - a for a, b in zip(before, after, strict=True))
        if total > 0:
            steal_fraction = round(steal / total, 4)
            busy_s = busy * _TICK_S
            others_cores = round(max(0.0, busy_s - cpu) / wall, 3)
    found = PhaseSignals(
        wall_s=wall,
        cpu_s=cpu,
        threads=threads,
        cpu_per_wall=round(cpu / wall, 3),
        steal_fraction=steal_fraction,
        others_cores=others_cores,
        load_1min=load_average(),
        cores=machine_cores(),
        concurrent_tasks=concurrent_tasks,
        repeats=repeats,
    )
    found.reasons = judge(found)
    found.verdict = "disturbed" if found.reasons else "clean"
    return found


def judge(s: PhaseSignals) -> list[str]:
    """The reasons a phase counts as disturbed (none: clean), by the module's thresholds."""
    reasons = []
    if s.concurrent_tasks:
        reasons.append(f"{s.concurrent_tasks} concurrent task(s)")
    judged = (s.wall_s or 0) >= MIN_JUDGED_S
    if judged and s.steal_fraction is not None and s.steal_fraction > STEAL_LIMIT:
        reasons.append(f"steal {100 * s.steal_fraction:.0f} %")
    if (
        judged
        and s.others_cores is not None
        and s.others_cores > OTHERS_LIMIT
        and s.others_cores + (s.threads or 1) > (s.cores or 1)
    ):
        reasons.append(f"other processes {s.others_cores:.2f} of {s.cores} cores")
    if (
        s.load_1min is not None
        and s.cpu_per_wall is not None
        and s.threads
        and s.load_1min > (s.cores or 1)
        and s.cpu_per_wall < STARVED_RATIO * min(s.threads, s.cores or s.threads)
    ):
        reasons.append(
            f"CPU/wall {s.cpu_per_wall:.2f} of {s.threads} thread(s) at load {s.load_1min:.1f}"
        )
    return reasons
