"""The field around the contract six (issue 10): the new models' presets pass the
conformance kit, ``--models`` groups, and the Keras parameters the teaching notebooks'
presets need (steps, Adagrad, clipping, per-layer L1, sigmoid output stacks, per-layer
kernel sizes)."""

from __future__ import annotations

import numpy as np
import pytest

from mnistbench.errors import ModelSpecError
from mnistbench.models import (
    DEFAULT_MODELS,
    ModelEntry,
    ModelSpec,
    available_models,
    get_entry,
    get_model,
    parse_spec_list,
    register,
)
from mnistbench.models.builtin.knn import KNNModel
from mnistbench.models.specs import model_groups
from mnistbench.testing import check_model

# Presets added with the field; the contract six's @notebook presets are older.
NEW_PRESETS = [
    "logreg@bench_mnist",
    "svc@notebook",
    "kernel_approx@bench_mnist",
    "random_forest@bench_mnist",
    "extra_trees@bench_mnist",
    "hist_gb@defaults",
    "sk_mlp@bench_mnist",
    "softmax@mlcc",
    "softmax@bern",
    "mlp@notebook_48",
    "mlp@mlcc",
    "mlp@mlcc_julia",
    "mlp@bern",
    "mlp@flux",
    "cnn@notebook_deep",
]


@pytest.mark.parametrize("label", NEW_PRESETS)
def test_new_presets_conform(label):
    spec = parse_spec_list(label)[0]
    if spec.params().get("steps"):
        spec = spec.with_overrides({"steps": 60})  # the path, not the 1,000 steps
    assert check_model(spec).ok


def test_every_preset_names_where_it_comes_from():
    for entry in available_models():
        for preset in entry.presets:
            assert entry.preset_source(preset), f"{entry.name}@{preset} has no source"


def test_groups_follow_families_and_presets():
    groups = model_groups()
    labels = {e.name: [e.name, *(f"{e.name}@{p}" for p in e.presets)] for e in available_models()}
    assert groups["all"] == [label for name in labels for label in labels[name]]
    assert groups["default"] == list(DEFAULT_MODELS)
    aims = ("@best", "@augment", "@virtual")  # the suite's own aims, not written elsewhere
    assert groups["notebooks"] == [
        label for name in labels for label in labels[name][1:] if not label.endswith(aims)
    ]
    assert {"classical", "deep"} <= set(groups)
    for family in ("classical", "deep"):
        assert groups[family] == [
            label for name in labels for label in labels[name] if get_entry(name).family == family
        ]
    assert set(groups["classical"]) | set(groups["deep"]) == set(groups["all"])


def test_a_group_expands_in_a_model_list_and_each_spec_runs_once():
    specs = [s.label for s in parse_spec_list("default,knn@seed,knn,deep")]
    assert specs[:6] == list(DEFAULT_MODELS)
    assert specs.count("knn") == 1 and specs.count("knn@notebook") == 1
    assert "cnn@notebook_deep" in specs and "sk_mlp" in specs
    assert "svc" not in specs
    assert [s.label for s in parse_spec_list("notebooks")] == model_groups()["notebooks"]


@pytest.mark.parametrize("text", ["all:epochs=2", "deep@notebook", "classical,max_iter=3"])
def test_a_group_takes_no_preset_or_parameters(text):
    with pytest.raises(ModelSpecError, match="takes no preset or parameters"):
        parse_spec_list(text)


@pytest.mark.parametrize("name", ["all", "notebooks", "default", "classical", "deep"])
def test_a_model_cannot_take_a_group_name(name):
    with pytest.raises(ValueError, match="group name"):
        register(ModelEntry(name, KNNModel, "clash"))


def test_new_keras_parameters_default_to_todays_behaviour():
    for entry in available_models():
        params = entry.defaults
        if "optimizer" in params:  # every Keras model
            assert (
                params["optimizer"],
                params["clip_norm"],
                params["steps"],
                params["output_sigmoid"],
            ) == ("adam", 0.0, 0, False)
    assert get_model("mlp").hidden_l1 == 0.0
    cnn = get_model("cnn")
    assert (cnn.kernel_sizes, cnn.pool_size, cnn.dense_activation) == ((), 2, "relu")


@pytest.fixture(scope="module")
def digits():
    from mnistbench.data import load_dataset, make_split

    return make_split(load_dataset("digits"))


def test_steps_train_exactly_that_many_batches_with_adagrad_and_clipping(digits):
    model = get_model(ModelSpec("softmax", "mlcc", (("steps", 40),)))
    model.fit(digits.X_train, digits.y_train, validation_data=(digits.X_val, digits.y_val))
    optimizer = model.model_.optimizer
    assert int(optimizer.iterations.numpy()) == 40
    assert type(optimizer).__name__ == "Adagrad" and optimizer.clipnorm == 5.0
    assert [row["epoch"] for row in model.history] == list(range(1, 11))  # 10 periods of 4
    assert get_model(ModelSpec("mlp", "mlcc", (("steps", 7),)))._step_periods() == (7, 1)
    assert get_model(ModelSpec("mlp", "mlcc"))._step_periods() == (10, 100)


def test_notebook_networks_are_built_as_written(digits):
    def fitted(spec: ModelSpec):
        model = get_model(spec.with_overrides({"epochs": 1}))
        return model.fit(digits.X_train, digits.y_train).model_

    flux = fitted(ModelSpec("mlp", "flux"))
    dense = [layer for layer in flux.layers if type(layer).__name__ == "Dense"]
    assert [d.units for d in dense] == [32, 10]
    # hidden Dense + sigmoid, then the output Dense's sigmoid and a softmax on top (after
    # the input layer, which a functional model lists first)
    assert [layer.activation.__name__ for layer in flux.layers[1:]] == [
        "linear",
        "sigmoid",
        "sigmoid",
        "softmax",
    ]
    proba = flux(digits.X_test[:5]).numpy()
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5)

    l1 = fitted(ModelSpec("mlp", "notebook_48"))
    hidden, output = [layer for layer in l1.layers if type(layer).__name__ == "Dense"]
    assert hidden.units == 48 and float(hidden.kernel_regularizer.l1) == pytest.approx(1e-5)
    assert float(output.kernel_regularizer.l1) == pytest.approx(1e-4)

    deep = get_model(ModelSpec("cnn", "notebook_deep"))
    layers = deep.build_layers(__import__("keras"), (28, 28), 10)
    kinds = [
        (
            type(layer).__name__,
            getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None),
        )
        for layer in layers
    ]
    assert kinds == [
        ("Reshape", None),
        ("Conv2D", (5, 5)),
        ("Activation", None),
        ("Conv2D", (9, 9)),
        ("Activation", None),
        ("MaxPooling2D", (4, 4)),
        ("Flatten", None),
        ("Dense", None),
    ]
    assert layers[-1].units == 64 and layers[-1].activation.__name__ == "sigmoid"


def test_kernel_sizes_must_match_filters():
    with pytest.raises(ModelSpecError, match="one size per entry"):
        parse_spec_list("cnn:kernel_sizes=(3,)")
