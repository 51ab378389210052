"""Issue 24: hostile input, second round. One test (or group) per defect class: output that
cannot be written, values that are not finite, scheduler addresses, limits, runs started
together, signals, file modes, spreadsheet formulas and internal errors. A user error is one
line on stderr, exit status 2, and nothing left behind."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnistbench.cli import main
from mnistbench.results import load_run

KNN_SGD = ["--dataset", "digits", "--models", "knn,sgd", "--quiet"]


def _one_line_error(capsys, *expected: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("mnistbench: error:"), err
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile-output")
    assert main(["run", *KNN_SGD, "--out", str(out), "--run-id", "r"]) == 0
    return out / "r"


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs filled to the last byte (root can mount one; chmod does not stop
    root, a full file system does)."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        with open(mount / "filler", "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 512)
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ------------------------------------------------------------------ 1 output that fails


def _output_cases(run: Path, where: Path) -> list[list[str]]:
    return [
        ["report", str(run), "-o", str(where / "r.html")],
        ["export", str(run), "-o", str(where / "x.csv")],
        ["export", str(run), "-o", str(where / "x.parquet")],
        ["compare", str(run), str(run), "--html", str(where / "c.html")],
        [
            "report",
            str(run),
            "-o",
            str(where.parent / "ok.html"),
            "--figures-dir",
            str(where / "f"),
        ],
    ]


def test_1_output_on_a_full_disk_is_one_line_and_leaves_nothing(run_dir, full_disk, capsys):
    for argv in _output_cases(run_dir, full_disk):
        assert main(argv) == 2, argv
        _one_line_error(capsys, str(full_disk), "No space left on device")
        assert _left_in(full_disk) == ["filler"], argv  # no temporary, no folder
    assert not (full_disk.parent / "ok.html").exists()


@pytest.mark.parametrize("where", ["/proc/mnistbench-out", "/sys/mnistbench-out"])
def test_1_output_under_proc_or_sys_is_one_line(run_dir, where, capsys):
    for argv in _output_cases(run_dir, Path(where)):
        assert main(argv) == 2, argv
        _one_line_error(capsys, "cannot write", where)


def test_1_run_report_that_cannot_be_written_leaves_the_run_standing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("reports").write_text("a file where the reports folder would be")
    argv = ["run", *KNN_SGD, "--out", "results", "--run-id", "r", "--report"]
    assert main(argv) == 0  # the run's own status
    captured = capsys.readouterr()
    assert "report not written: cannot write reports/r.html" in " ".join(captured.err.split())
    assert "Traceback" not in captured.err
    assert load_run(tmp_path / "results" / "r").meta.status == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "results"]


# ------------------------------------------------------------------ 2 non-finite values


def _with_values(run_dir: Path, dst: Path, value) -> Path:
    shutil.copytree(run_dir, dst)
    for task in (dst / "tasks").glob("*.json"):
        data = json.loads(task.read_text())
        for key in ("accuracy", "error_rate", "log_loss", "macro_f1"):
            data["metrics"][key] = value
        data["timing"]["fit_wall_s"] = value
        data["timing"]["predict_s"] = value
        if data.get("history"):
            data["history"][0] = {k: value for k in data["history"][0]}
        task.write_text(json.dumps(data))  # json writes NaN and Infinity as such
    return dst


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**400])
def test_2_non_finite_values_are_missing_everywhere_alike(run_dir, tmp_path, capsys, value):
    broken = _with_values(run_dir, tmp_path / "broken", value)
    run = load_run(broken)
    for res in run.results:
        assert res.record.metrics.accuracy is None
        assert res.record.timing.fit_wall_s is None
    assert main(["report", str(broken), "-o", str(tmp_path / "r.html")]) == 0
    assert main(["export", str(broken), "-o", str(tmp_path / "x.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "x.csv").open()))
    assert {row["accuracy"] for row in rows} == {""}
    capsys.readouterr()
    # compare's text form: the missing metric is named, never a markup error or traceback
    assert main(["compare", str(run_dir), str(broken)]) == 2
    _one_line_error(capsys, "missing")


def test_2_records_never_hold_non_finite_numbers(run_dir):
    from mnistbench.results.record import TaskRecord

    record = load_run(run_dir).results[0].record
    record.metrics.log_loss = float("nan")
    record.history = [{"loss": float("inf"), "accuracy": 0.5}]
    text = json.dumps(record.to_json(), allow_nan=False)  # would raise on NaN
    again = TaskRecord.from_json(json.loads(text))
    assert again.metrics.log_loss is None and again.history == [{"loss": None, "accuracy": 0.5}]


# ------------------------------------------------------------------ 3 API arguments


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dataset": 5},
        {"threads": "2"},
        {"models": 1.5},
        {"jobs": 1.5},
        {"models": b"sgd"},
        {"models": {"sgd": 1}},
        {"resume": "no"},
    ],
)
def test_3_api_refuses_wrong_types_before_writing(tmp_path, kwargs):
    import mnistbench

    with pytest.raises(mnistbench.MnistbenchError, match=next(iter(kwargs))):
        mnistbench.run(out=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ 5 scheduler addresses


@pytest.mark.parametrize(
    "address", ["garbage://x:1", "foo", "tcp://host", "tcp://host:0", "tcp://h:99999", "tcp://h:x"]
)
def test_5_a_scheduler_address_that_is_not_one(tmp_path, capsys, address):
    argv = ["run", *KNN_SGD, "--out", str(tmp_path / "out"), "--scheduler", address]
    assert main(argv) == 2
    _one_line_error(capsys, "--scheduler", "tcp://HOST:PORT")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ 6 limits walked around

_GRID = "n_neighbors=[{}],pca_components=[{}]".format(
    ",".join(map(str, range(1, 41))), ",".join(map(str, range(10, 30)))
)


@pytest.mark.parametrize(
    "args",
    [
        ["--models", f"knn:{_GRID},knn@notebook:{_GRID}"],  # two sweeps of 800
        ["--models", f"knn:{_GRID}", "--set", "knn.blur=[0.0,0.5]"],
    ],
    ids=["two-sweeps", "set-over-a-sweep"],
)
def test_6_the_sweep_limit_is_on_the_run_total(tmp_path, capsys, args):
    argv = ["run", "--dataset", "digits", "--quiet", "--out", str(tmp_path / "out"), *args]
    assert main(argv) == 2
    _one_line_error(capsys, "at most 1000")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ 7 runs started together


def test_7_run_ids_are_unique_and_sortable_without_run_id(tmp_path, monkeypatch):
    from mnistbench.results import store

    # 32 random bits: 1,000 ids started in one second collide with probability 1e-4 (at
    # 24 bits, 2,000 collided about one time in nine, which made this test flaky)
    ids = [store.new_run_id("csv:/some/where.csv") for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    stamp = ids[0][:15]
    assert all(i[:15] >= stamp for i in ids) and all(i.endswith("-csv") for i in ids)
    # two runs in the very same second, without --run-id: each gets its own folder
    monkeypatch.setattr(store, "compact_timestamp", lambda: "20261130-120000")
    out = tmp_path / "out"
    for _ in range(2):
        assert (
            main(["run", "--dataset", "digits", "--models", "knn", "--quiet", "--out", str(out)])
            == 0
        )
    runs = sorted(p.name for p in out.iterdir())
    assert len(runs) == 2 and all(r.startswith("20261130-120000-") for r in runs)


# ------------------------------------------------------------------ 8 signals and leftovers


def _start_run(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mnistbench", "run", "--dataset", "digits", "--quiet"]
        + ["--out", str(tmp_path / "out"), "--run-id", "r", *args],
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_task_child(proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until the task's own process runs: a child of the fork server, not of the run."""
    import psutil

    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if any(c.ppid() != proc.pid for c in psutil.Process(proc.pid).children(recursive=True)):
            time.sleep(1)  # into its fit
            return
        time.sleep(0.2)
    raise AssertionError("the run's task child never started")


