"""`mnistbench tune --models svc@best`: a study of a preset starts from the preset's values
and searches the space the model declares for it, keeps the preset's other values in every
trial, and ends in a profile entry of its own that `@tuned` never mistakes for the
model's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mnistbench.cli import main
from mnistbench.errors import ModelSpecError, RequestError
from mnistbench.models import ModelEntry, get_entry, register
from mnistbench.models.builtin.svc import SVCModel
from mnistbench.models.search_space import Float, Param, SearchSpace
from mnistbench.parsing import parse_tune_models
from mnistbench.results.tuned_profile import parameter_version, read_profile, write_profile


@pytest.fixture(scope="module")
def preset_study(tmp_path_factory) -> Path:
    """svc@best and the model itself tuned on digits, 4 trials each: the study's folder."""
    out = tmp_path_factory.mktemp("preset-tune")
    argv = ["tune", "--dataset", "digits", "--models", "svc@best,svc", "--budget", "4"]
    assert main([*argv, "--threads", "1", "--quiet", "--out", str(out)]) == 0
    return out / "tune-digits"


def test_a_preset_study_starts_from_the_preset_and_searches_its_own_space(preset_study):
    log = json.loads((preset_study / "study.json").read_text())
    assert set(log["models"]) == {"svc@best", "svc"}
    svc = get_entry("svc")
    preset, space = svc.presets["best"], svc.search_space("best")
    assert space is not None and space is not SVCModel.search_space
    rows = log["models"]["svc@best"]["trials"]
    first = rows[0]
    assert first["defaults"] and first["params"] == space.restrict(svc.tuning_base("best"))
    assert first["params"]["kernel"] == preset["kernel"]
    assert first["params"]["orientations"] is preset["orientations"] is True
    for row in rows:
        assert set(row["params"]) <= set(space.names)
        assert space.outside(row["params"]) == []
    # the model's own study, beside it, starts from the tuned defaults in its own space
    own = log["models"]["svc"]["trials"][0]["params"]
    assert own == SVCModel.search_space.restrict(SVCModel.defaults) != first["params"]


def test_a_preset_study_gets_its_own_profile_entry_and_version(preset_study):
    profile = read_profile(preset_study / "profile.json")
    assert set(profile.models) == {"svc@best", "svc"}
    assert profile.models["svc@best"].parameter_version == parameter_version("svc@best")
    assert parameter_version("svc@best") != parameter_version("svc")
    assert profile.models["svc"].parameter_version == parameter_version("svc")
    # svc@tuned takes the model's study, never the preset's
    profile.models.pop("svc")
    write_profile(preset_study / "preset-only.json", profile)
    code = main(
        ["run", "--dataset", "digits", "--models", "svc@tuned", "--profile"]
        + [str(preset_study / "preset-only.json"), "--out", str(preset_study / "runs")]
    )
    assert code != 0


def test_a_trial_of_a_preset_keeps_the_values_its_space_does_not_tune(preset_study):
    from mnistbench.data import load_dataset, make_split
    from mnistbench.tuning.trial import run_trial

    class Trial:  # an enqueued trial: suggests what it is given, records attributes
        def __init__(self, values):
            self.values, self.user_attrs = values, {}

        def suggest_float(self, name, low, high, *, log=False):
            return self.values[name]

        suggest_int = suggest_float

        def suggest_categorical(self, name, choices):
            return self.values[name]

        def set_user_attr(self, key, value):
            self.user_attrs[key] = value

        def report(self, value, step):
            raise AssertionError("svc reports no epochs")

    split = make_split(load_dataset("digits"), None, test_size=0.2, val_size=None, seed=0)
    values = {
        "kernel": "rbf",
        "C": 5.0,
        "gamma": 0.02,
        "pca_components": 40,
        "blur": 0.5,
        "orientations": False,
    }
    trial = Trial(values)
    accuracy = run_trial(trial, "svc@best", split, seed=0, threads=1)
    assert 0.9 < accuracy <= 1.0
    assert trial.user_attrs["params"] == values  # deskew stays the preset's (True)
    assert get_entry("svc").tuning_base("best")["deskew"] is True


