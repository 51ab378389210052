"""Fully connected network in Keras: tuned 512-256 ReLU with dropout and a one-cycle
schedule, and the notebook's 128-64 sigmoid network (Adam, 42 epochs, batch 256)."""

from __future__ import annotations

from typing import Any, ClassVar

from mnistbench.models.keras_base import KERAS_AS_WRITTEN, KerasModel
from mnistbench.models.registry import ModelEntry, register


class MLPModel(KerasModel):
    """Fully connected hidden layers."""

    defaults: ClassVar[dict[str, Any]] = {
        **KerasModel.defaults,
        "hidden_units": (512, 256),
        "activation": "relu",
        "batch_norm": False,
        "dropout": 0.2,
        "epochs": 9,
        "batch_size": 128,
        "learning_rate": 2e-3,
        "schedule": "onecycle",
        "min_steps": 600,
    }

    def build_layers(self, keras: Any, image_shape: tuple[int, int], n_classes: int) -> list:
        layers: list = []
        for units in self.hidden_units:
            layers.append(keras.layers.Dense(units, use_bias=not self.batch_norm))
            if self.batch_norm:
                layers.append(keras.layers.BatchNormalization(momentum=0.9))
            layers.append(keras.layers.Activation(self.activation))
            if self.dropout:
                layers.append(keras.layers.Dropout(self.dropout))
        return layers


PRESETS: dict[str, dict[str, Any]] = {
    "notebook": {**KERAS_AS_WRITTEN, "hidden_units": (128, 64), "activation": "sigmoid",
             "batch_norm": False, "dropout": 0.0, "epochs": 42, "batch_size": 256},
}

register(ModelEntry("mlp", MLPModel, "Keras: fully connected hidden layers", PRESETS))
