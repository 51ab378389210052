"""Runs that outgrow one machine: the same tasks on a Dask cluster.

The client never ships the arrays: each task carries the data set's *name* and the split's
parameters; a worker loads the data from its own data directory or cache, rebuilds the
split, and refuses the task unless the split's fingerprint equals the client's. Each worker
runs one task at a time with the threads the run asked for; records name the worker and
its host, and say how many workers shared that host (their timings disturb each other).
Dask retries a task whose worker died; a task that cannot be finished comes back as a
failed record with the reason, so the run keeps every finished result and ``--resume``
completes the rest.
"""

from __future__ import annotations

import os
import socket
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mnistbench.data import Split, load_dataset, make_split
from mnistbench.errors import DataError, MnistbenchError, RequestError
from mnistbench.files import timestamp
from mnistbench.harness.environment import environment
from mnistbench.harness.runner import Progress, Task, run_task
from mnistbench.results.record import TaskRecord

LOCAL_PREFIX = "local:"
#: most worker processes a ``local:N`` cluster may start
MAX_LOCAL_WORKERS = 64
CONNECT_TIMEOUT_S = 10
#: Environment variables that size the native thread pools of a worker process (joblib's
#: and threadpoolctl's limits do not reach a Dask worker, its own environment does).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


class ClusterError(MnistbenchError):
    """The scheduler cannot be reached or named, or Dask is not installed."""


@dataclass(frozen=True)
class SchedulerAddress:
    """Where a run's tasks go: a Dask scheduler's address (``tcp://HOST:PORT`` or any
    address ``distributed.Client`` takes), or ``workers`` local worker processes on
    127.0.0.1 (``local:N``, started and stopped with the run)."""

    address: str | None = None  # set: a running Dask scheduler
    workers: int | None = None  # set: a LocalCluster of this many processes

    def __post_init__(self) -> None:
        if (self.address is None) == (self.workers is None):
            raise RequestError("scheduler", "is either a Dask address or a local worker count")
        if self.address is not None and not self.address.strip():
            raise RequestError(
                "scheduler", "is empty: give tcp://HOST:PORT, or local:N for N worker processes"
            )
        if self.address is not None:
            _check_address(self.address.strip())
        if self.workers is not None and (
            isinstance(self.workers, bool)
            or not isinstance(self.workers, int)
            or not 1 <= self.workers <= MAX_LOCAL_WORKERS
        ):
            raise RequestError(
                "scheduler",
                f"local:{self.workers}: use local:N with N worker processes "
                f"(1 to {MAX_LOCAL_WORKERS}), or tcp://HOST:PORT",
            )

    def __str__(self) -> str:
        """The address as ``--scheduler`` takes it (and ``run.json`` records it)."""
        return f"{LOCAL_PREFIX}{self.workers}" if self.address is None else self.address


