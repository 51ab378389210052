"""Multinomial logistic regression in Keras: tuned cosine schedule; the notebook's
zero-initialised, L1-regularised softmax layer (Adam, 30 epochs, batch 512); ML Crash
Course's linear classifier and the Bern winter school's one layer, as written."""

from __future__ import annotations

from typing import Any, ClassVar

from mnistbench.models.keras_base import KERAS_AS_WRITTEN, KerasModel
from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Float, Int, Param, SearchSpace


class SoftmaxModel(KerasModel):
    """Multinomial logistic regression: the output layer alone."""

    # The only kernel is the output layer's: its columns are one template per class.
    weight_caption: ClassVar[str] = "class templates (one weight image per class)"
    weights_per_class: ClassVar[bool] = True

    defaults: ClassVar[dict[str, Any]] = {
        **KerasModel.defaults,
        "zero_init": True,
        "l1": 1e-6,
        "epochs": 10,
        "batch_size": 512,
        "learning_rate": 1e-2,
        "schedule": "cosine",
        "min_steps": 600,
    }

    # Where a study looks (``mnistbench tune``): the optimiser's schedule, step and batch,
    # epochs capped at 30 (the notebook's count), and the output layer's L1 penalty.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("learning_rate", Float(1e-3, 0.1, log=True)),
            Param("schedule", Choice(("constant", "cosine", "onecycle"))),
            Param("epochs", Int(5, 30)),
            Param("batch_size", Choice((128, 256, 512, 1024))),
            Param("l1", Float(1e-8, 1e-4, log=True)),
        )
    )

    def build_layers(self, keras: Any, image_shape: tuple[int, int], n_classes: int) -> list:
        return []


PRESETS: dict[str, dict[str, Any]] = {
    "notebook": {
        **KERAS_AS_WRITTEN,
        "zero_init": True,
        "l1": 1e-6,
        "epochs": 30,
        "batch_size": 512,
    },
    # ML Crash Course: LinearClassifier (zero weights), Adagrad 0.03, gradients clipped to
    # norm 5, 1,000 steps of 30 digits
    "mlcc": {
        **KERAS_AS_WRITTEN,
        "zero_init": True,
        "l1": 0.0,
        "optimizer": "adagrad",
        "learning_rate": 0.03,
        "clip_norm": 5.0,
        "steps": 1000,
        "batch_size": 30,
    },
    # Bern winter school: one Dense softmax layer, Adam 0.003, 5 epochs of batch 64
    "bern": {
        **KERAS_AS_WRITTEN,
        "zero_init": False,
        "l1": 0.0,
        "learning_rate": 3e-3,
        "epochs": 5,
        "batch_size": 64,
    },
}

register(
    ModelEntry(
        "softmax",
        SoftmaxModel,
        "Keras: one Dense softmax layer (multinomial logistic regression)",
        PRESETS,
    )
)
