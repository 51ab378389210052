"""Spec parsing, presets, parameter validation and third-party registration."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sklearn.base import clone

from mnistbench.errors import ModelSpecError
from mnistbench.models import (
    DEFAULT_MODELS,
    ModelEntry,
    ModelSpec,
    apply_settings,
    available_models,
    get_entry,
    get_model,
    parse_spec,
    parse_spec_list,
    register,
    registered_models,
    select_models,
    unregister,
)
from mnistbench.models import registry as registry_module
from tests.optional_models import ABSENT, INSTALL, REASON, NeedsAbsentKNN, absent_model


def test_the_six_contract_models_are_registered_with_notebook_presets():
    names = [e.name for e in available_models()]
    assert names[:6] == list(DEFAULT_MODELS)
    for name in DEFAULT_MODELS:
        assert "notebook" in get_entry(name).presets


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("linear_svc@notebook", {"C": 1.0, "max_iter": 1000}),
        ("sgd@notebook", {"alpha": 1e-4, "max_iter": 5000, "n_jobs": -1, "loss": "hinge"}),
        ("knn@notebook", {"n_neighbors": 10, "metric": "manhattan"}),
        # Keras's own steps_per_execution (1): the tuned defaults batch steps, the notebook
        # did not.
        (
            "softmax@notebook",
            {
                "zero_init": True,
                "l1": 1e-6,
                "epochs": 30,
                "batch_size": 512,
                "steps_per_execution": 1,
            },
        ),
        (
            "mlp@notebook",
            {
                "hidden_units": (128, 64),
                "activation": "sigmoid",
                "epochs": 42,
                "batch_size": 256,
                "steps_per_execution": 1,
            },
        ),
        (
            "cnn@notebook",
            {
                "filters": (64,),
                "kernel_size": 15,
                "padding": "valid",
                "epochs": 20,
                "batch_size": 256,
                "steps_per_execution": 1,
            },
        ),
    ],
)
def test_notebook_presets_reproduce_the_notebook(spec, expected):
    params = get_model(spec).get_params()
    for key, value in expected.items():
        assert params[key] == value, key


def test_spec_labels_are_canonical():
    assert parse_spec("knn").label == "knn"
    assert parse_spec("knn@notebook").label == "knn@notebook"
    assert parse_spec(" knn : weights=uniform , n_neighbors=3 ").label == (
        "knn:n_neighbors=3,weights=uniform"
    )
    spec = parse_spec("mlp@notebook:hidden_units=(64,32)")
    assert spec.label == "mlp@notebook:hidden_units=(64,32)"
    assert spec.tuned_label == "mlp:hidden_units=(64,32)"
    assert get_model(spec).hidden_units == (64, 32)
    assert parse_spec(spec.label) == spec


def test_seed_is_the_old_name_of_the_notebook_preset():
    """Old commands keep working: ``@seed`` is read as ``@notebook`` wherever specs are."""
    assert parse_spec("knn@seed") == parse_spec("knn@notebook")
    assert parse_spec("knn@seed").label == "knn@notebook"
    assert parse_spec("mlp@seed:epochs=3").label == "mlp@notebook:epochs=3"
    assert [s.label for s in parse_spec_list("knn@seed,cnn@seed:epochs=1")] == [
        "knn@notebook",
        "cnn@notebook:epochs=1",
    ]
    assert [s.label for s in apply_settings([ModelSpec("sgd", "seed")], ["sgd.max_iter=9"])] == [
        "sgd@notebook:max_iter=9"
    ]
    assert get_model("cnn@seed").get_params() == get_model("cnn@notebook").get_params()
    assert ModelSpec("knn", "seed").params() == ModelSpec("knn", "notebook").params()


def test_spec_list_keeps_parameters_with_their_model():
    specs = parse_spec_list(
        "knn:n_neighbors=3,weights=uniform,sgd,mlp:hidden_units=(8,4),cnn@notebook"
    )
    assert [s.label for s in specs] == [
        "knn:n_neighbors=3,weights=uniform",
        "sgd",
        "mlp:hidden_units=(8,4)",
        "cnn@notebook",
    ]


def test_set_applies_to_every_spec_of_a_model():
    specs = apply_settings(parse_spec_list("knn,knn@notebook,sgd"), ["knn.n_neighbors=7"])
    assert [get_model(s).n_neighbors for s in specs[:2]] == [7, 7]
    assert specs[2].label == "sgd"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("forest", "unknown model 'forest'"),
        ("knn@fancy", "no preset 'fancy'"),  # (@tuned is every tunable model's)
        ("knn:k=3", "no parameter 'k'"),
        ("knn:n_neighbors=abc", "should be a int"),
        ("knn:n_neighbors=2.5", "should be a int"),
        ("knn:n_neighbors=0", "n_neighbors"),
        ("sgd:loss=nonsense", "loss"),
        ("mlp:schedule=weekly", "schedule must be one of"),
        ("cnn:epochs=0", "epochs must be at least 1"),
        ("mlp:steps_per_execution=0", "steps_per_execution must be at least 1"),
        ("knn:n_neighbors", "expected param=value"),
    ],
)
def test_bad_specs_raise_one_line_errors(text, message):
    with pytest.raises(ModelSpecError, match=message) as info:
        parse_spec(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("setting", ["knn", "knn.n_neighbors", "forest.depth=3", "knn.k=1"])
def test_bad_set_values_are_refused(setting):
    with pytest.raises(ModelSpecError):
        apply_settings(parse_spec_list("knn"), [setting])


def test_models_clone_and_round_trip_parameters():
    for entry in available_models():
        model = get_model(entry.name)
        twin = clone(model)
        assert twin.get_params() == model.get_params()
        assert set(model.get_params()) == set(entry.defaults)


def test_constructor_rejects_unknown_parameters():
    with pytest.raises(ModelSpecError, match="no parameter"):
        get_entry("knn").cls(neighbours=3)


def test_third_party_models_register_through_entry_points(tmp_path, monkeypatch):
    """A real installed distribution (a dist-info on sys.path) with an entry point."""
    (tmp_path / "bench_plugin.py").write_text(
        textwrap.dedent("""
        from mnistbench.models import ModelEntry
        from mnistbench.models.builtin.knn import KNNModel

        class OneNN(KNNModel):
            defaults = {**KNNModel.defaults, "n_neighbors": 1}

        def entries():
            return [ModelEntry("one_nn", OneNN, "1-NN plug-in", {"raw": {"pca_components": 0}})]
    """)
    )
    dist = tmp_path / "bench_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mnistbench.models]\none_nn = bench_plugin:entries\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry_module, "_plugins_loaded", False)
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))
    try:
        assert "one_nn" in [e.name for e in available_models()]
        assert get_model("one_nn@raw").get_params()["n_neighbors"] == 1
    finally:
        sys.modules.pop("bench_plugin", None)


# --- models that need optional packages ---------------------------------------------------


@pytest.fixture
def needs_absent():
    with absent_model() as entry:
        yield entry


def test_a_model_whose_package_is_missing_is_registered_but_unavailable(needs_absent):
    assert needs_absent.missing == (ABSENT,)
    assert not needs_absent.available
    assert needs_absent.unavailable_reason == REASON
    assert needs_absent in registered_models()
    assert needs_absent not in available_models()
    assert get_entry("needs_absent") is needs_absent  # its parameters can still be listed


def test_an_installed_requirement_makes_a_model_available():
    entry = ModelEntry("needs_numpy", get_entry("knn").cls, "k-NN", requires=("numpy",))
    assert entry.available and entry.unavailable_reason is None
    assert ModelEntry("x", entry.cls, "", requires=("a", "b")).install_command == (
        "pip install a b"
    )
    with pytest.raises(ValueError, match="top-level import name"):
        register(ModelEntry("dotted", entry.cls, "", requires=("sklearn.neighbors",)))


@pytest.mark.parametrize(
    "text", ["needs_absent", "needs_absent@small", "needs_absent:n_neighbors=3"]
)
def test_selecting_an_unavailable_model_says_what_to_install_in_one_line(needs_absent, text):
    message = f"model needs_absent is unavailable: it {REASON}"
    with pytest.raises(ModelSpecError) as info:
        parse_spec(text)
    assert str(info.value) == message
    with pytest.raises(ModelSpecError, match="is unavailable"):
        parse_spec_list(f"knn,{text}")
    with pytest.raises(ModelSpecError, match="is unavailable"):
        get_model(ModelSpec("needs_absent"))


@pytest.mark.parametrize("group", ["all", "classical", "notebooks"])
def test_groups_leave_an_unavailable_model_out_and_say_so(needs_absent, group):
    selection = select_models(f"{group},knn")
    assert not any(spec.name == "needs_absent" for spec in selection.specs)
    assert selection.skipped == {"needs_absent": REASON}
    assert selection.notes == [f"needs_absent skipped (unavailable): {REASON}"]
    assert [s.label for s in selection.specs] == [s.label for s in parse_spec_list(f"{group},knn")]
    assert select_models("default").skipped == {}  # a group without it says nothing


class ExoticKNN(NeedsAbsentKNN):
    """A family of its own, so that its group is small enough to run in a test."""

    family = "exotic"


@pytest.fixture
def exotic_family():
    """Group ``exotic``: one available model (exotic_knn) and one unavailable one."""
    register(ModelEntry("exotic_knn", ExoticKNN, "an available k-NN"))
    try:
        with absent_model("exotic_absent", ExoticKNN):
            yield
    finally:
        unregister("exotic_knn")


def test_a_run_of_a_group_says_which_unavailable_model_it_left_out(exotic_family, tmp_path, capsys):
    from mnistbench.cli import main

    argv = ["run", "--models", "exotic", "--dataset", "digits", "--seeds", "0", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"note exotic_absent skipped (unavailable): {REASON}" in err
    (run,) = tmp_path.iterdir()
    assert [p.name.split("--")[0] for p in sorted((run / "tasks").glob("*.json"))] == ["exotic_knn"]


def test_a_group_of_unavailable_models_only_says_why_it_selected_nothing(tmp_path, capsys):
    from mnistbench.cli import main

    with absent_model("exotic_absent", ExoticKNN):
        status = main(["run", "--models", "exotic", "--dataset", "digits", "--out", str(tmp_path)])
        selection = select_models("exotic")
    assert selection.specs == [] and list(selection.skipped) == ["exotic_absent"]
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert f"--models selected no model; exotic_absent skipped (unavailable): {REASON}" in err


def test_the_models_command_lists_an_unavailable_model_with_its_install_command(
    needs_absent, capsys
):
    from mnistbench.cli import main

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "needs_absent" in out and "unavailable: needs" in out
    assert INSTALL in out


def test_running_an_unavailable_model_fails_in_one_line_before_anything_is_written(
    needs_absent, tmp_path, capsys
):
    from mnistbench.cli import main

    status = main(
        ["run", "--models", "knn,needs_absent", "--dataset", "digits", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and INSTALL in err and "needs_absent" in err
    assert list(tmp_path.iterdir()) == []


def test_importing_mnistbench_never_imports_an_optional_package():
    """Registering, listing and checking a model that requires TensorFlow (installed here)
    leaves TensorFlow unimported: availability is found without importing."""
    code = textwrap.dedent("""
        import sys
        import mnistbench, mnistbench.cli, mnistbench.testing
        from mnistbench.models import ModelEntry, get_entry, register, registered_models
        from mnistbench.models import select_models
        entry = register(ModelEntry("tf_knn", get_entry("knn").cls, "", requires=("tensorflow",)))
        assert entry.available and entry in registered_models()
        select_models("all")
        assert "tensorflow" not in sys.modules, "tensorflow was imported"
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
