"""The BenchModel protocol: scikit-learn estimators plus history, weight maps and size.

Parameters are declared once per class in ``defaults`` so that tuned defaults, presets, the
``mnistbench models`` listing and ``--set`` validation all read the same table, and
``get_params``/``set_params``/``clone`` keep working as scikit-learn expects.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from mnistbench.errors import ModelSpecError
from mnistbench.models.search_space import SearchSpace

EpochCallback = Any  # callable(epoch: int, n_epochs: int, row: dict) -> None


def infer_image_shape(n_features: int) -> tuple[int, int]:
    """Digits are square: 784 -> 28x28, 64 -> 8x8."""
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ModelSpecError(f"cannot treat {n_features} features as a square image")
    return side, side


def check_value(name: str, value: Any, default: Any) -> Any:
    """Accept a parameter value only if it has the kind of its default (ints for ints...)."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple | list):
        ok = isinstance(value, tuple | list)
        value = tuple(value) if ok else value
    else:
        ok = True
    if not ok:
        raise ModelSpecError(
            f"parameter {name}={value!r} should be a {type(default).__name__} "
            f"like its default {default!r}"
        )
    return value


class BenchModel(ClassifierMixin, BaseEstimator):
    """Base of every registry model; subclasses declare ``defaults`` and ``family``.

    What the rest of the suite needs to know about a kind of model is asked of the model
    (class attributes below) rather than decided from its name or family elsewhere.
    """

    # Descriptive only ("classical", "deep"): shown in listings and reports, never switched on.
    family: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    # What ``weight_images()`` shows, as a caption for the report's weight maps.
    weight_caption: ClassVar[str] = "learnt weights"
    # True when ``weight_images()`` is one image per class (titled by class, drawn on one
    # shared scale); False for a set of units or filters, each on its own scale.
    weights_per_class: ClassVar[bool] = False
    # Parameters that shorten training for smoke runs (asv quick profile, conformance kit).
    quick_params: ClassVar[dict[str, Any]] = {}
    # Runtimes with thread pools of their own that a thread limit must start before this
    # model is built and timed (``mnistbench.models.threads``; ("tensorflow",) for Keras
    # models). BLAS and OpenMP pools are limited for every model alike.
    thread_runtimes: ClassVar[tuple[str, ...]] = ()
    # The parameters worth tuning and their distributions (``mnistbench tune``); None: the
    # model is not tuned. The tuned defaults above are a study's first trial.
    search_space: ClassVar[SearchSpace | None] = None
    # Parameters (keys of ``defaults``) that say how the same arithmetic is executed (XLA
    # compilation), not what is learnt: a tuned profile's parameter version leaves them
    # out, so adding or changing one never invalidates a profile.
    execution_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ModelSpecError(
                f"{type(self).__name__} has no parameter {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self.defaults))}"
            )
        for key, default in self.defaults.items():
            setattr(self, key, params.get(key, default))

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return sorted(cls.defaults)

    def set_params(self, **params: Any) -> BenchModel:
        for key, value in params.items():
            if key not in self.defaults:
                raise ModelSpecError(f"{type(self).__name__} has no parameter {key}")
            check_value(key, value, self.defaults[key])
        return super().set_params(**params)

    def check_params(self) -> None:
        """Raise on parameter values that would only fail later, inside fit."""

    # --- the protocol -------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> BenchModel:
        raise NotImplementedError

    @property
    def history(self) -> list[dict[str, float]]:
        """Per-epoch rows (epoch, elapsed_s, loss, accuracy, val_loss, val_accuracy)."""
        return list(getattr(self, "history_", []))

    @property
    def augmented(self) -> bool:
        """True when these parameters train on copies of the digits the model makes itself
        (shifts, rotations, virtual examples): its results are not ranked as if it had
        seen the same data as the others."""
        return False

    @property
    def flops_per_epoch(self) -> float | None:
        """The training arithmetic of one history row (forward and backward), counted
        from the fitted model's layers; None for models that do not count it."""
        return None

    @property
    def n_parameters(self) -> int:
        raise NotImplementedError

    def weight_images(self) -> np.ndarray:
        """Images (k, h, w) that show what the model learnt, for the weight-map figures."""
        raise NotImplementedError

    def predict_with_proba(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """One pass that yields labels and, where the model has them, probabilities.

        The harness times this call, so models with probabilities are not charged twice.
        """
        if hasattr(self, "predict_proba"):
            proba = self.predict_proba(X)
            return self.classes_[np.argmax(proba, axis=1)], proba
        return self.predict(X), None
