"""Section 1 of the report: each run's card (data set, split, seeds, dates, the machine
and its thread pools, the command), as the template shows it."""

from __future__ import annotations

from typing import Any

from mnistbench.results import SavedRun
from mnistbench.results.record import Environment


def _sizes(split: dict[str, Any]) -> str:
    return "/".join(
        f"{split.get(k, '?'):,}" if isinstance(split.get(k), int) else "?"
        for k in ("n_train", "n_val", "n_test")
    )


def header_info(run: SavedRun) -> dict[str, Any]:
    """Data set, split, seeds, dates and the machine, as the template shows them."""
    meta = run.meta
    split = meta.split or {}
    envs = [r.record.environment for r in run.results if r.record.environment]
    # Prefer a record made after TensorFlow started, which knows its thread pools.
    found = next(
        (e for e in reversed(envs) if e.threads and e.threads.tensorflow_intra_op), None
    ) or (envs[0] if envs else None)
    env = found or Environment()
    threads = env.threads
    commits = sorted({str(e.commit) for e in envs} - {"None"})
    blas = ", ".join(
        f"{b.get('api')}: {b.get('num_threads')}" for b in (threads.blas if threads else [])
    )
    return {
        "run_id": meta.run_id,
        "path": str(run.path),
        "status": meta.status,
        "dataset": meta.dataset,
        "data_source": meta.data_source,
        "scheme": split.get("scheme"),
        # a run over several data sets: each one's split, named by its data set
        "sizes": "; ".join(f"{name} {_sizes(part)}" for name, part in meta.splits.items())
        or _sizes(split),
        "image_shape": "; ".join(
            dict.fromkeys(
                "×".join(map(str, part.get("image_shape") or []))
                for part in (meta.splits or {"": split}).values()
            )
        ),
        "fingerprint": split.get("fingerprint")
        or "; ".join(f"{name} {part.get('fingerprint')}" for name, part in meta.splits.items())
        or None,
        "split_seed": split.get("seed"),
        "seeds": ", ".join(map(str, meta.seeds)),
        "created": meta.created,
        "finished": meta.finished,
        "threads": meta.threads,
        "jobs": meta.jobs,
        "cpu": env.cpu,
        "cores": (
            f"{env.cores_physical} physical / {env.cores_logical} logical, "
            f"{env.cores_available} available"
        )
        if found
        else None,
        "memory_gb": env.memory_gb,
        "platform": env.platform,
        "python": env.python,
        "thread_info": (
            f"BLAS {blas or '–'}; TensorFlow intra-op "
            f"{threads.tensorflow_intra_op or '–'}, inter-op "
            f"{threads.tensorflow_inter_op or '–'}"
        )
        if threads
        else None,
        "versions": env.versions,
        "commit": ", ".join(commits) or None,
        "command": " ".join(map(str, meta.command)),
    }
