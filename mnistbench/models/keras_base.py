"""Keras models: one training loop, history, prediction, weight maps and pickling.

A subclass says what sits between the flat input and the softmax output: a stack of layers
(``build_layers``) or, for any other shape (skip connections, branches), a graph built with
Keras's functional API (``build_graph``). TensorFlow is imported on first use so that
classical-only runs start quickly.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import BenchModel, EpochCallback, infer_image_shape
from mnistbench.models.threads import TENSORFLOW

# Rows per call of the compiled forward pass when predicting many digits.
_PREDICT_CHUNK = 4096
SCHEDULES = ("constant", "cosine", "onecycle")
OPTIMIZERS = ("adam", "adagrad")
# History rows of a run trained by a number of steps (``steps``): at most this many periods.
_STEP_PERIODS = 10

# What the notebook's three Keras models share, for their presets: Adam at Keras's default
# rate, no schedule, exactly the epochs written, one optimiser step per call.
KERAS_AS_WRITTEN: dict[str, Any] = {
    "learning_rate": 1e-3,
    "schedule": "constant",
    "min_steps": 0,
    "steps_per_execution": 1,
}


class KerasModel(BenchModel):
    """Shared training loop; subclasses implement ``build_layers`` or ``build_graph``."""

    family: ClassVar[str] = "deep"
    weight_caption: ClassVar[str] = "first-layer units"
    # Two epochs, no step floor: enough to exercise every code path, in seconds.
    quick_params: ClassVar[dict[str, Any]] = {"epochs": 2, "min_steps": 0}
    # A thread limit starts TensorFlow with its threads (intra-op; one inter-op thread).
    thread_runtimes: ClassVar[tuple[str, ...]] = (TENSORFLOW,)
    # How the training step is executed, not what it computes (a profile's parameter
    # version leaves these out; ``steps_per_execution`` predates this and stays hashed).
    execution_params: ClassVar[frozenset[str]] = frozenset({"jit_compile"})
    defaults: ClassVar[dict[str, Any]] = {
        "epochs": 10,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "schedule": "constant",  # constant | cosine | onecycle
        "l1": 0.0,
        "zero_init": False,
        "early_stopping": 0,  # patience in epochs on val_loss; 0 = off
        # Small data sets get more epochs, so that a schedule tuned on 60,000 digits still
        # takes enough optimiser steps on 1,800 (0 = exactly ``epochs``; a spec that sets
        # ``epochs`` without ``min_steps`` also gets exactly its epochs).
        "min_steps": 0,
        # Optimiser steps per compiled call: >1 saves Keras's per-step Python overhead
        # (same arithmetic, same results); the notebook presets keep Keras's default of 1.
        "steps_per_execution": 8,
        # What the teaching notebooks' presets need; these defaults change nothing.
        "optimizer": "adam",  # adam | adagrad
        "clip_norm": 0.0,  # clip each weight's gradient to this norm; 0 = off
        # Train for exactly this many optimiser steps (batches drawn from reshuffled passes
        # over the data, history in up to 10 periods) instead of epochs; 0 = by epochs.
        "steps": 0,
        # The output layer's logits go through a sigmoid before the softmax (a "10 sigmoid
        # units, then softmax" stack).
        "output_sigmoid": False,
        # Augmentation, a step of the network active only in training: each batch's digits
        # shifted by up to this many pixels (0 = off) and rotated by up to this many
        # degrees (0 = off), drawn afresh per batch from the model's seed.
        "augment_shift": 0,
        "augment_rotate": 0.0,
        # Compile the training step with XLA (Keras's ``compile(jit_compile=True)``): the
        # same layers and arithmetic, fused into fewer kernels; off is Keras's own choice
        # on a CPU-only machine. ``python -m benchmarks.cnn_settings`` measures it.
        "jit_compile": False,
        "random_state": 0,
    }

    def build_layers(self, keras: Any, image_shape: tuple[int, int], n_classes: int) -> list:
        """The layers between the flat input and the softmax output, in order."""
        raise NotImplementedError

    def build_graph(
        self, keras: Any, inputs: Any, image_shape: tuple[int, int], n_classes: int
    ) -> Any:
        """The network from the flat input tensor (``n_features`` pixels per row) to the
        tensor the output layer reads, built with Keras's functional API, so a model can
        have any shape. The output layer (``l1``, ``zero_init``, ``output_sigmoid``) is
        added after it, for every model alike. The default is ``build_layers`` in order."""
        x = inputs
        for layer in self.build_layers(keras, image_shape, n_classes):
            x = layer(x)
        return x

    def __init__(self, **params: Any) -> None:
        # An epoch count that is set (by the user or a preset) means what it says: the
        # floor of optimiser steps for small data (min_steps) applies only when set too.
        if "epochs" in params and "min_steps" not in params:
            params["min_steps"] = 0
        super().__init__(**params)

    def check_params(self) -> None:
        if self.min_steps < 0:
            raise ValueError("min_steps cannot be negative")
        for name in ("epochs", "batch_size", "steps_per_execution"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
            if getattr(self, name) > 2**31 - 1:  # TensorFlow counts them in 32-bit integers
                raise ValueError(f"{name} must be at most 2**31-1, got {getattr(self, name)}")
        if self.steps > 2**31 - 1:
            raise ValueError(f"steps must be at most 2**31-1, got {self.steps}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}")
        if self.early_stopping < 0 or self.l1 < 0:
            raise ValueError("early_stopping and l1 cannot be negative")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.clip_norm < 0 or self.steps < 0:
            raise ValueError("clip_norm and steps cannot be negative")
        if self.augment_shift < 0 or not 0 <= self.augment_rotate < 180:
            raise ValueError(
                "augment_shift cannot be negative and augment_rotate must be 0 to 180 degrees"
            )

    @property
    def augmented(self) -> bool:
        return bool(self.augment_shift or self.augment_rotate)

    @property
    def flops_per_epoch(self) -> float | None:
        return getattr(self, "flops_per_epoch_", None)

    def image_augmentations(self, keras: Any, image_shape: tuple[int, int]) -> list:
        """The training-only layers that augment a batch of (h, w, 1) images, in order,
        each seeded from the model's seed; empty when off. A model adds its own here."""
        h, w = image_shape
        seed = int(self.random_state)
        layers = []
        if self.augment_shift:
            layers.append(
                keras.layers.RandomTranslation(
                    self.augment_shift / h, self.augment_shift / w, fill_mode="constant", seed=seed
                )
            )
        if self.augment_rotate:
            layers.append(
                keras.layers.RandomRotation(
                    self.augment_rotate / 360, fill_mode="constant", seed=seed + 1
                )
            )
        return layers

    def _augmentation(self, keras: Any, inputs: Any, image_shape: tuple[int, int]) -> Any:
        """The flat input, augmented as images in training (the layers are the identity at
        inference); the input itself when off."""
        if not self.augmented:
            return inputs
        h, w = image_shape
        x = keras.layers.Reshape((h, w, 1))(inputs)
        for layer in self.image_augmentations(keras, image_shape):
            x = layer(x)
        return keras.layers.Reshape((h * w,))(x)

    def _output_layers(self, keras: Any, n_classes: int) -> list:
        dense = keras.layers.Dense(
            n_classes,
            activation="sigmoid" if self.output_sigmoid else "softmax",
            kernel_initializer="zeros" if self.zero_init else "glorot_uniform",
            kernel_regularizer=keras.regularizers.L1(self.l1) if self.l1 else None,
        )
        return [dense, keras.layers.Activation("softmax")] if self.output_sigmoid else [dense]

    def _network(self, keras: Any, n_features: int, n_classes: int) -> Any:
        """The whole network: ``build_graph``, then the output layer."""
        inputs = keras.Input((n_features,))
        image_shape = infer_image_shape(n_features)
        x = self.build_graph(
            keras, self._augmentation(keras, inputs, image_shape), image_shape, n_classes
        )
        for layer in self._output_layers(keras, n_classes):
            x = layer(x)
        return keras.Model(inputs, x)

    def _optimizer(self, keras: Any, total: int):
        rate = self._learning_rate(keras, total)
        clip = {"clipnorm": self.clip_norm} if self.clip_norm else {}
        if self.optimizer == "adagrad":
            return keras.optimizers.Adagrad(rate, **clip)
        return keras.optimizers.Adam(rate, **clip)

    def _step_periods(self) -> tuple[int, int]:
        """``steps`` as (periods, steps per period): the most periods, up to 10, that
        divide it exactly."""
        periods = max(p for p in range(1, _STEP_PERIODS + 1) if self.steps % p == 0)
        return periods, self.steps // periods

    def _learning_rate(self, keras: Any, total: int):
        if self.schedule == "constant":
            return self.learning_rate
        if self.schedule == "cosine":
            return keras.optimizers.schedules.CosineDecay(self.learning_rate, total)
        if self.schedule == "onecycle":
            warmup = max(1, total // 5)
            return keras.optimizers.schedules.CosineDecay(
                self.learning_rate / 10,
                total - warmup,
                alpha=0.0,
                warmup_target=self.learning_rate,
                warmup_steps=warmup,
            )
        raise ValueError(f"unknown schedule {self.schedule!r}; use {', '.join(SCHEDULES)}")

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> KerasModel:
        import keras

        keras.utils.set_random_seed(int(self.random_state))
        X = np.ascontiguousarray(X, dtype=np.float32)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        y_enc = self._encoder.transform(y)
        self.n_features_in_ = X.shape[1]
        self.image_shape_ = infer_image_shape(X.shape[1])

        model = self._network(keras, X.shape[1], len(self.classes_))
        steps = -(-len(X) // self.batch_size)
        self.epochs_ = max(self.epochs, -(-self.min_steps // steps))
        data: dict[str, Any] = {"x": X, "y": y_enc, "batch_size": self.batch_size, "shuffle": True}
        if self.steps:
            import tensorflow as tf

            # A repeated, reshuffled stream of batches, cut into periods of equal steps.
            self.epochs_, per_period = self._step_periods()
            steps = per_period
            stream = (
                tf.data.Dataset.from_tensor_slices((X, y_enc))
                .shuffle(
                    len(X),
                    seed=int(self.random_state),
                    reshuffle_each_iteration=True,
                )
                .repeat()
                .batch(self.batch_size)
            )
            data = {"x": stream, "steps_per_epoch": per_period, "shuffle": False}
        model.compile(
            optimizer=self._optimizer(keras, steps * self.epochs_),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=self.steps_per_execution,
            jit_compile=bool(self.jit_compile),
        )
        val = None
        if validation_data is not None:
            X_val, y_val = validation_data
            val = (np.asarray(X_val, dtype=np.float32), self._encoder.transform(y_val))
        recorder = _history_recorder(keras, self.epochs_, epoch_callback)
        callbacks = [recorder]
        if self.early_stopping and val is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=self.early_stopping, restore_best_weights=True
                )
            )
        model.fit(**data, epochs=self.epochs_, validation_data=val, verbose=0, callbacks=callbacks)
        self.model_ = model
        # Each history row trains on ``steps`` batches: the whole training set per epoch.
        samples = steps * self.batch_size if self.steps else len(X)
        self.flops_per_epoch_ = TRAINING_PASSES * forward_flops(model) * samples
        self.history_ = recorder.rows
        self._compile_forward()
        return self

    def _compile_forward(self) -> None:
        """Trace one graph for any batch size, so neither one digit nor 10,000 pays
        for Keras's per-call predict() set-up (milliseconds, which would swamp latency)."""
        import tensorflow as tf

        model = self.model_
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, self.n_features_in_], tf.float32)],
        )
        self._forward(np.zeros((1, self.n_features_in_), dtype=np.float32))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = np.asarray(X, dtype=np.float32)
        if len(X) <= _PREDICT_CHUNK:
            return self._forward(X).numpy()
        return np.concatenate(
            [
                self._forward(X[i : i + _PREDICT_CHUNK]).numpy()
                for i in range(0, len(X), _PREDICT_CHUNK)
            ]
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def input_gradients(self, X: np.ndarray) -> np.ndarray:
        """d p(class) / d pixel for every class: (n, classes, features), the saliency the
        Bern notebook draws (the network in inference mode: no dropout)."""
        import tensorflow as tf

        check_is_fitted(self, "model_")
        x = tf.convert_to_tensor(np.asarray(X, dtype=np.float32))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            proba = self.model_(x, training=False)
            # Rows do not interact in inference mode, so the gradient of a column's sum
            # is each row's own gradient (one backward pass per class, no retracing).
            columns = [tf.reduce_sum(proba[:, c]) for c in range(int(proba.shape[1]))]
        grads = [tape.gradient(column, x) for column in columns]
        del tape
        return np.stack([g.numpy() for g in grads], axis=1)

    @property
    def n_parameters(self) -> int:
        check_is_fitted(self, "model_")
        return int(self.model_.count_params())

    def weight_images(self) -> np.ndarray:
        """First layer with a kernel: Dense columns as images, or Conv2D filters."""
        check_is_fitted(self, "model_")
        for layer in self.model_.layers:
            kernel = getattr(layer, "kernel", None)
            if kernel is None:
                continue
            w = np.asarray(kernel)
            if w.ndim == 2:
                return w.T.reshape(-1, *self.image_shape_).astype(np.float32)
            return np.moveaxis(w[:, :, 0, :], -1, 0).astype(np.float32)
        raise ValueError("model has no layer with weights")

    def __getstate__(self) -> dict[str, Any]:
        """The network travels as its architecture (JSON) and weights (arrays): a fitted
        copy pickles, in memory, and predicts exactly as the original."""
        state = dict(super().__getstate__())  # a copy: never strip the live object
        state.pop("_forward", None)
        model = state.pop("model_", None)
        if model is not None:
            state["_network"] = (model.to_json(), model.get_weights())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        network = state.pop("_network", None)
        super().__setstate__(state)
        if network is not None:
            import keras

            architecture, weights = network
            self.model_ = keras.models.model_from_json(architecture)
            self.model_.set_weights(weights)
            self._compile_forward()


# A training step's arithmetic as a multiple of the forward pass: the forward pass, and a
# backward pass that computes gradients for both the inputs and the weights (2x).
TRAINING_PASSES = 3


def forward_flops(model: Any) -> float:
    """Floating-point operations of one sample's forward pass through the Dense and Conv2D
    layers (a multiply-add counted as two): Dense ``2 * in * out``, Conv2D
    ``2 * kh * kw * c_in * c_out * h_out * w_out``. Biases, activations, pooling and
    normalisation are left out (a few per cent of a network's arithmetic)."""
    import keras

    total = 0.0
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested model
            total += forward_flops(layer)
        elif isinstance(layer, keras.layers.Dense):
            n_in, n_out = layer.kernel.shape
            total += 2.0 * n_in * n_out
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            _, h_out, w_out, _ = layer.output.shape
            total += 2.0 * kh * kw * c_in * c_out * h_out * w_out
    return total


def _history_recorder(keras: Any, n_epochs: int, epoch_callback: EpochCallback | None) -> Any:
    """A Keras callback (of the Keras passed in; untyped, so Any) that records per-epoch
    metrics, elapsed wall time since fit began, and each epoch's own wall and process-CPU
    seconds (so a curve shows where a slowdown was)."""

    class Recorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[dict[str, float]] = []

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self._start = time.perf_counter()

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._epoch_wall, self._epoch_cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            logs = logs or {}
            now = time.perf_counter()
            row = {
                "epoch": epoch + 1,
                "elapsed_s": now - self._start,
                "wall_s": now - self._epoch_wall,
                "cpu_s": time.process_time() - self._epoch_cpu,
            }
            for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
                if key in logs:
                    row[key] = float(logs[key])
            self.rows.append(row)
            if epoch_callback is not None:
                epoch_callback(epoch + 1, n_epochs, row)

    return Recorder()
