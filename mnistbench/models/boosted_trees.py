"""What XGBoost and LightGBM models share: the fit around a library's own train call.

Each library's model says only what differs: its parameters, its booster parameters, how
it trains (reporting each round's scores through ``record``), how it predicts and how its
trees are counted. The library is imported there, inside those methods, never here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import BenchModel, EpochCallback, infer_image_shape
from mnistbench.models.deskew import deskew as deskew_images
from mnistbench.models.threads import resolve_n_jobs

# One round's scores ("loss", "accuracy", "val_loss", "val_accuracy") from the library's
# own evaluation, reported with the round's number (from 1).
RoundRecorder = Callable[[int, dict[str, float]], None]


class BoostedTreesModel(BenchModel):
    """Boosted trees on (optionally deskewed) pixels, one history row per boosting round.

    Subclasses declare ``defaults`` with at least ``n_estimators``, ``deskew``, ``n_jobs``
    and ``random_state``, and implement ``_train``, ``_booster_proba``, ``_n_nodes`` and
    ``_split_counts``.
    """

    family: ClassVar[str] = "classical"
    weight_caption: ClassVar[str] = "how often each pixel is split on"
    weights_per_class: ClassVar[bool] = False
    quick_params: ClassVar[dict[str, Any]] = {"n_estimators": 5}

    # --- what each library says -----------------------------------------------------------
    def _train(
        self,
        pixels: np.ndarray,
        codes: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray] | None,
        record: RoundRecorder,
    ) -> Any:
        """Train ``n_estimators`` rounds on class codes 0..k-1; return the booster."""
        raise NotImplementedError

    def _booster_proba(self, pixels: np.ndarray) -> np.ndarray:
        """The fitted booster's class probabilities for these pixels."""
        raise NotImplementedError

    def _n_nodes(self) -> int:
        """Tree nodes (each a split or a leaf) over every tree of the fitted booster."""
        raise NotImplementedError

    def _split_counts(self) -> np.ndarray:
        """How often each pixel is split on, one float32 count per feature."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------
    def _pixels(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        return deskew_images(X) if self.deskew else X

    def _threads(self) -> int:
        """The library's thread count: the run's limit for -1 (0: the library's default,
        every core, outside one)."""
        n = resolve_n_jobs(self.n_jobs)
        return 0 if n is None or n < 1 else n

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> BoostedTreesModel:
        self.check_params()
        started = time.perf_counter()
        X = np.asarray(X, dtype=np.float32)
        self.image_shape_ = infer_image_shape(X.shape[1])
        self.n_features_in_ = X.shape[1]
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        validation = None
        if validation_data is not None:
            X_val, y_val = np.asarray(validation_data[0]), np.asarray(validation_data[1])
            known = np.isin(y_val, self.classes_)  # a class the fit never saw is not scored
            validation = (
                self._pixels(X_val[known]),
                np.searchsorted(self.classes_, y_val[known]),
            )
        rows: list[dict[str, float]] = []
        n_rounds = self.n_estimators

        def record(epoch: int, scores: dict[str, float]) -> None:
            row: dict[str, float] = {"epoch": epoch, "elapsed_s": time.perf_counter() - started}
            row.update(scores)
            rows.append(row)
            if epoch_callback is not None:
                epoch_callback(epoch, n_rounds, row)

        self.booster_ = self._train(self._pixels(X), codes, validation, record)
        self.history_ = rows
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "booster_")
        proba = self._booster_proba(self._pixels(X))
        return np.asarray(proba, dtype=np.float64).reshape(len(X), len(self.classes_))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def n_parameters(self) -> int:
        """Tree nodes (each a split or a leaf) over every tree."""
        check_is_fitted(self, "booster_")
        return self._n_nodes()

    def weight_images(self) -> np.ndarray:
        """Split counts per pixel."""
        check_is_fitted(self, "booster_")
        return self._split_counts().reshape(1, *self.image_shape_)
