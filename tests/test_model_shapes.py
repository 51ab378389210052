"""A Keras model can be any graph: the residual example in the docs is one plug-in file
that passes the conformance kit and trains; the default graph is today's plain stack."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from mnistbench.models import get_model, unregister
from mnistbench.testing import check_model

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "residual_mlp.py"


@pytest.fixture
def residual() -> Iterator[ModuleType]:
    """The docs' example file imported as a user would (it registers its model)."""
    spec = importlib.util.spec_from_file_location("residual_mlp", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["residual_mlp"] = module  # pickling a fitted model finds its class here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("residual_mlp", None)
        unregister(module.ENTRY.name)


def test_the_residual_example_conforms(residual):
    name = residual.ENTRY.name
    report = check_model(name)
    assert report.ok and len(report.checks) >= 12


@pytest.mark.slow
def test_the_residual_example_learns_through_its_skip_connections(residual):
    from mnistbench.data import load_dataset, make_split

    split = make_split(load_dataset("digits"))
    width, blocks = 64, 2
    model = get_model(f"{residual.ENTRY.name}:width={width},blocks={blocks},epochs=5")
    model.fit(split.X_train, split.y_train)
    kinds = [type(layer).__name__ for layer in model.model_.layers]
    assert kinds.count("Add") == blocks  # one skip connection per block
    # Input -> width; per block two width -> width layers and a layer norm (scale and
    # offset per unit); width -> 10 classes; every dense layer with biases.
    n_in = split.X_train.shape[1]
    block = 2 * (width + 1) * width + 2 * width
    assert model.n_parameters == (n_in + 1) * width + blocks * block + (width + 1) * 10
    assert model.weight_images().shape == (width, *split.image_shape)
    assert np.mean(model.predict(split.X_test) == split.y_test) > 0.8


def test_the_output_layer_options_apply_to_a_graph(residual):
    model = get_model(f"{residual.ENTRY.name}:width=8,blocks=1,output_sigmoid=True")
    import keras

    network = model._network(keras, 64, 10)
    assert [type(layer).__name__ for layer in network.layers[-2:]] == ["Dense", "Activation"]
    assert network.layers[-2].activation.__name__ == "sigmoid"
    assert network.layers[-1].activation.__name__ == "softmax"


@pytest.mark.parametrize(
    "spec", ["softmax", "mlp", "mlp@flux", "mlp:batch_norm=True", "cnn", "cnn@notebook_deep"]
)
def test_the_default_graph_is_the_plain_stack(spec):
    """``build_graph``'s default builds what ``keras.Sequential`` built from
    ``build_layers``: the same layers in the same order, initialised to the same weights."""
    import keras

    model = get_model(spec)
    keras.utils.set_random_seed(0)
    stack = keras.Sequential(
        [
            keras.Input((64,)),
            *model.build_layers(keras, (8, 8), 10),
            *model._output_layers(keras, 10),
        ]
    )
    keras.utils.set_random_seed(0)
    graph = model._network(keras, 64, 10)
    assert [type(layer).__name__ for layer in graph.layers[1:]] == [
        type(layer).__name__ for layer in stack.layers
    ]
    assert graph.count_params() == stack.count_params()
    for a, b in zip(graph.get_weights(), stack.get_weights(), strict=True):
        assert np.array_equal(a, b)
