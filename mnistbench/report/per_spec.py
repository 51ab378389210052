"""A run's finished results grouped by model spec, and its class names: what the
per-model sections (confusion, weights, curves, per class) each start from."""

from __future__ import annotations

from mnistbench.results import Result, SavedRun


def finished_by_spec(run: SavedRun) -> dict[str, list[Result]]:
    """Each spec's finished results (every seed), in the run's order."""
    groups: dict[str, list[Result]] = {}
    for res in run.results:
        if res.ok:
            groups.setdefault(res.record.spec, []).append(res)
    return groups


def class_names(run: SavedRun, n: int) -> list[str]:
    """The data set's class names when it has ``n`` of them, else the digits 0..n-1."""
    names = list(run.meta.split.get("class_names") or [])
    return names if len(names) == n else [str(i) for i in range(n)]
