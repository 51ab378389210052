"""scikit-learn models: a subclass builds a Pipeline from its parameters; the rest is here.

Fit, predict, probabilities, size and pickling are written once for every Pipeline model,
so a new scikit-learn model is its ``defaults``, ``make_pipeline`` and, where its weights
are not linear class templates, ``weight_images``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from scipy import sparse as sp
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import BenchModel, EpochCallback, infer_image_shape
from mnistbench.models.blur import blur as blur_images
from mnistbench.models.deskew import deskew as deskew_images
from mnistbench.models.orientations import orientation_histograms
from mnistbench.models.threads import resolve_n_jobs


def _inner_has(method: str) -> Callable[[SklearnModel], bool]:
    """True when the (fitted or fresh) pipeline offers ``method``."""

    def check(self: SklearnModel) -> bool:
        pipeline = getattr(self, "pipeline_", None) or self.make_pipeline()
        return hasattr(pipeline, method)

    return check


def class_means(X: np.ndarray, y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The mean image of each class's rows (zeros for a class with none): the "templates"
    of models that keep examples instead of weights (k-NN, a kernel SVM's support)."""
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    return np.stack(
        [
            X[y == c].mean(axis=0) if np.any(y == c) else np.zeros(X.shape[1], np.float32)
            for c in classes
        ]
    )


class SklearnModel(BenchModel):
    """A scikit-learn Pipeline behind the BenchModel protocol."""

    family: ClassVar[str] = "classical"

    def jobs(self, n_jobs: int | None) -> int | None:
        """``n_jobs`` for the estimator: inside a thread limit, -1 means the limit's count
        (``mnistbench.models.threads``), since joblib's "all cores" knows nothing of
        ``--threads``, of ``--jobs`` sharing the cores out, or of a Dask worker's share."""
        return resolve_n_jobs(n_jobs)

    def make_pipeline(self) -> Pipeline:
        """The unfitted pipeline these parameters describe."""
        raise NotImplementedError

    def check_params(self) -> None:
        for _, step in self.make_pipeline().steps:
            step._validate_params()

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> SklearnModel:
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.image_shape_ = infer_image_shape(X.shape[1])
        self.pipeline_ = self.make_pipeline().fit(X, y)
        self.classes_ = self.pipeline_.classes_
        self.n_features_in_ = X.shape[1]
        self.history_: list[dict[str, float]] = []
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict(np.asarray(X, dtype=np.float32))

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(np.asarray(X, dtype=np.float32))

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.decision_function(np.asarray(X, dtype=np.float32))

    def training_curve(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> list[dict[str, float]]:
        """Per-epoch or per-iteration rows described after the fit, never changing it
        (``mnistbench.models.sklearn_curves``); [] when the estimator does not iterate."""
        check_is_fitted(self, "pipeline_")
        from mnistbench.models.sklearn_curves import pipeline_curve

        return pipeline_curve(self.pipeline_, X, y, validation_data)

    def _preprocessing_parameters(self) -> int:
        total = 0
        for _, step in self.pipeline_.steps[:-1]:
            for attr in ("mean_", "scale_", "components_"):
                value = getattr(step, attr, None)
                if value is not None:
                    total += int(np.size(value))
        return total


class LinearSklearnModel(SklearnModel):
    """Linear models: the class templates are the coefficients seen in pixel space."""

    weight_caption: ClassVar[str] = "class templates (one weight image per class)"
    weights_per_class: ClassVar[bool] = True

    @property
    def n_parameters(self) -> int:
        check_is_fitted(self, "pipeline_")
        clf = self.pipeline_[-1]
        return int(clf.coef_.size + np.size(clf.intercept_)) + self._preprocessing_parameters()

    def weight_images(self) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        coef = np.asarray(self.pipeline_[-1].coef_, dtype=np.float64)
        for _, step in reversed(self.pipeline_.steps[:-1]):
            # Carry the templates back through linear preprocessing into pixel space.
            if isinstance(step, StandardScaler) and step.scale_ is not None:
                coef = coef / step.scale_
            elif isinstance(step, PCA):
                coef = coef @ step.components_
        return coef.reshape(-1, *self.image_shape_).astype(np.float32)


def to_csr(X: Any) -> sp.csr_matrix:
    """Dense float32 -> CSR, about three times faster than ``csr_matrix(X)`` on MNIST.

    Part of a sparse model's fit, so it is on the timed path: one pass for the mask, row
    counts for ``indptr``, and column indices from the flat positions (row-major, so they
    come out sorted within each row).
    """
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float32)
    X = np.ascontiguousarray(X, dtype=np.float32)
    n_rows, n_cols = X.shape
    mask = X != 0
    flat = np.flatnonzero(mask)
    indptr = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.count_nonzero(mask, axis=1), out=indptr[1:])
    indices = (flat % n_cols).astype(np.int32)
    return sp.csr_matrix((X.ravel()[flat], indices, indptr), shape=X.shape)


def preprocessed(
    steps: list[tuple[str, Any]],
    scale: bool,
    sparse: bool = False,
    deskew: bool = False,
    blur: float = 0.0,
    orientations: bool = False,
) -> Pipeline:
    """Optional preprocessing in front of ``steps``, part of the model (fit and predict).

    ``deskew`` shears each digit upright first (``mnistbench.models.deskew``), then ``blur``
    (a Gaussian's sigma in pixels; 0 = none) smooths it (``mnistbench.models.blur``), then
    ``orientations`` replaces its pixels by histograms of its strokes' directions
    (``mnistbench.models.orientations``).
    ``sparse`` turns the pixels into a CSR matrix first (MNIST is ~80% zeros; solvers that
    loop over rows then touch only the non-zeros); scaling then keeps it sparse by dividing
    by the standard deviation without centring.
    """
    if scale:
        steps = [("scale", StandardScaler(with_mean=not sparse)), *steps]
    if sparse:
        steps = [("csr", FunctionTransformer(to_csr, accept_sparse=True)), *steps]
    if orientations:
        steps = [("orientations", FunctionTransformer(orientation_histograms)), *steps]
    if blur:
        steps = [("blur", FunctionTransformer(blur_images, kw_args={"sigma": blur})), *steps]
    if deskew:
        steps = [("deskew", FunctionTransformer(deskew_images)), *steps]
    return Pipeline(steps)
