"""Convolutional network in Keras: tuned two conv blocks (16, 32 filters of 5x5) and a
dense layer, and the notebook's single 64-filter 15x15 convolution (Adam, 20 epochs)."""

from __future__ import annotations

from typing import Any, ClassVar

from mnistbench.models.keras_base import KERAS_AS_WRITTEN, KerasModel
from mnistbench.models.registry import ModelEntry, register


class CNNModel(KerasModel):
    """Convolutional blocks (conv, optional batch norm, ReLU, max-pool) then the output.

    ``filters`` gives one conv layer per entry; every ``pool_every``-th conv layer ends in a
    2x2 pool. A "valid" kernel that no longer fits the image (8x8 digits) falls back to
    "same" padding, so every configuration runs on every data set.
    """

    weight_caption: ClassVar[str] = "first-layer filters"

    defaults: ClassVar[dict[str, Any]] = {
        **KerasModel.defaults,
        "filters": (16, 32),
        "kernel_size": 5,
        "padding": "valid",
        "pool_every": 1,
        "batch_norm": False,
        "dense_units": 128,
        "dropout": 0.0,
        "epochs": 12,
        "batch_size": 128,
        "learning_rate": 3e-3,
        "schedule": "onecycle",
        "min_steps": 600,
    }

    def build_layers(self, keras: Any, image_shape: tuple[int, int], n_classes: int) -> list:
        h, w = image_shape
        layers: list = [keras.layers.Reshape((h, w, 1))]
        size = min(h, w)
        for i, n_filters in enumerate(self.filters, start=1):
            padding = self.padding if self.kernel_size < size else "same"
            layers.append(
                keras.layers.Conv2D(
                    n_filters, self.kernel_size, padding=padding, use_bias=not self.batch_norm
                )
            )
            if padding == "valid":
                size -= self.kernel_size - 1
            if self.batch_norm:
                layers.append(keras.layers.BatchNormalization(momentum=0.9))
            layers.append(keras.layers.Activation("relu"))
            if i % self.pool_every == 0 and size >= 2:
                layers.append(keras.layers.MaxPooling2D(2))
                size //= 2
        layers.append(keras.layers.Flatten())
        if self.dense_units:
            layers.append(keras.layers.Dense(self.dense_units, activation="relu"))
        if self.dropout:
            layers.append(keras.layers.Dropout(self.dropout))
        return layers


PRESETS: dict[str, dict[str, Any]] = {
    "notebook": {**KERAS_AS_WRITTEN, "filters": (64,), "kernel_size": 15, "padding": "valid",
             "batch_norm": False, "dense_units": 0, "dropout": 0.0, "epochs": 20,
             "batch_size": 256},
}

register(ModelEntry("cnn", CNNModel, "Keras: convolutional network", PRESETS))
