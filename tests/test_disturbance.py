"""Timings that say when they were disturbed: the verdict on recorded signals, repeats of
short phases, a real task under load, and compare's handling of disturbed timings."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from mnistbench.analysis.compare import compare_runs
from mnistbench.cli import main
from mnistbench.harness import disturbance
from mnistbench.harness.disturbance import Snapshot, judge, signals
from mnistbench.harness.runner import Task, run_task
from mnistbench.harness.timing import timed_phase
from mnistbench.models import parse_spec
from mnistbench.results import load_run
from mnistbench.results.record import PhaseSignals


def _signals(**changes) -> PhaseSignals:
    quiet = dict(
        wall_s=2.0,
        cpu_s=3.8,
        threads=2,
        cpu_per_wall=1.9,
        steal_fraction=0.0,
        others_cores=0.05,
        load_1min=1.5,
        cores=2,
        concurrent_tasks=0,
    )
    return PhaseSignals(**{**quiet, **changes})


def test_a_quiet_phase_is_clean():
    assert judge(_signals()) == []


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"steal_fraction": 0.12}, "steal 12 %"),
        ({"others_cores": 1.1}, "other processes 1.10 of 2 cores"),
        ({"cpu_per_wall": 0.6, "load_1min": 3.5}, "CPU/wall 0.60 of 2 thread(s) at load 3.5"),
        ({"concurrent_tasks": 1}, "1 concurrent task(s)"),
    ],
)
def test_each_signal_past_its_threshold_disturbs(changes, reason):
    reasons = judge(_signals(**changes))
    assert len(reasons) == 1 and reasons[0].startswith(reason)


def test_thresholds_are_not_hair_triggers():
    # A little steal, another process's quarter core on a machine with spare cores, a
    # one-threaded solver on two threads asked for, and a high load with full CPU: clean.
    assert judge(_signals(steal_fraction=0.04)) == []
    assert judge(_signals(others_cores=1.0, threads=1, cores=4)) == []
    assert judge(_signals(cpu_per_wall=1.0, load_1min=0.5)) == []
    assert judge(_signals(cpu_per_wall=1.9, load_1min=5.0)) == []
    # /proc/stat counts 10 ms ticks: a 20 ms phase is not judged on steal or other processes.
    assert judge(_signals(wall_s=0.02, steal_fraction=0.5, others_cores=2.0)) == []


def test_signals_from_snapshots():
    start = Snapshot(wall=0.0, cpu=0.0, busy_ticks=1000, steal_ticks=0, total_ticks=2000)
    end = Snapshot(wall=1.0, cpu=1.0, busy_ticks=1200, steal_ticks=20, total_ticks=2200)
    found = signals(start, end, threads=2)
    assert found.cpu_per_wall == 1.0
    assert found.steal_fraction == pytest.approx(0.1)
    # 200 busy ticks are 2 CPU-seconds; this process used 1 of them
    assert found.others_cores == pytest.approx(2 * 100 * disturbance._TICK_S - 1.0, abs=0.01)
    assert found.disturbed and "steal 10 %" in found.reasons[0]
    unreported = Snapshot(wall=1.0, cpu=1.0, busy_ticks=None, steal_ticks=None, total_ticks=None)
    assert signals(unreported, unreported, threads=1).steal_fraction is None


def test_short_phases_are_repeated_long_ones_timed_once():
    calls = []

    def work(i):
        calls.append(i)
        time.sleep(0.3)
        return i

    result, phase = timed_phase(work, threads=1, max_repeats=10)
    assert result == 0 and calls == [0, 1, 2, 3]  # until a second is spent
    assert len(phase.walls) == 4 and phase.min_s <= phase.median_s
    assert phase.signals.repeats == 4
    calls.clear()
    _, phase = timed_phase(lambda i: (calls.append(i), time.sleep(1.05)), threads=1, max_repeats=10)
    assert calls == [0] and phase.signals.repeats == 1


def _spin(stop_at: float) -> None:
    while time.perf_counter() < stop_at:
        pass


def _other_processes_cores(seconds: float = 1.0) -> float:
    start = Snapshot.take()
    time.sleep(seconds)
    return signals(start, Snapshot.take(), threads=1).others_cores or 0.0


# A fit of about a second on digits: long enough for /proc/stat's ticks.
LONG_FIT = "mlp:epochs=3,min_steps=0,hidden_units=(256,)"


_HOG = "import time\nend = time.time() + 60\nwhile time.time() < end:\n    pass\n"


def _start_hog() -> int:
    """A spinning process that is not ours: started through a shell that exits at once, so
    it is re-parented (a child's CPU would count as the task's own). It ends by itself
    within a minute; the test kills it sooner."""
    shell = subprocess.run(
        ["sh", "-c", '"$0" -c "$1" >/dev/null 2>&1 & echo $!', sys.executable, _HOG],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(shell.stdout)


@pytest.mark.slow
def test_a_fit_on_a_busy_machine_is_disturbed(digits_split):
    hogs = [_start_hog() for _ in range(2)]
    try:
        time.sleep(1.0)  # let them start spinning
        record, _ = run_task(Task(parse_spec(LONG_FIT), 0), digits_split, threads=2)
    finally:
        for pid in hogs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert record.ok, record.error
    fit = record.timing.phases["fit"]
    assert fit.disturbed, fit
    assert any("other processes" in r for r in fit.reasons)
    assert record.timing.disturbance("fit")


@pytest.mark.slow
def test_the_same_fit_on_an_idle_machine_is_clean(digits_split):
    busy = _other_processes_cores()
    if busy > disturbance.OTHERS_LIMIT:
        pytest.skip(f"the machine is not idle (other processes use {busy:.2f} cores)")
    record, _ = run_task(Task(parse_spec(LONG_FIT), 0), digits_split, threads=2)
    fit = record.timing.phases["fit"]
    if any("other processes" in r for r in fit.reasons) and _other_processes_cores() > 0.2:
        pytest.skip("another process started during the fit")
    assert not fit.disturbed, fit.reasons


def _spin_for(seconds: float) -> float:
    _spin(time.perf_counter() + seconds)
    return seconds


@pytest.mark.slow
def test_cpu_in_the_tasks_own_worker_processes_is_the_tasks_not_another_processes():
    # A model with n_jobs on joblib's loky backend computes in child processes; their CPU
    # is the task's. Before, it counted as "other processes" and disturbed a clean fit.
    from joblib import Parallel, delayed

    busy = _other_processes_cores()
    if busy > disturbance.OTHERS_LIMIT:
        pytest.skip(f"the machine is not idle (other processes use {busy:.2f} cores)")

    def fit(i: int) -> list[float]:
        return Parallel(n_jobs=2, backend="loky")(delayed(_spin_for)(1.5) for _ in range(2))

    _, phase = timed_phase(fit, threads=2)
    assert phase.cpus[0] > 2.0  # both workers' spinning counted (about 3 s)
    if (
        any("other processes" in r for r in phase.signals.reasons)
        and _other_processes_cores() > 0.2
    ):
        pytest.skip("another process started during the phase")
    assert not phase.signals.disturbed, phase.signals.reasons


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("disturbed")
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn,linear_svc",
                "--out",
                str(out),
                "--run-id",
                "base",
                "--quiet",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    base = out / "base"
    current = out / "current"
    shutil.copytree(base, current)
    for path in (current / "tasks").glob("knn*.json"):
        record = json.loads(path.read_text())
        for phase in record["timing"]["phases"].values():
            phase.update(verdict="clean", reasons=[])
        record["timing"]["fit_wall_s"] *= 5  # a slowdown...
        fit = record["timing"]["phases"]["fit"]
        fit.update(verdict="disturbed", reasons=["steal 30 % of the CPU time"])  # ...explained
        path.write_text(json.dumps(record))
    for path in (base / "tasks").glob("*.json"):  # a clean baseline whatever the machine did
        record = json.loads(path.read_text())
        for phase in record["timing"]["phases"].values():
            phase.update(verdict="clean", reasons=[])
        path.write_text(json.dumps(record))
    for path in (current / "tasks").glob("linear_svc*.json"):
        record = json.loads(path.read_text())
        for phase in record["timing"]["phases"].values():
            phase.update(verdict="clean", reasons=[])
        path.write_text(json.dumps(record))
    return base, current


def test_compare_does_not_call_a_disturbed_timing_a_regression(two_runs, capsys):
    base, current = two_runs
    comparison = compare_runs(load_run(base), load_run(current), metrics=["fit_wall_s"])
    verdicts = comparison.table.set_index("spec")["fit_wall_s_verdict"]
    assert verdicts["knn"] == "disturbed" and not comparison.regressions
    assert "steal 30 %" in comparison.disturbed[0]
    assert main(["compare", str(base), str(current), "--metrics", "fit_wall_s"]) == 0
    assert "disturbed knn: fit_wall_s" in capsys.readouterr().out
    assert (
        main(["compare", str(base), str(current), "--metrics", "fit_wall_s", "--strict-timing"])
        == 2
    )
    assert "--strict-timing" in capsys.readouterr().err


def test_the_report_and_summary_mark_disturbed_timings(two_runs, tmp_path, capsys):
    from mnistbench.commands.display import console, summary_table
    from mnistbench.report import write_report

    _, current = two_runs
    html = write_report([current], tmp_path / "r.html").read_text()
    assert 'class="disturbed' in html and "Disturbed timings" in html
    assert "steal 30 % of the CPU time" in html
    assert "CPU/wall" in html  # the signals on hover
    with console.capture() as captured:
        console.print(summary_table(load_run(current).to_frame()))
    text = captured.get()
    assert "knn seed 0 disturbed — fit: steal 30 % of the CPU time" in text
