"""k nearest neighbours: tuned 4-NN in a 40-component PCA space, and the notebook's
10-NN on raw pixels with the Manhattan metric; ``@best`` after Wilder's L3 k-NN on
deskewed, blurred digits."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import EpochCallback
from mnistbench.models.pca import CappedPCA
from mnistbench.models.registry import ModelEntry, PublishedResult, register
from mnistbench.models.search_space import Choice, Int, Param, SearchSpace
from mnistbench.models.sklearn_base import SklearnModel, class_means, preprocessed


class KNNModel(SklearnModel):
    """k nearest neighbours, optionally in a PCA-reduced space (0 components = raw pixels)."""

    weight_caption: ClassVar[str] = "class means (what the neighbours are compared against)"
    weights_per_class: ClassVar[bool] = True

    defaults: ClassVar[dict[str, Any]] = {
        "n_neighbors": 4,
        "weights": "distance",
        "metric": "euclidean",
        "p": 2,  # the power of the "minkowski" metric (3: Wilder's L3)
        "algorithm": "brute",
        "pca_components": 40,
        "deskew": False,  # shear each digit upright first (mnistbench.models.deskew)
        "blur": 0.0,  # then a Gaussian of this sigma in pixels (mnistbench.models.blur)
        "n_jobs": -1,
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``): neighbours, their weighting and distance,
    # and the PCA space (20-60 components).
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("n_neighbors", Int(1, 15)),
            Param("weights", Choice(("uniform", "distance"))),
            Param("metric", Choice(("euclidean", "manhattan", "cosine"))),
            Param("pca_components", Int(10, 60, step=5)),
            Param("deskew", Choice((False, True))),
            Param("blur", Choice((0.0, 0.5, 1.0))),
        )
    )

    def make_pipeline(self) -> Pipeline:
        steps: list[tuple[str, Any]] = []
        if self.pca_components:
            steps.append(("pca", CappedPCA(self.pca_components, random_state=self.random_state)))
        clf = KNeighborsClassifier(
            n_neighbors=self.n_neighbors,
            weights=self.weights,
            metric=self.metric,
            p=self.p,
            algorithm=self.algorithm,
            n_jobs=self.jobs(self.n_jobs),
        )
        return preprocessed([*steps, ("clf", clf)], False, deskew=self.deskew, blur=self.blur)

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> KNNModel:
        super().fit(X, y)
        # k-NN keeps no weights; its "templates" are the class means of what it memorised.
        self.class_means_ = class_means(X, y, self.classes_)
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


# The best published k-NN without augmentation: Kenneth Wilder's k-NN with the L3 distance
# on deskewed, noise-removed and blurred digits, 1.73 % test error (LeCun, Cortes &
# Burges, the MNIST database's table of results).
PUBLISHED_BEST = PublishedResult(
    0.9827, "Wilder, k-NN L3 on deskewed, denoised, blurred digits (LeCun et al., MNIST table)"
)

# Aimed at PUBLISHED_BEST with Wilder's preprocessing (deskewing and a light blur; the
# noise removal is left out) in the tuned default's PCA space. Wilder's L3 distance on raw
# pixels is ``knn@best:metric=minkowski,p=3,pca_components=0``; it has no matrix-product
# shortcut and took over 8 CPU minutes for 3,000 digits against 20,000 (2026-11-30, a
# loaded 2-core VM), while the L3 distance in the PCA space scored below L2 (0.9747 vs
# 0.9767 there). On 20,000 training digits and 5,000 validation digits of MNIST: tuned
# default 0.9700, deskewed 0.9748, this preset 0.9764. Full MNIST, official split, one
# seed (2026-11-30, ``mnistbench run --dataset mnist --models knn,knn@best --threads 2``
# on a loaded machine): 0.9816 test accuracy against the tuned default's 0.9771, 0.0004
# short of the 0.9820 target; blur 0.5-1.0 and 40-60 components all score 0.9818-0.9834
# on the validation part, within its noise. The equal-budget study of 2026-11-30
# (``mnistbench tune --dataset mnist --models ... --budget 5m --threads 2``, 78 k-NN trials
# over neighbours, weighting, metric, PCA size, deskewing and blur) found no better family
# of settings, and its best on validation (0.9840) is this recipe in 45 components.
BEST: dict[str, Any] = {
    "pca_components": 45,
    "deskew": True,
    "blur": 0.5,
}

PRESETS: dict[str, dict[str, Any]] = {
    "best": BEST,
    "notebook": {
        "n_neighbors": 10,
        "metric": "manhattan",
        "weights": "uniform",
        "algorithm": "auto",
        "pca_components": 0,
    },
}

register(
    ModelEntry(
        "knn",
        KNNModel,
        "k nearest neighbours (scikit-learn KNeighborsClassifier)",
        PRESETS,
        published=PUBLISHED_BEST,
    )
)
