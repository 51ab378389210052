"""Issue 16: hostile input, crashes and concurrency. One test (or group) per defect; each
failure must be one line on stderr with exit status 2, and nothing half-written."""

from __future__ import annotations

import errno
import gzip
import json
import math
import resource
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from mnistbench.cli import main
from mnistbench.errors import DataError, ResultsError
from mnistbench.results import load_run


def _run(tmp_path, *args):
    return main(["run", "--out", str(tmp_path / "results"), "--quiet", *args])


def _one_line_error(capsys, expected: str = "") -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("mnistbench: error:"), err
    assert len(err.splitlines()) == 1, err
    assert expected in err, err
    return err


def _idx(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return (
        bytes([0, 0, 8, array.ndim])
        + struct.pack(f">{array.ndim}I", *array.shape)
        + array.tobytes()
    )


def _idx_dir(path: Path, train_images: bytes | None = None, *, gz: bool = True) -> Path:
    """A small IDX set; ``train_images`` replaces the training images (what a case breaks)."""
    path.mkdir(parents=True)
    images = train_images if train_images is not None else _idx(np.zeros((10, 28, 28)))
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    (path / name).write_bytes(gzip.compress(images) if gz else images)
    (path / "train-labels-idx1-ubyte").write_bytes(_idx(np.arange(10) % 10))
    (path / "t10k-images-idx3-ubyte").write_bytes(_idx(np.zeros((2, 28, 28))))
    (path / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.array([1, 2])))
    return path


def _bomb(n_images: int) -> bytes:
    """A gzip file that is tiny but claims (and holds) ``n_images`` zero images."""
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", n_images, 28, 28)
    compressor = __import__("zlib").compressobj(9, 8, 31)
    out = [compressor.compress(header)]
    chunk = bytes(1 << 20)
    for _ in range(n_images * 784 // len(chunk)):
        out.append(compressor.compress(chunk))
    out.append(compressor.compress(bytes(n_images * 784 % len(chunk))))
    out.append(compressor.flush())
    return b"".join(out)


# ------------------------------------------------------------------ 1 gzip bomb


def test_1_gzip_bomb_is_refused_before_it_is_decompressed(tmp_path):
    from mnistbench.data import load_dataset

    bomb = _bomb(1_000_000)  # 784 MB of zeros in under a megabyte
    folder = _idx_dir(tmp_path / "d")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(DataError, match="train-images.*at most 70000"):
        load_dataset("mnist", data_dir=folder, download=False)
    assert time.perf_counter() - start < 2
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_1_read_idx_caps_what_it_decompresses(tmp_path):
    from mnistbench.data.idx import read_idx

    path = tmp_path / "bomb.gz"
    path.write_bytes(_bomb(20_000))
    with pytest.raises(DataError, match="at most"):
        read_idx(path, ndim=3, max_shape=(10_000, 28, 28))
    assert read_idx(path, ndim=3, max_shape=(20_000, 28, 28)).array.shape == (20_000, 28, 28)


# ------------------------------------------------------------------ 2 listing = loading


@pytest.mark.parametrize(
    "case",
    ["empty file", "bomb", "huge dimensions", "empty labels", "count mismatch", "raw truncated"],
)
def test_2_datasets_listing_refuses_what_loading_refuses(tmp_path, case):
    from mnistbench.data import list_datasets, load_dataset

    folder = _idx_dir(tmp_path / "d")
    images = folder / "train-images-idx3-ubyte.gz"
    if case == "empty file":
        images.write_bytes(b"")
    elif case == "bomb":
        images.write_bytes(_bomb(200_000))
    elif case == "huge dimensions":
        images.write_bytes(
            gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 60000, 60000))
        )
    elif case == "empty labels":
        (folder / "t10k-labels-idx1-ubyte").write_bytes(b"")
    elif case == "count mismatch":
        (folder / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.array([1, 2, 3])))
    elif case == "raw truncated":
        (folder / "t10k-images-idx3-ubyte").write_bytes(_idx(np.zeros((2, 28, 28)))[:-5])
    with pytest.raises(DataError):
        load_dataset("mnist", data_dir=folder, download=False)
    listed = {i.name: i for i in list_datasets(data_dir=folder)}["mnist"]
    assert not listed.available, listed.source