@pytest.mark.parametrize(
    "text, message",
    [
        ("svc@nope", "a preset its model declares a search space for"),
        ("svc@tuned", "a preset its model declares a search space for"),
        ("svc@notebook", r"\(svc@best, svc@virtual\)"),
        ("knn@best", "none of its"),
        ("svc:C=3", "not parameters"),
        ("nope@best", "unknown model"),
    ],
)
def test_a_bad_preset_to_tune_is_one_clear_line(text, message):
    with pytest.raises((RequestError, ModelSpecError), match=message):
        parse_tune_models(text)
    assert parse_tune_models("svc@best,knn") == ["svc@best", "knn"]


def test_a_preset_space_must_name_a_preset_and_known_parameters():
    space = SearchSpace((Param("C", Float(1.0, 2.0)),))
    with pytest.raises(ValueError, match="unknown preset"):
        register(ModelEntry("svc_spaced", SVCModel, "", {}, preset_spaces={"best": space}))
    stray = SearchSpace((Param("nope", Float(1.0, 2.0)),))
    with pytest.raises(ValueError, match="tunes unknown nope"):
        register(ModelEntry("svc_stray", SVCModel, "", {"best": {}}, preset_spaces={"best": stray}))


def test_each_model_of_a_profile_names_the_command_that_tuned_it(tmp_path):
    """Two tunes into one folder: the profile holds both models, each with its own
    command; the provenance's command is the latest."""
    for models in ("svc", "svc@best"):  # as commands: a profile records the process's argv
        argv = ["tune", "--dataset", "digits", "--models", models, "--budget", "2"]
        subprocess.run(
            [sys.executable, "-m", "mnistbench", *argv, "--threads", "1", "--quiet"]
            + ["--out", str(tmp_path)],
            check=True,
            capture_output=True,
        )
    profile = read_profile(tmp_path / "tune-digits" / "profile.json")
    assert set(profile.models) == {"svc", "svc@best"}
    commands = {name: m.command for name, m in profile.models.items()}
    for name, command in commands.items():
        assert command is not None and command[command.index("--models") + 1] == name
    assert profile.provenance["command"] == commands["svc@best"]


def test_a_compute_budget_stops_a_trial_at_the_epoch_it_runs_out(tmp_path, capsys):
    """A one-second budget: the CNN's first trial stops at the first epoch past it,
    pruned and marked, instead of running its whole schedule."""
    argv = ["tune", "--dataset", "digits", "--models", "cnn", "--budget", "1s"]
    assert main([*argv, "--threads", "1", "--out", str(tmp_path)]) == 0
    assert "stopped: the budget ran out" in capsys.readouterr().out
    log = json.loads((tmp_path / "tune-digits" / "study.json").read_text())
    (row,) = log["models"]["cnn"]["trials"]
    assert row["state"] == "pruned" and row["budget_stop"] and row["defaults"]
    assert 1 <= len(row["steps"]) < 50  # its schedule on digits is 55 epochs (min_steps)
    assert log["models"]["cnn"]["best"] is None


def test_the_model_listing_shows_what_a_preset_study_searches():
    from rich.console import Console

    from mnistbench.commands.display import models_table

    console = Console(width=1000, record=True)
    console.print(models_table([get_entry("svc"), get_entry("knn")]))
    text = console.export_text()
    assert "tuned by mnistbench tune --models svc@best: searches kernel, C, gamma" in text
    assert "knn@best" not in text  # knn@best declares no space of its own


def test_a_model_logged_before_per_model_commands_keeps_the_command_that_tuned_it(tmp_path):
    """A log written before models named their commands: a later tune into the folder
    gives its models the log's command then, not its own."""

    def tune(models: str) -> list[str]:
        argv = ["tune", "--dataset", "digits", "--models", models, "--budget", "2"]
        argv += ["--threads", "1", "--quiet", "--out", str(tmp_path)]
        subprocess.run([sys.executable, "-m", "mnistbench", *argv], check=True)
        return ["mnistbench", *argv]

    first = tune("svc")
    log_file = tmp_path / "tune-digits" / "study.json"
    log = json.loads(log_file.read_text())
    for entry in log["models"].values():
        del entry["command"]  # as an older mnistbench wrote it
    log_file.write_text(json.dumps(log))
    second = tune("svc@best")
    profile = read_profile(tmp_path / "tune-digits" / "profile.json")
    assert profile.models["svc"].command == first
    assert profile.models["svc@best"].command == second == profile.provenance["command"]
