"""The same run on a Dask cluster: a real scheduler and worker processes on 127.0.0.1,
started with Dask's own command line, torn down after each test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mnistbench.cli import main
from mnistbench.results import load_run

distributed = pytest.importorskip("distributed", reason="needs mnistbench[cluster]")

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


class DaskCluster:
    """``dask scheduler`` and N ``dask worker`` processes (no nanny: a killed worker stays
    dead), all on 127.0.0.1; every process is killed on exit."""

    def __init__(self, tmp: Path, n_workers: int) -> None:
        self.file = tmp / "scheduler.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.procs = [
            subprocess.Popen(
                [
                    *DASK,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    ":0",
                    "--scheduler-file",
                    str(self.file),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        deadline = time.time() + 60
        while not self.file.exists() and time.time() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        for _ in range(n_workers):
            self.procs.append(
                subprocess.Popen(
                    [
                        *WORKER,
                        self.address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp / "workers"),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(n_workers, timeout=120)
            # the addresses as started: a worker the scheduler later drops (a missed
            # heartbeat on a loaded machine) still counts as one of ours
            self.workers = set(client.scheduler_info()["workers"])

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    c = DaskCluster(tmp_path, 2)
    yield c
    c.close()
    assert all(p.poll() is not None for p in c.procs)  # nothing outlives the test


MODELS = "sgd,knn,softmax:epochs=2,min_steps=0"


def _accuracies(run_dir: Path) -> dict[tuple[str, int], float]:
    return {
        (r.record.spec, r.record.seed): r.record.metrics.accuracy for r in load_run(run_dir).results
    }


@pytest.mark.slow
def test_a_cluster_run_gives_the_local_run_accuracies(cluster, tmp_path):
    common = [
        "run",
        "--dataset",
        "digits",
        "--models",
        MODELS,
        "--seeds",
        "0,1,2",
        "--threads",
        "1",
        "--out",
        str(tmp_path / "results"),
        "--quiet",
    ]
    assert main([*common, "--run-id", "local"]) == 0
    assert main([*common, "--run-id", "dask", "--scheduler", cluster.address]) == 0
    local, remote = (
        _accuracies(tmp_path / "results" / "local"),
        _accuracies(tmp_path / "results" / "dask"),
    )
    assert local.keys() == remote.keys() and len(local) == 9
    for (spec, seed), accuracy in local.items():
        if spec in ("sgd", "knn"):  # classical: bit-identical
            assert remote[spec, seed] == accuracy
        else:
            assert remote[spec, seed] == pytest.approx(accuracy, abs=0.01)
    run = load_run(tmp_path / "results" / "dask")
    assert len(cluster.workers) == 2
    assert {r.record.worker for r in run.results} <= cluster.workers
    assert all(r.record.environment.host for r in run.results)
    # two workers on one host share its cores: every record says so
    assert all(r.record.parallel_jobs == 2 for r in run.results)
    assert run.meta.scheduler == cluster.address


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_nothing(cluster, tmp_path):
    out = tmp_path / "results"
    models = "mlp:epochs=40,min_steps=0,hidden_units=(512,),sgd,knn"
    args = [
        "run",
        "--dataset",
        "digits",
        "--models",
        models,
        "--seeds",
        "0,1",
        "--threads",
        "1",
        "--out",
        str(out),
        "--run-id",
        "k",
        "--quiet",
        "--scheduler",
        cluster.address,
    ]
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        with distributed.Client(cluster.address, timeout=30) as client:
            deadline = time.time() + 120
            while time.time() < deadline:
                busy = [
                    w
                    for w, keys in client.processing().items()
                    if any("mlp" in str(k) for k in keys)
                ]
                if busy:
                    time.sleep(1.0)  # well inside the training
                    pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.1)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    status = main(args)
    killer.join()
    assert killed, "no worker was found training"
    run = load_run(out / "k")
    assert len(run.results) == 6  # every task done, or failed with its reason
    for r in run.results:
        assert r.ok or r.record.error
    assert status in (0, 1)
    assert not list((out / "k").rglob("*.tmp"))
    # the surviving worker finishes whatever the dead one left
    assert main([*args[:-2], "--resume", "--scheduler", cluster.address]) == 0
    assert all(r.ok for r in load_run(out / "k").results)


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, capsys):
    status = main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            "sgd",
            "--out",
            str(tmp_path / "results"),
            "--scheduler",
            "tcp://127.0.0.1:1",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("mnistbench: error: cannot reach the Dask scheduler")
    assert err.count("\n") == 1
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


@pytest.mark.parametrize("address", ["local:0", "local:x"])
def test_a_bad_local_cluster_size_is_refused(tmp_path, capsys, address):
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "sgd",
                "--out",
                str(tmp_path),
                "--scheduler",
                address,
            ]
        )
        == 2
    )
    assert "local:N" in capsys.readouterr().err


def test_a_worker_without_the_data_fails_its_task_with_the_reason():
    from mnistbench.harness.cluster import DataRequest, remote_task
    from mnistbench.harness.runner import Task
    from mnistbench.models import parse_spec

    data = DataRequest(
        "csv:/nowhere/on/this/worker.csv", "stratified", 0.2, 0.1, 0, "0123456789abcdef"
    )
    record, arrays = remote_task(Task(parse_spec("sgd"), 0), data, 1, {})
    assert record.status == "error" and arrays == {}
    assert "cannot load csv:/nowhere/on/this/worker.csv" in record.error
    assert "install the data there" in record.error
    assert record.environment.host
