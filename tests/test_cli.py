"""The command line: listings, runs, resume, and one-line errors with exit status 2."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

from mnistbench.cli import main
from mnistbench.harness import runner
from mnistbench.results import load_run
from tests.conftest import QUICK_KERAS, mnist_dir, requires_mnist


def _run(tmp_path, *args):
    return main(["run", "--out", str(tmp_path / "results"), "--quiet", *args])


def _one_run(tmp_path):
    runs = list((tmp_path / "results").iterdir())
    assert len(runs) == 1
    return load_run(runs[0])


def test_datasets_lists_every_data_set(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("digits", "mnist-5k", "mnist", "fashion-mnist", "csv:PATH"):
        assert name in out


def test_models_lists_models_presets_and_parameters(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for text in ("linear_svc", "cnn", "@notebook", "n_neighbors", "manhattan", "hidden_units"):
        assert text in out


def test_tuned_and_seed_variants_share_the_split(tmp_path, capsys):
    assert _run(tmp_path, "--dataset", "digits", "--models", "knn,knn@seed", "--seeds", "0,1") == 0
    run = _one_run(tmp_path)
    frame = run.to_frame()
    # @seed is the old name of the notebook preset, still accepted
    assert sorted(frame["spec"]) == ["knn", "knn", "knn@notebook", "knn@notebook"]
    assert frame["split_fingerprint"].nunique() == 1
    assert run.meta.split["fingerprint"] == frame["split_fingerprint"][0]
    assert (frame["status"] == "ok").all()
    assert run.meta.status == "complete"


def test_summary_tables_are_printed(tmp_path, capsys):
    assert (
        main(["run", "--out", str(tmp_path), "--dataset", "digits", "--models", "knn,knn@notebook"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Results (test set)" in out and "As written (@preset) vs tuned" in out


def test_a_failing_model_does_not_stop_the_others(tmp_path, monkeypatch):
    from mnistbench.models.builtin.sgd import SGDModel

    def broken(self, *a, **k):
        raise ValueError("diverged")

    monkeypatch.setattr(SGDModel, "fit", broken)
    assert _run(tmp_path, "--dataset", "digits", "--models", "sgd,linear_svc") == 1
    frame = _one_run(tmp_path).to_frame().set_index("spec")
    assert frame.loc["sgd", "status"] == "error"
    assert frame.loc["linear_svc", "status"] == "ok"
    assert _one_run(tmp_path).meta.status == "failed"


def test_resume_trains_only_the_unfinished_tasks(tmp_path, monkeypatch):
    models = f"linear_svc,sgd,knn,softmax:{QUICK_KERAS}"
    real_run_task = runner.run_task
    trained = []

    def interrupt_after_two(task, *args, **kwargs):
        if len(trained) == 2:
            raise KeyboardInterrupt
        trained.append(task.spec.label)
        return real_run_task(task, *args, **kwargs)

    monkeypatch.setattr(runner, "run_task", interrupt_after_two)
    assert _run(tmp_path, "--dataset", "digits", "--models", models) == 130
    run = _one_run(tmp_path)
    assert run.meta.status == "interrupted"
    assert [r.record.spec for r in run.results] == ["linear_svc", "sgd"]

    trained.clear()
    monkeypatch.setattr(
        runner,
        "run_task",
        lambda task, *a, **k: (trained.append(task.spec.label), real_run_task(task, *a, **k))[1],
    )
    assert _run(tmp_path, "--resume") == 0
    assert trained == ["knn", f"softmax:{QUICK_KERAS}"]
    run = _one_run(tmp_path)
    assert run.meta.status == "complete"
    assert len(run.results) == 4


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def _write_idx_dir(path, train_images: bytes):
    """Valid labels and test files; the training images are what each case breaks."""
    path.mkdir()
    (path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(train_images))
    (path / "train-labels-idx1-ubyte").write_bytes(_idx(np.arange(10) % 10))
    (path / "t10k-images-idx3-ubyte").write_bytes(_idx(np.zeros((2, 28, 28))))
    (path / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.array([1, 2])))
    return path


def _idx_images_header(n: int) -> bytes:
    return bytes([0, 0, 8, 3]) + np.array([n, 28, 28], dtype=">i4").tobytes()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown model", "unknown model 'forest'"),
        ("unknown data set", "unknown data set"),
        ("bad set value", "n_neighbors"),
        ("bad set syntax", "--set expects model.param=value"),
        ("csv 783 columns", "784"),
        ("truncated idx", "train-images"),
        ("wrong magic", "magic"),
        ("bad seeds", "--seeds"),
        ("bad split", "official"),
        ("bad option", "unrecognized arguments"),
        ("resume nothing", "no run under"),
    ],
)
def test_user_errors_are_one_line_exit_2_and_write_nothing(tmp_path, capsys, case, expected):
    args = {
        "unknown model": ["--models", "forest"],
        "unknown data set": ["--dataset", "nist-19"],
        "bad set value": ["--models", "knn", "--set", "knn.n_neighbors=-3"],
        "bad set syntax": ["--models", "knn", "--set", "n_neighbors=3"],
        "bad seeds": ["--seeds", "0,x"],
        "bad split": ["--dataset", "digits", "--split", "official"],
        "bad option": ["--colour", "red"],
        "resume nothing": ["--resume"],
    }.get(case)
    if case == "csv 783 columns":
        csv = tmp_path / "train.csv"
        rows = np.random.default_rng(0).integers(0, 255, (5, 784))
        rows[:, 0] = np.arange(5)
        np.savetxt(csv, rows, fmt="%d", delimiter=",")
        args = ["--dataset", f"csv:{csv}"]
    elif case == "truncated idx":
        data = _idx_images_header(10) + bytes(784 * 3)
        args = [
            "--dataset",
            "mnist",
            "--data-dir",
            str(_write_idx_dir(tmp_path / "d", data)),
            "--no-download",
        ]
    elif case == "wrong magic":
        data = b"\x12\x34\x08\x03" + bytes(12 + 784)
        args = [
            "--dataset",
            "mnist",
            "--data-dir",
            str(_write_idx_dir(tmp_path / "d", data)),
            "--no-download",
        ]
    assert _run(tmp_path, *args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mnistbench: error:") and expected in err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_missing_mnist_offline_names_every_way_to_supply_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MNISTBENCH_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert _run(tmp_path, "--dataset", "mnist", "--no-download") == 2
    err = capsys.readouterr().err
    for hint in ("--data-dir", "MNISTBENCH_DATA_DIR", "--download"):
        assert hint in err


def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "mnistbench", "run", "--models", "nope", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith(
        "mnistbench: error: unknown model 'nope'; known models: "
        "linear_svc, sgd, knn, softmax, mlp, cnn"
    )


@requires_mnist
@pytest.mark.slow
def test_full_mnist_official_split_knn(tmp_path):
    assert (
        _run(tmp_path, "--dataset", "mnist", "--data-dir", str(mnist_dir()), "--models", "sgd,knn")
        == 0
    )
    run = _one_run(tmp_path)
    split = run.meta.split
    assert (split["scheme"], split["n_train"] + split["n_val"], split["n_test"]) == (
        "official",
        60000,
        10000,
    )
    accuracy = run.to_frame().set_index("spec")["accuracy"]
    assert accuracy["knn"] >= 0.97
    assert accuracy["sgd"] >= 0.85
