"""`mnistbench tune` on digits with small budgets: a study ends in its log and profile,
survives SIGKILL mid-trial (``--resume`` keeps every finished trial and honours the
budget), refuses bad input in one line, prunes models that report per-epoch validation
accuracy, and its profile drives `@tuned` runs (refused for another data set, split or
version of a model's parameters)."""

from __future__ import annotations

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import SGDClassifier

from mnistbench.cli import main
from mnistbench.errors import RequestError
from mnistbench.models import ModelEntry, available_models, register, unregister
from mnistbench.models.base import BenchModel, infer_image_shape
from mnistbench.models.search_space import Choice, Float, Param, SearchSpace
from mnistbench.parsing import parse_budget
from mnistbench.results import load_run, tuned_profile
from mnistbench.results.tuned_profile import read_profile
from mnistbench.tuning.method import (
    PRUNER_STEPS,
    PRUNER_WARMUP_STEPS,
    SCHEDULE_PARTS,
    schedule_step,
)

MODELS = "sgd,knn"
BUDGET = "3"


def tune(out: Path, *extra: str, models: str = MODELS, budget: str = BUDGET) -> int:
    return main(
        ["tune", "--dataset", "digits", "--models", models, "--budget", budget]
        + ["--threads", "1", "--quiet", "--out", str(out), *extra]
    )


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> Path:
    """One finished tune of sgd and knn on digits: its results root."""
    out = tmp_path_factory.mktemp("tuned")
    assert tune(out) == 0
    return out


def test_budgets_parse_as_trials_or_compute_seconds():
    assert (parse_budget("40").kind, parse_budget("40").amount) == ("trials", 40)
    assert parse_budget("2h").amount == 7200 and parse_budget("2h").kind == "compute_s"
    assert parse_budget("30m").amount == 1800
    assert parse_budget("900s").amount == 900
    for bad in ("0", "1.5", "-3", "2d", "forty", ""):
        with pytest.raises(RequestError, match="number of trials"):
            parse_budget(bad)


def test_a_study_finishes_and_writes_its_log_and_profile(tuned):
    folder = tuned / "tune-digits"
    log = json.loads((folder / "study.json").read_text())
    assert log["budget"] == {"kind": "trials", "amount": 3, "text": "3"}
    assert set(log["models"]) == {"sgd", "knn"}
    for study in log["models"].values():
        rows = study["trials"]
        assert [r["number"] for r in rows] == [0, 1, 2]  # exactly the budget
        assert rows[0]["defaults"] and not any(r["defaults"] for r in rows[1:])
        assert all(r["fit_s"] > 0 and r["compute_s"] >= r["fit_s"] for r in rows)
        assert all(r["verdict"] in ("clean", "disturbed") for r in rows)
        best = max(r["val_accuracy"] for r in rows)
        assert study["best"]["val_accuracy"] == best >= rows[0]["val_accuracy"]
    profile = read_profile(folder / "profile.json")
    assert profile.dataset == "digits" and set(profile.models) == {"sgd", "knn"}
    assert profile.provenance["command"][0] == "mnistbench"  # (here: pytest's arguments)
    assert profile.provenance["versions"]
    assert profile.models["knn"].trials == 3


def test_a_second_tune_without_resume_is_refused(tuned, capsys):
    assert tune(tuned) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--resume is needed" in err