# ------------------------------------------------------------------ 3 missing digits


def test_3_data_set_without_all_ten_digits_scores_every_model(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat([3, 5], 60)
    pixels = rng.integers(0, 60, (120, 784))
    pixels[labels == 3, :392] += 150  # separable, so every model learns something
    csv = tmp_path / "two.csv"
    np.savetxt(csv, np.column_stack([labels, pixels]), fmt="%d", delimiter=",")
    assert (
        _run(
            tmp_path, "--dataset", f"csv:{csv}", "--models", "sgd,knn,softmax:epochs=1,min_steps=0"
        )
        == 0
    )
    frame = load_run(next((tmp_path / "results").iterdir())).to_frame().set_index("spec")
    assert (frame["status"] == "ok").all(), frame["error"].tolist()
    assert np.isfinite(frame.loc["knn", "log_loss"])


def test_3_metrics_use_the_model_classes_for_probabilities():
    from mnistbench.harness.metrics import classification_metrics

    y = np.array([3, 5, 3, 5])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    metrics, confusion = classification_metrics(
        y, np.array([3, 5, 3, 5]), proba, np.arange(10), proba_labels=np.array([3, 5])
    )
    expected = -np.mean(np.log([0.9, 0.8, 0.6, 0.7]))
    assert metrics["log_loss"] == pytest.approx(expected)
    assert confusion.shape == (10, 10)


# ------------------------------------------------------------------ 4-7 refused up front


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--seeds", "-1"], "--seeds"),  # 4
        (["--seeds", "4294967296"], "--seeds"),  # 4
        (["--models", ""], "no model"),  # 5 (already refused)
        (["--models", " , "], "no model"),  # 5
        (["--val-size", "inf"], "--val-size"),  # 6 (already refused)
        (["--val-size", "nan"], "--val-size"),  # 6
        (["--jobs", "2", "--backend", "bogus"], "--backend"),  # 6
        (["--models", "knn:n_neighbors=" + "1" * 100_000], "long"),  # 6
        (["--set", "knn.weights=" + "[" * 100_000], "long"),  # 6
        (["--run-id", "../../etc"], "--run-id"),  # 7
        (["--run-id", "/tmp/abs"], "--run-id"),  # 7
        (["--run-id", "x/../../y"], "--run-id"),  # 7
        (["--run-id", ".."], "--run-id"),  # 7
        (["--run-id", ""], "--run-id"),  # 7
        # the core's checks describe the value; the command line names the flag
        (["--seeds", "1,1"], "--seeds needs distinct integers, got [1, 1]"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
        (["--train-sizes", "5000"], "--train-sizes 5000: the training part has only"),
        (["--train-sizes", "100,lots"], "--train-sizes 'lots': give a row count"),
        (["--scheduler", "local:2", "--jobs", "2"], "--scheduler and --jobs exclude"),
        (["--task-timeout", "5", "--jobs", "2"], "excludes --jobs > 1 and --scheduler"),
        (["--task-timeout", "-5"], "--task-timeout must be a positive number"),
    ],
)
def test_4_to_7_bad_values_are_refused_before_anything_is_written(tmp_path, capsys, args, expected):
    assert _run(tmp_path, "--dataset", "digits", "--models", "knn", *args) == 2
    _one_line_error(capsys, expected)
    assert not (tmp_path / "results").exists()
    assert not list(tmp_path.rglob("run.json"))


def test_6_out_naming_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn",
                "--quiet",
                "--out",
                str(tmp_path / "file"),
            ]
        )
        == 2
    )
    _one_line_error(capsys, "--out")
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn",
                "--quiet",
                "--out",
                str(tmp_path / "file" / "sub"),
            ]
        )
        == 2
    )
    _one_line_error(capsys, "--out")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    assert (
        main(
            [
                "run",
                "--dataset",
                "digits",
                "--models",
                "knn,sgd",
                "--out",
                str(out),
                "--run-id",
                "r",
                "--quiet",
            ]
        )
        == 0
    )
    return out / "r"


