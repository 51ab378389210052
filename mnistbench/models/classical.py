"""scikit-learn models: each builds a Pipeline from its parameters; the rest is shared."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import sparse as sp
from sklearn.decomposition import PCA
from sklearn.linear_model import SGDClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import BenchModel, EpochCallback, infer_image_shape


def _inner_has(method: str):
    """True when the (fitted or fresh) pipeline offers ``method``."""

    def check(self: ClassicalModel) -> bool:
        pipeline = getattr(self, "pipeline_", None) or self.make_pipeline()
        return hasattr(pipeline, method)

    return check


class ClassicalModel(BenchModel):
    """A scikit-learn Pipeline behind the BenchModel protocol."""

    family: ClassVar[str] = "classical"

    def make_pipeline(self) -> Pipeline:
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
    ) -> ClassicalModel:
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.image_shape_ = infer_image_shape(X.shape[1])
        self.pipeline_ = self.make_pipeline().fit(X, y)
        self.classes_ = self.pipeline_.classes_
        self.n_features_in_ = X.shape[1]
        self.history_ = []
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

    def _preprocessing_parameters(self) -> int:
        total = 0
        for _, step in self.pipeline_.steps[:-1]:
            for attr in ("mean_", "scale_", "components_"):
                value = getattr(step, attr, None)
                if value is not None:
                    total += int(np.size(value))
        return total


class LinearClassicalModel(ClassicalModel):
    """Linear models: the class templates are the coefficients seen in pixel space."""

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


def _to_csr(X: Any) -> sp.csr_matrix:
    """Dense float32 -> CSR, about three times faster than ``csr_matrix(X)`` on MNIST.

    Part of the SGD model's fit, so it is on the timed path: one pass for the mask, row
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


def _maybe_scaled(steps: list[tuple[str, Any]], scale: bool, sparse: bool = False) -> Pipeline:
    """Optional preprocessing in front of ``steps``, part of the model (fit and predict).

    ``sparse`` turns the pixels into a CSR matrix first (MNIST is ~80% zeros; solvers that
    loop over rows then touch only the non-zeros); scaling then keeps it sparse by dividing
    by the standard deviation without centring.
    """
    if scale:
        steps = [("scale", StandardScaler(with_mean=not sparse)), *steps]
    if sparse:
        steps = [("csr", FunctionTransformer(_to_csr, accept_sparse=True)), *steps]
    return Pipeline(steps)


class LinearSVCModel(LinearClassicalModel):
    """One-vs-rest linear SVM (liblinear)."""

    defaults: ClassVar[dict[str, Any]] = {
        "C": 0.1,
        "dual": False,
        "tol": 1e-2,
        "max_iter": 1000,
        "scale": False,
        "random_state": 0,
    }

    def make_pipeline(self) -> Pipeline:
        clf = LinearSVC(
            C=self.C, dual=self.dual, tol=self.tol, max_iter=self.max_iter,
            random_state=self.random_state,
        )
        return _maybe_scaled([("clf", clf)], self.scale)


class SGDModel(LinearClassicalModel):
    """Linear model trained by stochastic gradient descent."""

    defaults: ClassVar[dict[str, Any]] = {
        "loss": "hinge",
        "alpha": 3e-6,
        "max_iter": 6,
        "tol": None,
        "average": True,
        "learning_rate": "constant",
        "eta0": 0.15,
        "early_stopping": False,
        "n_jobs": -1,
        "scale": False,
        "sparse": True,  # CSR input: the SGD loop then costs O(non-zeros) per row
        "random_state": 0,
    }

    def make_pipeline(self) -> Pipeline:
        clf = SGDClassifier(
            loss=self.loss, alpha=self.alpha, max_iter=self.max_iter, tol=self.tol,
            average=self.average, learning_rate=self.learning_rate, eta0=self.eta0,
            early_stopping=self.early_stopping, n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        return _maybe_scaled([("clf", clf)], self.scale, self.sparse)


class KNNModel(ClassicalModel):
    """k nearest neighbours, optionally in a PCA-reduced space (0 components = raw pixels)."""

    defaults: ClassVar[dict[str, Any]] = {
        "n_neighbors": 4,
        "weights": "distance",
        "metric": "euclidean",
        "algorithm": "brute",
        "pca_components": 40,
        "n_jobs": -1,
        "random_state": 0,
    }

    def make_pipeline(self) -> Pipeline:
        steps: list[tuple[str, Any]] = []
        if self.pca_components:
            steps.append(("pca", PCA(self.pca_components, random_state=self.random_state)))
        clf = KNeighborsClassifier(
            n_neighbors=self.n_neighbors, weights=self.weights, metric=self.metric,
            algorithm=self.algorithm, n_jobs=self.n_jobs,
        )
        return Pipeline([*steps, ("clf", clf)])

    def fit(self, X, y, *, validation_data=None, epoch_callback=None) -> KNNModel:
        super().fit(X, y)
        # k-NN keeps no weights; its "templates" are the class means of what it memorised.
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.class_means_ = np.stack([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    @property
    def n_parameters(self) -> int:
        """Stored training values: a k-NN model's size is its memory of the data."""
        check_is_fitted(self, "pipeline_")
        knn = self.pipeline_[-1]
        return int(knn.n_samples_fit_ * knn.n_features_in_) + self._preprocessing_parameters()

    def weight_images(self) -> np.ndarray:
        check_is_fitted(self, "class_means_")
        return self.class_means_.reshape(-1, *self.image_shape_).astype(np.float32)