# minutes of SGD epochs on digits: the task is still running when the signal comes
_SLOW = "sgd:max_iter=10000000,tol=None"


@pytest.mark.slow
def test_8_sigterm_records_interrupted_like_ctrl_c(tmp_path):
    proc = _start_run(tmp_path, "--models", _SLOW, "--task-timeout", "600")
    _wait_for_task_child(proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    # exactly one line: no resource tracker warning about the killed child's semaphores
    # (SGD's one-vs-rest fit makes a ThreadPool, whose queue holds two)
    assert err.splitlines() == [
        "mnistbench: terminated; finished tasks are saved (use --resume)"
    ], err
    assert load_run(tmp_path / "out" / "r").meta.status == "interrupted"


@pytest.mark.slow
def test_8_a_killed_run_leaves_its_task_child_quiet(tmp_path):
    proc = _start_run(tmp_path, "--models", "sgd:max_iter=300,tol=None", "--task-timeout", "600")
    _wait_for_task_child(proc)
    proc.kill()  # the child still holds stderr: read it to its end, when the child ends
    err = proc.stderr.read()
    proc.wait()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


@pytest.mark.parametrize("sizes", ["", ",,,", " , "])
def test_8_empty_train_sizes_are_refused(tmp_path, capsys, sizes):
    argv = ["run", *KNN_SGD, "--out", str(tmp_path / "out"), "--train-sizes", sizes]
    assert main(argv) == 2
    _one_line_error(capsys, "--train-sizes")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ 9 files follow the umask


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_9_every_file_follows_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        out, figures = tmp_path / "out", tmp_path / "figures"
        assert main(["run", *KNN_SGD, "--out", str(out), "--run-id", "r"]) == 0
        assert main(["report", str(out / "r"), "-o", str(tmp_path / "r.html"),
                     "--figures-dir", str(figures)]) == 0  # fmt: skip
        assert main(["export", str(out / "r"), "-o", str(tmp_path / "x.csv")]) == 0
    finally:
        os.umask(previous)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"]
    assert len(files) > 6
    modes = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes


# ------------------------------------------------------------------ 10 spreadsheet formulas


def test_10_csv_cells_that_start_a_formula_are_neutralised(run_dir, tmp_path):
    foreign = tmp_path / "foreign"
    shutil.copytree(run_dir, foreign)
    evil = {"spec": '=HYPERLINK("http://x","y")', "error": "+1+cmd", "base_spec": "@SUM(A1)"}
    for task in (foreign / "tasks").glob("*.json"):
        data = json.loads(task.read_text())
        data.update(evil)
        data["params"] = {"note": "-2+3"}
        task.write_text(json.dumps(data))
    assert main(["export", str(foreign), "-o", str(tmp_path / "x.csv")]) == 0
    with (tmp_path / "x.csv").open(newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    formulas = [c for c in cells if c[:1] in ("=", "+", "@") or c[:1] == "-" and not _number(c)]
    assert not formulas, formulas
    assert "'" + evil["spec"] in cells
    # negative numbers stay numbers
    assert main(["export", str(run_dir), "-o", str(tmp_path / "plain.csv")]) == 0


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_10_neutralised_leaves_numbers_and_plain_text_alone():
    from mnistbench.results.export import neutralised

    assert neutralised("=1+2") == "'=1+2" and neutralised("@x") == "'@x"
    assert neutralised("-cmd") == "'-cmd" and neutralised("+x") == "'+x"
    assert neutralised(-1.5) == -1.5 and neutralised("knn") == "knn" and neutralised(None) is None


# ------------------------------------------------------------------ internal errors


def test_an_internal_error_is_one_line_pointing_to_its_saved_traceback(
    run_dir, tmp_path, monkeypatch, capsys
):
    from mnistbench.commands import report as report_command

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(report_command, "write_report", broken)
    assert main(["report", str(run_dir), "-o", str(tmp_path / "r.html")]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error (exit 3)" in err, err
    saved = Path(err.split("its traceback is in ")[1].split(",")[0])
    text = saved.read_text()
    assert "Traceback" in text and "ZeroDivisionError: a bug" in text
    saved.unlink()


# ------------------------------------------------------------------ 4 messages that mislead


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--val-size", "1.5"], "--val-size must be a fraction below 1 or a whole number"),
        (["--split-seed", str(2**32)], "--split-seed must be between 0 and 2**32-1"),
        (["--split-seed", "-1"], "--split-seed must be between 0 and 2**32-1"),
        (["--jobs", "100000"], "--jobs must be at most 1024"),
        (["--threads", "100000"], "--threads must be at most 1024"),
    ],
)
def test_4_values_out_of_range_are_named_as_the_user_gave_them(tmp_path, capsys, args, expected):
    assert main(["run", *KNN_SGD, "--out", str(tmp_path / "out"), *args]) == 2
    err = _one_line_error(capsys, expected)
    assert "cannot carve" not in err
    assert not (tmp_path / "out").exists()


def test_4_a_failed_task_is_said_on_stderr_even_when_quiet(tmp_path, capsys):
    argv = ["run", "--dataset", "digits", "--models", "knn:n_neighbors=5000,sgd", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--run-id", "r"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("task knn:n_neighbors=5000 (seed 0) failed:"), err
    assert "n_neighbors" in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("softmax:epochs=99999999999", "epochs must be at most 2**31-1"),
        ("softmax:batch_size=99999999999", "batch_size must be at most 2**31-1"),
        ("softmax:steps=99999999999999999999", "steps must be at most 2**31-1"),
    ],
)
def test_4_huge_counts_are_refused_in_the_users_terms(tmp_path, capsys, spec, expected):
    assert main(["run", "--dataset", "digits", "--models", spec, "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, expected)


def test_4_data_sets_that_cannot_be_used_say_why(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    argv = ["run", "--models", "knn", "--quiet", "--out", str(tmp_path / "out")]
    assert main([*argv, "--dataset", "mnist", "--data-dir", str(tmp_path / "afile")]) == 2
    _one_line_error(capsys, "is a file, not a folder")
    one_class = tmp_path / "one.csv"
    one_class.write_text("\n".join("3," + ",".join(["0"] * 784) for _ in range(30)) + "\n")
    assert main([*argv, "--dataset", f"csv:{one_class}"]) == 2
    _one_line_error(capsys, "single class (label 3)", "at least two classes")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", ["[]", "{bad", '"text"'])
def test_4_damaged_records_are_named_once(run_dir, tmp_path, capsys, content):
    damaged = tmp_path / "damaged"
    shutil.copytree(run_dir, damaged)
    task = next((damaged / "tasks").glob("*.json"))
    task.write_text(content)
    assert main(["report", str(damaged), "-o", str(tmp_path / "r.html")]) == 2
    err = _one_line_error(capsys)
    assert err.count(str(task)) == 1 and "record record" not in err, err


# ------------------------------------------------------------------ 11 wide runs in the report


def test_11_a_wide_run_names_only_its_frontier_and_keys_every_number():
    import numpy as np

    from mnistbench.report.figures import MAX_NAMED_POINTS, accuracy_vs_time, pareto_front

    n = 40
    labels = [f"knn:n_neighbors={i}" for i in range(1, n + 1)]
    rng = np.random.default_rng(0)
    times, accuracy = rng.uniform(0.002, 0.03, n), rng.uniform(0.95, 0.985, n)
    fig = accuracy_vs_time(labels, ["classical"] * n, times, np.zeros(n), accuracy, np.zeros(n))
    ax = fig.axes[0]
    on_plot = [t.get_text() for t in ax.texts]
    named = [t for t in on_plot if " " in t]
    assert n > MAX_NAMED_POINTS and len(on_plot) == n
    assert len(named) == len(pareto_front(list(times), list(accuracy)))
    key = "\n".join(t.get_text() for t in fig.texts)
    assert all(f"{i + 1} {label}" in key for i, label in enumerate(labels))
    few = accuracy_vs_time(
        labels[:5], ["classical"] * 5, times[:5], np.zeros(5), accuracy[:5], np.zeros(5)
    )
    assert sorted(t.get_text() for t in few.axes[0].texts) == sorted(labels[:5]) and not few.texts


def test_11_table_cells_never_wrap_inside_a_number():
    from mnistbench.report.tables import Cell

    cell = Cell("0.9833 ± 0.0012 (0.9641–0.9923)")
    assert cell.text.split(" ") == ["0.9833", "±\u00a00.0012", "(0.9641–0.9923)"]
    assert Cell("1.67 %").text == "1.67\u00a0%" and Cell("knn a").text == "knn a"


@pytest.mark.slow
def test_11_a_40_spec_report_fits_the_browser(tmp_path):
    """A 40-spec sweep (k-NN on digits, cheap): in headless Chromium at 1,400 px no table is
    wider than its section, the significance matrix is the compact heat map, and the page
    screenshots without a script error."""
    browser_test = pytest.importorskip("tests.test_report_browser")
    if browser_test.CHROMIUM is None:
        pytest.skip("chromium is not installed")
    sweep = "knn:n_neighbors=[{}]".format(",".join(map(str, range(1, 41))))
    argv = ["run", "--dataset", "digits", "--models", sweep, "--quiet", "--threads", "1"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--run-id", "w"]) == 0
    html = tmp_path / "w.html"
    assert main(["report", str(tmp_path / "out" / "w"), "-o", str(html)]) == 0
    browser = browser_test.Browser(tmp_path / "chromium-profile")
    try:
        browser.open_page()
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        browser.call("Page.navigate", {"url": html.resolve().as_uri()})
        browser.wait_for("Page.loadEventFired")
        assert browser.evaluate(browser_test.NO_OVERFLOW) == [], "a table overflows its section"
        assert browser.evaluate(
            "document.querySelector('#significance-table').classList.contains('compact')"
        )
        assert browser.evaluate("document.querySelectorAll('#summary-table tbody tr').length") == 40
        browser.evaluate("document.getElementById('significance').scrollIntoView()")
        assert browser.screenshot(tmp_path / "significance.png").stat().st_size > 10_000
        assert browser.screenshot(tmp_path / "page.png", full_page=True).stat().st_size > 100_000
        assert browser.console_errors() == []
    finally:
        browser.close()