def test_resume_with_another_budget_is_refused(tuned, capsys):
    assert tune(tuned, "--resume", budget="5") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "same budget" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--budget", "lots", "--budget 'lots'"),
        ("--models", "no_such_model", "unknown model 'no_such_model'"),
        ("--models", "sgd@notebook", "declares a search space for"),
        ("--storage", "postgresql://127.0.0.1:1/x", "cannot open the study storage"),
        ("--storage", "sqlite:////no/such/folder/study.db", "cannot open the study storage"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(tmp_path, capsys, flag, value, message):
    options = {"--models": MODELS, "--budget": BUDGET, flag: value}
    argv = ["tune", "--dataset", "digits", "--quiet", "--out", str(tmp_path / "out")]
    assert main(argv + [x for item in options.items() for x in item]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_corrupt_study_file_gets_one_line(tmp_path, capsys):
    folder = tmp_path / "tune-digits"
    folder.mkdir()
    (folder / "study.sqlite3").write_bytes(b"not a database at all" * 100)
    assert tune(tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot open the study storage" in err


def _states(db: Path) -> list[tuple[int, str]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
    except sqlite3.Error:
        return []


def _kill_when(out: Path, budget: str, ready) -> None:
    """Start ``mnistbench tune`` on hist_gb in a child process and SIGKILL it as soon as
    ``ready(states)`` holds for the trial states in its storage."""
    db = out / "tune-digits" / "study.sqlite3"
    argv = [sys.executable, "-m", "mnistbench", "tune", "--dataset", "digits"]
    argv += ["--models", "hist_gb", "--budget", budget, "--threads", "1", "--quiet"]
    child = subprocess.Popen([*argv, "--out", str(out)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if ready(_states(db)):
                break
            assert child.poll() is None, "the tune ended before a trial could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("no trial was seen running")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_sigkill_mid_trial_then_resume_keeps_every_finished_trial(tmp_path):
    """A tune killed while a trial runs: the resumed tune keeps the finished trials as they
    were, marks the killed one failed (not counted) and ends at exactly the budget."""
    out = tmp_path / "out"
    db = out / "tune-digits" / "study.sqlite3"
    _kill_when(
        out,
        "3",
        lambda states: (
            any(s == "COMPLETE" for _, s in states) and any(s == "RUNNING" for _, s in states)
        ),
    )
    before = {n: s for n, s in _states(db)}
    killed = [n for n, s in before.items() if s == "RUNNING"]
    assert killed
    log_before = json.loads((out / "tune-digits" / "study.json").read_text())
    kept = {r["number"]: r for r in log_before["models"]["hist_gb"]["trials"]}

    assert tune(out, "--resume", models="hist_gb", budget="3") == 0
    log = json.loads((out / "tune-digits" / "study.json").read_text())
    rows = log["models"]["hist_gb"]["trials"]
    assert len(rows) == 3  # the budget, the killed trial not counted
    assert killed[0] not in {r["number"] for r in rows}
    assert log["models"]["hist_gb"]["killed"] == len(killed)
    after = {r["number"]: r for r in rows}
    for number, row in kept.items():  # every finished trial kept as it was
        assert after[number] == row
    assert dict(_states(db))[killed[0]] == "FAIL"
    assert read_profile(out / "tune-digits" / "profile.json").models["hist_gb"].trials == 3


class EpochSGD(BenchModel):
    """A linear model trained epoch by epoch that reports its validation accuracy after
    each (as the Keras models do), so the pruner has a history to judge."""

    family = "classical"
    defaults = {"alpha": 1e-4, "epochs": 6, "random_state": 0}
    search_space = SearchSpace((Param("alpha", Float(1e-6, 10.0, log=True)),))

    def fit(self, X, y, *, validation_data=None, epoch_callback=None):
        self.image_shape_ = infer_image_shape(X.shape[1])
        self.clf_ = SGDClassifier(alpha=self.alpha, random_state=self.random_state)
        self.classes_ = np.unique(y)
        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            self.clf_.partial_fit(X, y, classes=self.classes_)
            row = {"epoch": epoch}
            if validation_data is not None:
                X_val, y_val = validation_data
                row["val_accuracy"] = float(np.mean(self.predict(X_val) == y_val))
            self.history_.append(row)
            if epoch_callback is not None:
                epoch_callback(epoch, self.epochs, row)
        return self

    def predict(self, X):
        return self.clf_.predict(X)

    @property
    def n_parameters(self):
        return int(self.clf_.coef_.size + self.clf_.intercept_.size)

    def weight_images(self):
        return self.clf_.coef_.reshape(-1, *self.image_shape_)


@pytest.fixture
def epoch_sgd():
    entry = register(ModelEntry("epoch_sgd", EpochSGD, "SGD reporting each epoch"))
    yield entry.name
    unregister(entry.name)


def test_models_that_report_each_epoch_are_pruned(tmp_path, epoch_sgd):
    assert tune(tmp_path, models=epoch_sgd, budget="12") == 0
    rows = json.loads((tmp_path / "tune-digits" / "study.json").read_text())["models"][epoch_sgd][
        "trials"
    ]
    assert len(rows) == 12
    pruned = [r for r in rows if r["state"] == "pruned"]
    complete = [r for r in rows if r["state"] == "complete"]
    assert pruned, [r["steps"] for r in rows]
    assert all(len(r["steps"]) < EpochSGD.defaults["epochs"] for r in pruned)
    assert all(len(r["steps"]) == EpochSGD.defaults["epochs"] for r in complete)
    # a pruned trial's accuracy at its last step was below the median of the others there
    assert all(r["val_accuracy"] is None for r in pruned)
    # the pruner was told of tenths of the schedule, the first epoch to reach each, and
    # pruned nothing before three tenths
    import optuna

    db = f"sqlite:///{tmp_path / 'tune-digits' / 'study.sqlite3'}"
    study = optuna.load_study(study_name=epoch_sgd, storage=db)
    assert study.user_attrs["pruner_steps"] == PRUNER_STEPS
    epochs = EpochSGD.defaults["epochs"]
    for t, r in zip(study.get_trials(), rows, strict=True):
        done = len(r["steps"])
        assert sorted(t.intermediate_values) == sorted(
            {schedule_step(e, epochs) for e in range(1, done + 1)}
        )
        assert max(t.intermediate_values) >= PRUNER_WARMUP_STEPS


def test_the_pruner_compares_trials_at_the_same_fraction_of_their_schedules():
    assert [schedule_step(e, 4) for e in range(1, 5)] == [2, 5, 7, 10]
    assert schedule_step(10, 20) == schedule_step(2, 4) == 5
    assert schedule_step(13, 13) == SCHEDULE_PARTS
    assert schedule_step(1, 20) == 0


def test_a_study_pruned_epoch_by_epoch_is_not_resumed_with_tenths(tmp_path, epoch_sgd, capsys):
    """A study made before the pruner compared fractions of schedules: resuming it would
    compare its epochs with another tune's tenths."""
    import optuna

    folder = tmp_path / "tune-digits"
    folder.mkdir()
    db = f"sqlite:///{folder / 'study.sqlite3'}"
    old = optuna.create_study(study_name=epoch_sgd, storage=db, direction="maximize")
    trial = old.ask()
    for epoch in range(1, 4):
        trial.report(0.5 + epoch / 10, epoch)
    old.tell(trial, 0.8)
    assert tune(tmp_path, "--resume", models=epoch_sgd, budget="2") == 2
    err = capsys.readouterr().err
    assert "epoch by epoch" in err and "--out" in err
    assert "Traceback" not in err
    assert len(optuna.load_study(study_name=epoch_sgd, storage=db).trials) == 1
    # a study that has spent its budget runs no trial: it is resumed (logged again)
    assert tune(tmp_path, "--resume", models=epoch_sgd, budget="1") == 0
    finished = optuna.load_study(study_name=epoch_sgd, storage=db).get_trials(
        states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    )
    assert len(finished) == 1


def test_a_study_of_another_parameter_version_is_not_resumed(tmp_path, capsys):
    """Trials drawn for other defaults or another space would be mixed with this
    version's, and the profile would claim this version for them."""
    import optuna

    assert tune(tmp_path, models="sgd", budget="1") == 0
    db = f"sqlite:///{tmp_path / 'tune-digits' / 'study.sqlite3'}"
    study = optuna.load_study(study_name="sgd", storage=db)
    assert study.user_attrs["parameter_version"] == tuned_profile.parameter_version("sgd")
    study.set_user_attr("parameter_version", "0123456789abcdef")
    assert tune(tmp_path, "--resume", models="sgd", budget="1") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "another version of its parameters (0123456789abcdef" in err and "--out" in err
    assert len(optuna.load_study(study_name="sgd", storage=db).trials) == 1


def _run(out: Path, models: str, *extra: str) -> int:
    return main(
        ["run", "--dataset", "digits", "--models", models, "--quiet", "--threads", "1"]
        + ["--out", str(out), *extra]
    )


def test_tuned_specs_run_with_the_profile_of_the_run_s_data_set(tuned, tmp_path):
    profile = read_profile(tuned / "tune-digits" / "profile.json")
    assert _run(tuned, "sgd@tuned,knn@tuned,knn", "--run-id", "tuned-run") == 0
    run = load_run(tuned / "tuned-run")
    by_spec = {r.record.spec: r.record for r in run.results}
    assert set(by_spec) == {"sgd@tuned", "knn@tuned", "knn"}  # labels unchanged
    for name in ("sgd", "knn"):
        record = by_spec[f"{name}@tuned"]
        assert record.status == "ok" and record.preset == "tuned"
        for key, value in profile.models[name].params.items():
            assert record.params[key] == value
    # an explicit profile, with the spec's own overrides winning over it
    assert (
        _run(
            tmp_path,
            "knn@tuned:n_neighbors=7",
            "--profile",
            str(tuned / "tune-digits" / "profile.json"),
        )
        == 0
    )
    (record,) = [r.record for r in load_run(next(tmp_path.iterdir())).results]
    assert record.spec == "knn@tuned:n_neighbors=7" and record.params["n_neighbors"] == 7


def test_a_run_records_its_profile_and_resumes_only_with_that_one(tuned, tmp_path, capsys):
    """A resume reuses the profile the run began with (not whichever is found then), and
    refuses one changed since: the finished tasks ran with the old parameters."""
    import hashlib
    import shutil

    given = tmp_path / "profile.json"
    shutil.copy(tuned / "tune-digits" / "profile.json", given)
    out = tmp_path / "out"
    assert _run(out, "knn@tuned", "--profile", str(given), "--run-id", "r", "--seeds", "0") == 0
    used = load_run(out / "r").meta.profiles["digits"]
    assert used["path"] == str(given)
    assert used["sha256"] == hashlib.sha256(given.read_bytes()).hexdigest()
    # resumed without --profile: the recorded one, not a search that finds nothing
    assert _run(out, "knn@tuned", "--resume", "--run-id", "r", "--seeds", "0,1") == 0
    assert {r.record.seed for r in load_run(out / "r").results} == {0, 1}
    data = json.loads(given.read_text())
    data["models"]["knn"]["params"]["n_neighbors"] = 1
    given.write_text(json.dumps(data))
    capsys.readouterr()
    assert _run(out, "knn@tuned", "--resume", "--run-id", "r", "--seeds", "0,1,2") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "changed since this run began" in err, err
    assert {r.record.seed for r in load_run(out / "r").results} == {0, 1}


def test_tuned_without_a_profile_is_refused(tmp_path, capsys, monkeypatch):
    # as for a data set no profile is shipped for (digits has one)
    monkeypatch.setattr(tuned_profile, "SHIPPED_PROFILES", tmp_path / "none")
    assert _run(tmp_path, "knn@tuned") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no tuned profile for digits" in err
    assert not tmp_path.joinpath("x").exists() and not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dataset": "mnist-5k"}, "was tuned on mnist-5k, not digits"),
        ({"split_fingerprint": "0123456789abcdef"}, "another split of digits"),
        ({"models.knn.parameter_version": "0000"}, "another version of knn's parameters"),
    ],
)
def test_a_profile_for_something_else_is_refused(tuned, tmp_path, capsys, change, message):
    data = json.loads((tuned / "tune-digits" / "profile.json").read_text())
    for key, value in change.items():
        *parents, last = key.split(".")
        target = data
        for part in parents:
            target = target[part]
        target[last] = value
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "out"
    assert _run(out, "knn@tuned", "--profile", str(path)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
    assert not out.exists()


def test_a_profile_made_on_another_split_is_refused_for_real(tuned, tmp_path, capsys):
    assert tune(tmp_path, "--split-seed", "1", models="knn") == 0
    profile = tmp_path / "tune-digits" / "profile.json"
    assert _run(tmp_path / "out", "knn@tuned", "--profile", str(profile)) == 2
    assert "another split of digits" in capsys.readouterr().err


def test_tuned_is_a_preset_only_of_models_with_a_search_space(capsys):
    from mnistbench.models import parse_spec

    assert parse_spec("knn@tuned").label == "knn@tuned"
    entry = register(
        ModelEntry("untunable_sgd", type("Untunable", (EpochSGD,), {"search_space": None}), "")
    )
    try:
        with pytest.raises(Exception, match="has no preset 'tuned'"):
            parse_spec("untunable_sgd@tuned")
    finally:
        unregister(entry.name)


def test_importing_mnistbench_never_imports_optuna():
    code = "import sys, mnistbench.cli, mnistbench.api; print('optuna' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_without_optuna_tune_says_how_to_install_it(tmp_path):
    """Optuna made unimportable in a fresh interpreter (``sys.modules`` entry None is how
    Python marks a module that cannot be imported)."""
    code = (
        "import sys; sys.modules['optuna'] = None\n"
        "from mnistbench.cli import main\n"
        f"sys.exit(main(['tune', '--dataset', 'digits', '--models', 'knn', '--budget', '2',"
        f" '--out', {str(tmp_path / 'out')!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        'mnistbench: error: optuna is not installed: pip install "mnistbench[tune]"'
    )
    assert not (tmp_path / "out").exists()


def test_a_tune_killed_in_its_first_trial_runs_the_defaults_again(tmp_path):
    out = tmp_path / "out"
    _kill_when(out, "2", lambda states: states == [(0, "RUNNING")])
    assert tune(out, "--resume", models="hist_gb", budget="2") == 0
    rows = json.loads((out / "tune-digits" / "study.json").read_text())["models"]["hist_gb"][
        "trials"
    ]
    assert [r["number"] for r in rows] == [1, 2]  # trial 0 was killed
    assert rows[0]["defaults"] and rows[0]["state"] == "complete"


def test_a_compute_seconds_budget_stops_once_spent(tmp_path):
    assert tune(tmp_path, models="knn", budget="0.3s") == 0
    log = json.loads((tmp_path / "tune-digits" / "study.json").read_text())
    assert log["budget"]["kind"] == "compute_s" and log["budget"]["amount"] == 0.3
    rows = log["models"]["knn"]["trials"]
    spent = [r["compute_s"] for r in rows]
    assert sum(spent) >= 0.3 > sum(spent[:-1])  # the trial that crossed it was the last
    assert log["models"]["knn"]["spent"]["compute_s"] == pytest.approx(sum(spent))


class LossSGD(EpochSGD):
    """EpochSGD whose space holds a loss scikit-learn does not know: trials that draw it
    fail inside the model's fit."""

    defaults = {**EpochSGD.defaults, "loss": "hinge"}
    search_space = SearchSpace((Param("loss", Choice(("hinge", "log_loss", "no_such_loss"))),))

    def fit(self, X, y, *, validation_data=None, epoch_callback=None):
        self.clf_ = SGDClassifier(loss=self.loss, random_state=self.random_state)
        self.clf_.fit(X, y)
        self.classes_ = self.clf_.classes_
        self.image_shape_ = infer_image_shape(X.shape[1])
        return self


def test_a_trial_whose_model_raises_fails_and_counts(tmp_path):
    entry = register(ModelEntry("loss_sgd", LossSGD, "SGD with a bad loss in its space"))
    try:
        assert tune(tmp_path, models=entry.name, budget="8") == 0
    finally:
        unregister(entry.name)
    study = json.loads((tmp_path / "tune-digits" / "study.json").read_text())["models"][entry.name]
    failed = [r for r in study["trials"] if r["state"] == "failed"]
    assert len(study["trials"]) == 8 and failed
    assert all(r["params"] == {"loss": "no_such_loss"} for r in failed)
    assert all("no_such_loss" in r["error"] for r in failed)
    assert study["best"]["params"]["loss"] != "no_such_loss"


def test_trials_on_a_local_dask_cluster(tmp_path):
    assert tune(tmp_path, "--scheduler", "local:2", models="knn", budget="4") == 0
    log = json.loads((tmp_path / "tune-digits" / "study.json").read_text())
    rows = log["models"]["knn"]["trials"]
    assert len(rows) == 4 and sum(r["defaults"] for r in rows) == 1
    assert all(r["state"] == "complete" and r["fit_s"] > 0 for r in rows)
    assert len({json.dumps(r["params"], sort_keys=True) for r in rows[1:]}) == 3  # no repeats


@pytest.mark.slow  # as the cluster suite's worker-kill test: a minute on two cores
def test_a_dask_worker_killed_mid_trial_loses_nothing(tmp_path):
    """Every worker process is killed (SIGKILL) while a trial runs: their nannies start new
    ones, Dask runs the lost trials again, the killed ones count in no budget, and the
    trials finished before stay as they were."""
    import threading

    import psutil

    db = tmp_path / "tune-digits" / "study.sqlite3"
    seen: dict[str, Any] = {}

    def kill_workers_mid_trial() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states = _states(db)
            if any(s == "COMPLETE" for _, s in states) and any(s == "RUNNING" for _, s in states):
                seen["finished"] = {n for n, s in states if s == "COMPLETE"}
                seen["running"] = {n for n, s in states if s == "RUNNING"}
                # the nannies live in this process; each worker is a process they spawned
                workers = [
                    c for c in psutil.Process().children() if "spawn_main" in " ".join(c.cmdline())
                ]
                for worker in workers:
                    worker.kill()
                seen["killed"] = len(workers)
                seen["at"] = datetime.datetime.now()  # optuna's clock: local, naive
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_workers_mid_trial, daemon=True)
    killer.start()
    assert tune(tmp_path, "--scheduler", "local:2", models="hist_gb", budget="4") == 0
    killer.join()
    assert seen.get("killed", 0) >= 1
    states = dict(_states(db))
    rows = json.loads((tmp_path / "tune-digits" / "study.json").read_text())["models"]["hist_gb"][
        "trials"
    ]
    assert len(rows) == 4  # the budget: killed trials not counted
    assert seen["finished"] <= {r["number"] for r in rows}
    assert "RUNNING" not in states.values()
    # a trial running when its worker was killed failed, unless it had finished in the
    # moment between reading the storage and the kill (then it is complete, and counted)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        done = dict(con.execute("SELECT number, datetime_complete FROM trials").fetchall())
    for number in seen["running"]:
        if states[number] != "FAIL":
            assert states[number] == "COMPLETE"
            assert datetime.datetime.fromisoformat(done[number]) <= seen["at"]


def test_the_budget_table_takes_test_accuracy_only_from_the_study_s_split(tuned):
    from mnistbench.analysis.tuning_budget import best_so_far, tuned_results
    from mnistbench.results.study_log import read_study_log

    log = read_study_log(tuned / "tune-digits")
    assert _run(tuned, "knn@tuned,sgd", "--run-id", "for-table") == 0
    run = load_run(tuned / "for-table")
    table = tuned_results(log, run).set_index("model")
    knn = next(r.record for r in run.results if r.record.spec == "knn@tuned")
    assert table.loc["knn", "test_accuracy"] == knn.metrics.accuracy
    assert table.loc["knn", "test_ci_low"] == knn.metrics.accuracy_ci[0]
    assert pd.isna(table.loc["sgd", "test_accuracy"])  # sgd ran without @tuned
    assert table.loc["knn", "trials"] == 3
    assert _run(tuned, "knn@tuned", "--run-id", "other-split", "--split-seed", "1") == 2  # refused
    curves = best_so_far(log)
    knn_curve = curves[curves["model"] == "knn"]
    assert list(knn_curve["trial"]) == [1, 2, 3]
    assert knn_curve["best"].is_monotonic_increasing
    assert knn_curve["compute_s"].is_monotonic_increasing


@pytest.mark.slow  # trains Keras models
def test_keras_models_are_pruned_inside_their_fit(tmp_path):
    """The pruner stops a Keras fit from its epoch callback: a pruned trial reported fewer
    epochs than it was to train, a complete one all of them."""
    from mnistbench.models import get_entry

    name = "softmax" if "softmax" in [e.name for e in available_models()] else None
    if name is None:
        pytest.skip("no Keras model available")
    assert tune(tmp_path, models=name, budget="6") == 0
    rows = json.loads((tmp_path / "tune-digits" / "study.json").read_text())["models"][name][
        "trials"
    ]
    default_epochs = get_entry(name).cls.defaults["epochs"]
    pruned = [r for r in rows if r["state"] == "pruned"]
    assert pruned
    for r in rows:
        epochs = r["params"].get("epochs", default_epochs)
        if r["state"] == "pruned":
            assert 1 <= len(r["steps"]) < epochs
        else:
            assert len(r["steps"]) == epochs
