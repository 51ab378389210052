"""What went wrong while a run ran, for the notes above the summary and the hover text of
its timings: failed tasks, tasks out of their time budget, tasks run alongside others and
timed phases the machine disturbed."""

from __future__ import annotations

from typing import Any

from mnistbench.results import SavedRun


def phase_signals(run: SavedRun) -> dict[tuple[str, str], tuple[bool, str]]:
    """Per (spec, phase): whether any seed's timing was disturbed, and every seed's signals
    as hover text (CPU/wall, steal, other processes, load, repeats, verdict)."""
    texts: dict[tuple[str, str], list[str]] = {}
    flags: dict[tuple[str, str], bool] = {}
    for res in run.results:
        timing = res.record.timing
        if not res.ok or timing is None:
            continue
        for phase, sig in timing.phases.items():
            key = (res.record.spec, phase)
            steal = "n/a" if sig.steal_fraction is None else f"{100 * sig.steal_fraction:.1f} %"
            others = "n/a" if sig.others_cores is None else f"{sig.others_cores:.2f}"
            verdict = "disturbed: " + "; ".join(sig.reasons) if sig.disturbed else "clean"
            texts.setdefault(key, []).append(
                f"seed {res.record.seed} {phase}: {verdict} (CPU/wall {sig.cpu_per_wall} for "
                f"{sig.threads} thread(s), steal {steal}, other processes {others} cores, "
                f"load {sig.load_1min} on {sig.cores} cores, {sig.repeats} repeat(s))"
            )
            flags[key] = flags.get(key, False) or sig.disturbed
    return {key: (flags[key], "\n".join(lines)) for key, lines in texts.items()}


def failures(run: SavedRun) -> list[dict[str, Any]]:
    """Tasks that failed (a timeout is listed by ``timeouts``: not the model's error)."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "error": r.record.error or "unknown error"}
        for r in run.results
        if not r.ok and not r.record.timed_out
    ]


def timeouts(run: SavedRun) -> list[dict[str, Any]]:
    """Tasks that ran out of their --task-timeout budget, with how far they got."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "why": r.record.error or ""}
        for r in run.results
        if r.record.timed_out
    ]


def disturbed(run: SavedRun) -> list[dict[str, Any]]:
    """Tasks that ran alongside others (``--jobs``): their timings are not clean."""
    return [
        {"spec": r.record.spec, "seed": r.record.seed, "jobs": r.record.parallel_jobs}
        for r in run.results
        if r.record.parallel_jobs > 1
    ]


def disturbed_timings(run: SavedRun) -> list[dict[str, Any]]:
    """Every timed phase the machine disturbed (steal, other processes, starvation,
    concurrent tasks), with the reasons."""
    out = []
    for r in run.results:
        if r.ok and r.record.timing is not None:
            for phase in r.record.timing.phases:
                why = r.record.timing.disturbance(phase)
                if why:
                    out.append(
                        {"spec": r.record.spec, "seed": r.record.seed, "phase": phase, "why": why}
                    )
    return out