def _check_address(address: str) -> None:
    """Refuse up front what Dask could never connect to: an unknown scheme
    (``garbage://x:1``) or no port (``foo``), by Dask's own parsing of addresses."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address, strict=False)
        port = parse_host_port(location)[1] if scheme in backends and scheme != "inproc" else 0
    except ValueError:
        port = 0
    if not 1 <= int(port) <= 65535:
        raise RequestError(
            "scheduler",
            f"{address!r} is not a scheduler's address: give tcp://HOST:PORT (a running Dask "
            "scheduler), or local:N for N worker processes here",
        )


@dataclass(frozen=True)
class DataRequest:
    """How a worker rebuilds the run's split: by name and parameters, checked by the
    fingerprint."""

    dataset: str
    scheme: str
    test_size: float | int
    val_size: float | int | None
    split_seed: int
    fingerprint: str
    data_dir: str | None = None  # the client's --data-dir, used where it exists on a worker


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            "a Dask scheduler needs Dask: pip install 'mnistbench[cluster]'"
        ) from None
    return distributed


class Cluster:
    """A connection to a Dask scheduler (``tcp://HOST:PORT``), or a LocalCluster of N
    worker processes on 127.0.0.1 (``local:N``) that lives as long as this object."""

    def __init__(self, address: SchedulerAddress, threads: int) -> None:
        distributed = _distributed()
        self.address = address
        self._local = None
        try:
            if address.workers is not None:
                env = {name: str(threads) for name in THREAD_VARIABLES}
                self._local = distributed.LocalCluster(
                    n_workers=address.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    env=env,
                )
                self.client = distributed.Client(self._local, timeout=CONNECT_TIMEOUT_S)
            else:
                self.client = distributed.Client(address.address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} "
                f"({type(exc).__name__}: {exc}); start it with `dask scheduler` "
                "and `dask worker`, or use local:N for worker processes here"
            ) from None

    def workers(self) -> dict[str, str]:
        """Worker address -> host, as the scheduler knows them now."""
        info = self.client.scheduler_info().get("workers", {})
        return {addr: w.get("host") or addr for addr, w in info.items()}

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._local is not None:
            self._local.close()
            self._local = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        tasks: list[Task],
        data: DataRequest,
        *,
        threads: int,
        progress: Progress | None = None,
    ) -> Iterator[tuple[Task, TaskRecord, dict[str, np.ndarray]]]:
        """Submit every task and yield each result as it arrives (finishing order)."""
        distributed = _distributed()
        progress = progress or Progress()
        sharing = Counter(self.workers().values())
        per_worker = {addr: sharing[host] for addr, host in self.workers().items()}
        futures = {
            self.client.submit(
                remote_task,
                task,
                data,
                threads,
                per_worker,
                pure=False,
                key=f"mnistbench-{task.task_id}-{os.getpid()}",
            ): task
            for task in tasks
        }
        try:
            for future in distributed.as_completed(futures):
                task = futures[future]
                try:
                    record, arrays = future.result()
                except Exception as exc:  # the worker died too often, or Dask failed
                    record, arrays = lost_task(task, data, threads, exc), {}
                progress.task_finished(task, record)
                yield task, record, arrays
        finally:
            for future in futures:
                future.cancel()


@lru_cache(maxsize=4)
def _worker_split(data: DataRequest) -> Split:
    data_dir = data.data_dir if data.data_dir and Path(data.data_dir).is_dir() else None
    dataset = load_dataset(data.dataset, data_dir=data_dir, download=False)
    return make_split(
        dataset, data.scheme, test_size=data.test_size, val_size=data.val_size, seed=data.split_seed
    )


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def remote_task(
    task: Task, data: DataRequest, threads: int, sharing: dict[str, int]
) -> tuple[TaskRecord, dict[str, np.ndarray]]:
    """What a worker runs: rebuild the split by name, check its fingerprint, run the task.

    A worker without the data (or with other data) returns a failed record naming itself
    and what to install; the other tasks go on elsewhere.
    """
    worker = _worker_name()
    host = socket.gethostname()
    try:
        split = _worker_split(data)
        if split.fingerprint != data.fingerprint:
            raise DataError(
                f"the split rebuilt here has fingerprint {split.fingerprint}, the "
                f"client's is {data.fingerprint}: this worker has other data"
            )
    except MnistbenchError as exc:
        record = lost_task(task, data, threads, exc)
        record.error = (
            f"worker {worker} on {host} cannot load {data.dataset}: {exc}; install "
            "the data there (MNISTBENCH_DATA_DIR or its cache) and --resume"
        )
        record.worker, record.environment = worker, environment(threads)
        return record, {}
    record, arrays = run_task(
        task, split, threads=threads, parallel_jobs=max(1, sharing.get(worker, 1))
    )
    record.worker = worker
    return record, arrays


def lost_task(task: Task, data: DataRequest, threads: int, exc: BaseException) -> TaskRecord:
    """A failed record for a task that never produced one of its own (no environment:
    nothing ran)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return TaskRecord(
        **task.identity(),
        dataset=data.dataset,
        split_scheme=data.scheme,
        split_fingerprint=data.fingerprint,
        status="error",
        error=f"{type(exc).__name__}: {first}",
        traceback="".join(traceback.format_exception(exc)),
        started=timestamp(),
        finished=timestamp(),
        threads=threads,
    )