def test_6_report_and_compare_outputs_that_cannot_be_written(small_run, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    cases = [
        ["report", str(small_run), "-o", str(tmp_path / "dir")],
        ["report", str(small_run), "-o", str(tmp_path / "file" / "r.html")],
        [
            "report",
            str(small_run),
            "-o",
            str(tmp_path / "ok.html"),
            "--figures-dir",
            str(tmp_path / "file"),
        ],
        ["compare", str(small_run), str(small_run), "--html", str(tmp_path / "dir")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        _one_line_error(capsys)
    assert not (tmp_path / "ok.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file"]


# ------------------------------------------------------------------ 8 hand-edited records


def _copy_run(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


TASK_EDITS = {
    "no spec": lambda d: d.pop("spec"),
    "no seed": lambda d: d.pop("seed"),
    "no status": lambda d: d.pop("status"),
    "unknown status": lambda d: d.update(status="great"),
    "no metrics": lambda d: d.pop("metrics"),
    "metrics a string": lambda d: d.update(metrics="0.9"),
    "accuracy a string": lambda d: d["metrics"].update(accuracy="0.9"),
    "timing a list": lambda d: d.update(timing=[1, 2]),
    "fit time a list": lambda d: d["timing"].update(fit_wall_s=[1, 2]),
    "seed a string": lambda d: d.update(seed="0"),
    "history of strings": lambda d: d.update(history=["x"]),
    "per-class f1 a dict": lambda d: d["metrics"]["per_class"].update(f1={"a": 1}),
}


@pytest.mark.parametrize("case", TASK_EDITS)
def test_8_hand_edited_records_name_the_file_and_field(small_run, tmp_path, capsys, case):
    run = _copy_run(small_run, tmp_path / "edited")
    task = run / "tasks" / "knn--seed0.json"
    _edit(task, TASK_EDITS[case])
    with pytest.raises(ResultsError) as info:
        load_run(run)
    assert str(task) in str(info.value)
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 2
    _one_line_error(capsys, "knn--seed0.json")
    assert main(["compare", str(small_run), str(run)]) == 2
    _one_line_error(capsys, "knn--seed0.json")


def test_8_field_is_named(small_run, tmp_path):
    run = _copy_run(small_run, tmp_path / "edited")
    _edit(run / "tasks" / "knn--seed0.json", lambda d: d["metrics"].update(accuracy="0.9"))
    with pytest.raises(ResultsError, match="metrics.accuracy"):
        load_run(run)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("run_id"),
        lambda d: d.update(specs="knn"),
        lambda d: d.update(seeds=[0.5]),
        lambda d: d.update(split=3),
    ],
)
def test_8_hand_edited_run_json(small_run, tmp_path, capsys, change):
    run = _copy_run(small_run, tmp_path / "edited")
    _edit(run / "run.json", change)
    assert main(["compare", str(small_run), str(run)]) == 2
    _one_line_error(capsys, "run.json")


# ------------------------------------------------------------------ 9 corrupt NPZ


@pytest.mark.parametrize("case", ["truncated", "empty", "not a zip", "wrong shapes"])
def test_9_corrupt_npz_names_the_file(small_run, tmp_path, capsys, case):
    run = _copy_run(small_run, tmp_path / "edited")
    npz = run / "tasks" / "knn--seed0.npz"
    if case == "truncated":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    elif case == "empty":
        npz.write_bytes(b"")
    elif case == "not a zip":
        npz.write_bytes(b"hello")
    else:
        with np.load(npz) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["confusion"] = np.zeros(3, dtype=np.int64)
        arrays["y_pred"] = np.zeros((2, 2), dtype=np.int16)
        np.savez(npz, **arrays)
    with pytest.raises(ResultsError, match="knn--seed0.npz"):
        next(r for r in load_run(run).results if r.task_id == "knn--seed0").arrays  # noqa: B018
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 2
    _one_line_error(capsys, "knn--seed0.npz")
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------ 10 markup in names


def test_10_dollar_signs_in_names_are_drawn_literally():
    from mnistbench.report import figures

    fig = figures._new_figure(3, 2)
    ax = fig.add_subplot()
    names = ["knn:metric=$\\frac{a$", "x$^{", "$$"]
    ax.set_yticks(range(3), [figures._short(n) for n in names])
    ax.plot([0, 1], [0, 1], label=figures._literal("$fam$"))
    ax.annotate(figures._short(names[0]), (0.5, 0.5))
    ax.set_title(figures._short("$\\alpha", 14))
    ax.legend()
    figures.FigureSink().embed(fig, "x")


# ------------------------------------------------------------------ 11, 12 the gate


def test_11_missing_metrics_cannot_pass_the_gate(small_run, tmp_path, capsys):
    run = _copy_run(small_run, tmp_path / "edited")
    _edit(
        run / "tasks" / "knn--seed0.json",
        lambda d: d.update(metrics={"accuracy": None, "error_rate": None}),
    )
    assert main(["compare", str(small_run), str(run)]) == 2
    _one_line_error(capsys, "knn")
    assert main(["compare", str(run), str(small_run)]) == 2
    _one_line_error(capsys, "knn")


@pytest.mark.parametrize(
    "args",
    [
        ["--max-error-increase", "nan"],
        ["--max-slowdown", "nan"],
        ["--max-error-increase", "inf"],
        ["--max-slowdown", "inf"],
    ],
)
def test_12_nan_or_infinite_thresholds_are_refused(small_run, capsys, args):
    assert main(["compare", str(small_run), str(small_run), *args]) == 2
    _one_line_error(capsys, args[0])


def test_12_thresholds_refuse_non_finite_values():
    from mnistbench.analysis.compare import CompareError, Thresholds

    for bad in (
        {"max_error_increase": math.nan},
        {"max_slowdown": math.inf},
        {"max_error_increase": math.inf},
        {"max_slowdown": math.nan},
    ):
        with pytest.raises(CompareError):
            Thresholds(**bad)


# ------------------------------------------------------------------ 13 full disk


def test_13_full_disk_is_one_line_and_the_status_says_so(tmp_path, capsys, monkeypatch):
    from mnistbench.results import store as results  # the store writes every file

    real = results.atomic_write

    def full(path, data):
        if Path(path).parent.name == "tasks" and "sgd" in Path(path).name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(results, "atomic_write", full)
    assert _run(tmp_path, "--dataset", "digits", "--models", "knn,sgd", "--run-id", "r") == 2
    _one_line_error(capsys, "No space left on device")
    run = load_run(tmp_path / "results" / "r")
    assert run.meta.status == "failed"
    assert "No space left" in (run.meta.error or "")
    assert [r.task_id for r in run.results] == ["knn--seed0"]
    monkeypatch.setattr(results, "atomic_write", real)
    assert _run(tmp_path, "--resume", "--run-id", "r") == 0
    assert load_run(tmp_path / "results" / "r").meta.status == "complete"


# ------------------------------------------------------------------ 14 two writers


def test_14_a_second_writer_is_refused_while_the_first_holds_the_run(tmp_path, capsys):
    from mnistbench.results import RunWriter
    from mnistbench.results.record import RunMeta

    meta = RunMeta(
        run_id="", dataset="digits", split={"fingerprint": "f"}, specs=["knn"], seeds=[0]
    )
    first = RunWriter.create(tmp_path / "r", meta)
    with pytest.raises(ResultsError, match="already holds a run"):
        RunWriter.create(tmp_path / "r", meta)
    with pytest.raises(ResultsError, match="another mnistbench process"):
        RunWriter.resume(tmp_path / "r", meta)
    first.close()
    RunWriter.resume(tmp_path / "r", meta).close()


_HELD_RUN = textwrap.dedent("""
    import os, sys, time
    from mnistbench.harness import runner
    real = runner.run_task
    def held(*a, **k):  # train only once the test says go
        deadline = time.time() + 60
        while not os.path.exists(sys.argv[1]) and time.time() < deadline:
            time.sleep(0.05)
        return real(*a, **k)
    runner.run_task = held
    from mnistbench.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def _start(tmp_path, *args):
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _HELD_RUN,
            str(tmp_path / "go"),
            "run",
            "--quiet",
            "--dataset",
            "digits",
            "--models",
            "knn",
            "--out",
            str(tmp_path / "results"),
            *args,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )


def test_14_two_processes_on_one_run_id_and_resume_of_a_live_run(tmp_path):
    first = _start(tmp_path, "--run-id", "same")
    second = _start(tmp_path, "--run-id", "same")
    deadline = time.time() + 60
    while not (tmp_path / "results" / "same" / "run.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    third = _start(tmp_path, "--resume", "--run-id", "same")
    third_err = third.communicate(timeout=60)[1]
    while first.poll() is None and second.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    (tmp_path / "go").touch()
    outcomes = sorted((p.wait(timeout=90), p.stderr.read()) for p in (first, second))
    # exactly one of the two writers got the run; the resume of a live run is refused
    assert [code for code, _ in outcomes] == [0, 2], outcomes
    loser = outcomes[1][1]
    assert "another mnistbench process" in loser or "already holds a run" in loser, loser
    assert third.returncode == 2 and "another mnistbench process" in third_err, third_err
    run = load_run(tmp_path / "results" / "same")
    assert run.meta.status == "complete" and len(run.results) == 1
    assert run.meta.resumed == []


# ------------------------------------------------------------------ 15 stale temporaries


def test_15_resume_removes_stale_temporary_files(tmp_path):
    assert _run(tmp_path, "--dataset", "digits", "--models", "knn", "--run-id", "r") == 0
    run_dir = tmp_path / "results" / "r"
    for stale in (run_dir / ".run.json.abc123.tmp", run_dir / "tasks" / ".knn--seed0.npz.xyz.tmp"):
        stale.write_bytes(b"half")
    assert _run(tmp_path, "--resume", "--run-id", "r") == 0
    assert not list(run_dir.rglob("*.tmp"))


# ------------------------------------------------------------------ 17 orphaned workers


def test_17_joblib_workers_end_with_their_parent(tmp_path):
    import psutil

    # SGD with ten million epochs: minutes of work in each worker (the parent's own code
    # cannot be patched into loky's workers)
    slow = "sgd:max_iter=10000000,sparse=False,n_jobs=1"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mnistbench",
            "run",
            "--quiet",
            "--dataset",
            "digits",
            "--models",
            f"{slow},{slow.replace('sgd', 'sgd@notebook')}",
            "--jobs",
            "2",
            "--out",
            str(tmp_path / "results"),
        ],
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(proc.pid)
    deadline = time.time() + 60
    workers: list[psutil.Process] = []
    while time.time() < deadline:
        workers = [
            p
            for p in parent.children(recursive=True)
            if "loky" in " ".join(p.cmdline()) or "joblib" in " ".join(p.cmdline())
        ]
        if len(workers) >= 2:
            break
        time.sleep(0.2)
    assert workers, "no joblib worker started"
    time.sleep(3.0)  # let the workers pick their task up (or not: either way they must end)
    proc.kill()
    proc.wait()
    deadline = time.time() + 60
    alive = workers
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [p for p in workers if _running(p)]
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker(s) outlived their parent"


def _running(proc) -> bool:
    import psutil

    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# ------------------------------------------------------------------ 16 epochs means epochs


def test_16_an_explicit_epoch_count_is_the_epoch_count(digits_split):
    from mnistbench.models import get_model

    model = get_model("softmax:epochs=1")
    model.fit(digits_split.X_train, digits_split.y_train)
    assert model.epochs_ == 1 and len(model.history) == 1
    # the tuned default keeps its floor of optimiser steps on small data
    assert get_model("softmax").get_params()["min_steps"] > 0
    assert get_model("softmax:epochs=3,min_steps=600").get_params()["min_steps"] == 600
