"""Trials on a Dask cluster (``mnistbench tune --scheduler``): each Dask task runs one
trial on a worker, which rebuilds the split by name (checked by its fingerprint, as a
run's workers do) and shares the study through its storage. The storage must be one every
worker reaches: the default SQLite file for ``local:N`` workers on this machine, a
database server (``--storage``) for workers elsewhere.

A worker killed mid-trial leaves that trial running in the storage; the heartbeat every
worker's storage keeps marks it failed once its grace period has passed (it counts in no
budget), and Dask runs the task again on another worker. The client fails whatever is
still running when a model's last trial has come back.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from mnistbench.data import Split, load_dataset, make_split
from mnistbench.errors import DataError
from mnistbench.harness.cluster import DataRequest
from mnistbench.tuning.method import pruner, sampler
from mnistbench.tuning.storage import open_storage
from mnistbench.tuning.trial import TrialFailed, run_trial

#: seconds between a running trial's heartbeats, and without one before it is stale. A
#: grace of 10 s failed a live trial once in a clean-clone CI run on 2 busy cores (its
#: worker then could not record the result: UpdateFinishedTrialError); 30 s still fails
#: a killed worker's trial within a minute.
HEARTBEAT_S, GRACE_S = 2, 30


@lru_cache(maxsize=2)
def _split(data: DataRequest) -> Split:
    data_dir = data.data_dir if data.data_dir and Path(data.data_dir).is_dir() else None
    dataset = load_dataset(data.dataset, data_dir=data_dir, download=False)
    split = make_split(
        dataset, data.scheme, test_size=data.test_size, val_size=data.val_size, seed=data.split_seed
    )
    if split.fingerprint != data.fingerprint:
        raise DataError(
            f"the split rebuilt on this worker has fingerprint {split.fingerprint}, the "
            f"client's is {data.fingerprint}: this worker has other data"
        )
    return split


def remote_trial(
    url: str,
    name: str,
    data: DataRequest,
    *,
    seed: int,
    sampler_seed: int,
    threads: int,
    wall_limit_s: float | None = None,
) -> None:
    """What a worker runs: one trial of ``name``'s study in the storage at ``url``."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    split = _split(data)
    storage = open_storage(url, heartbeat=(HEARTBEAT_S, GRACE_S))
    study = optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=sampler(sampler_seed),
        pruner=pruner(),
    )
    # Dask runs a task again when its worker dies, even one that had just told the storage
    # its trial was done: a submission whose trial finished is not run twice.
    finished = (TrialState.COMPLETE, TrialState.PRUNED)
    if any(
        t.user_attrs.get("submission") == sampler_seed and t.state in finished
        for t in study.get_trials(deepcopy=False)
    ):
        return

    def objective(trial: Any) -> float:
        trial.set_user_attr("submission", sampler_seed)
        return run_trial(trial, name, split, seed=seed, threads=threads, wall_limit_s=wall_limit_s)

    study.optimize(objective, n_trials=1, catch=(TrialFailed,))


def worker_count(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))
