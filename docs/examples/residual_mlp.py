"""A Keras model with skip connections, as one plug-in file.

Each block adds its input back to its output (``x + f(x)``, He et al. 2016), a shape a
plain stack of layers cannot express: the model builds its graph with Keras's functional
API in ``build_graph``. The training loop, history, weight images, pickling and the output
layer (softmax, ``l1``, ``zero_init``, ``output_sigmoid``) come from ``KerasModel``.

Use it by importing this file before a run, or ship it in a package whose
``pyproject.toml`` names the entry in mnistbench's entry-point group::

    [project.entry-points."mnistbench.models"]
    residual_mlp = "residual_mlp:ENTRY"

then ``mnistbench run --models residual_mlp`` and ``check_model("residual_mlp")``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mnistbench.models import ModelEntry, register
from mnistbench.models.keras_base import KerasModel


class ResidualMLP(KerasModel):
    """A dense ReLU layer to ``width`` units, then ``blocks`` residual blocks: each adds
    its input to dense (ReLU), dropout, dense of it and normalises the sum over its units
    (``LayerNorm(x + f(x))``, as in a transformer's feed-forward blocks)."""

    defaults: ClassVar[dict[str, Any]] = {
        **KerasModel.defaults,
        "width": 256,
        "blocks": 2,
        "dropout": 0.1,
        "epochs": 10,
        "learning_rate": 2e-3,
        "schedule": "onecycle",
        "min_steps": 600,
    }

    def check_params(self) -> None:
        super().check_params()
        if self.width < 1 or self.blocks < 0:
            raise ValueError("width must be at least 1 and blocks at least 0")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def build_graph(
        self, keras: Any, inputs: Any, image_shape: tuple[int, int], n_classes: int
    ) -> Any:
        layers = keras.layers
        x = layers.Dense(self.width, activation="relu")(inputs)
        for _ in range(self.blocks):
            h = layers.Dense(self.width, activation="relu")(x)
            if self.dropout:
                h = layers.Dropout(self.dropout)(h)
            h = layers.Dense(self.width)(h)
            x = layers.Add()([x, h])  # the skip connection: x + f(x)
            x = layers.LayerNormalization()(x)
        return x  # KerasModel adds the output layer


ENTRY = ModelEntry(
    "residual_mlp",
    ResidualMLP,
    "Keras: dense residual blocks (skip connections)",
    presets={"narrow": {"width": 64, "blocks": 1, "dropout": 0.0}},
)

# Registered on import; an entry point that names ENTRY finds it registered already.
register(ENTRY)
