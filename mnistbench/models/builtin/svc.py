"""Kernel SVM (scikit-learn ``SVC``, RBF kernel): tuned on deskewed digits in a PCA space
with a larger C, and the notebook's ``SVC()`` on raw pixels ("an SVM with rbf kernel
performs much better in fact, but takes very long to train"). ``@best`` gives the kernel
histograms of the strokes' directions instead of pixels (``orientations``, after Maji &
Malik 2009), which the tuned default leaves off.

Virtual support vectors (``virtual_sv``) follow DeCoste & Schölkopf, "Training Invariant
Support Vector Machines", Machine Learning 46:161-190 (2002): fit, take the support
vectors, add their copies shifted by one pixel (up to ``virtual_shift`` pixels) in each of
the four directions, and fit again on the support vectors and their virtual copies
(shifted in pixel space, before the model's own deskewing and PCA). Their virtual SVM
reached 0.9932 on MNIST with 1-pixel jitter and 0.9944 with 2-pixel jitter (degree-9
polynomial kernel, deskewed; LeCun, Cortes & Burges, the MNIST database's table).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.base import EpochCallback
from mnistbench.models.pca import CappedPCA
from mnistbench.models.registry import ModelEntry, PublishedResult, register
from mnistbench.models.search_space import Choice, Float, Int, Param, SearchSpace
from mnistbench.models.shifts import jittered
from mnistbench.models.sklearn_base import SklearnModel, class_means, preprocessed


class SVCModel(SklearnModel):
    """One-vs-one RBF SVM (libsvm), optionally in a PCA space (0 components = raw pixels)."""

    weight_caption: ClassVar[str] = "class means of the support vectors"
    weights_per_class: ClassVar[bool] = True

    # Tuned on the validation part (benchmarks/tuning/SEARCH_LOG.md, rounds 5 and 6): 50 PCA
    # components keep the RBF kernel's neighbourhoods and cut every kernel evaluation 16x;
    # deskewed digits need fewer support vectors and are classified better.
    defaults: ClassVar[dict[str, Any]] = {
        "C": 10.0,
        "kernel": "rbf",  # rbf | poly: (gamma <x, x'> + coef0) ** degree
        "degree": 3,
        "coef0": 0.0,
        "gamma": 0.03,  # 0 = scikit-learn's "scale": 1 / (n_features * X.var())
        "pca_components": 50,
        "scale": False,
        "deskew": True,  # shear each digit upright first (mnistbench.models.deskew)
        "blur": 0.0,  # then a Gaussian of this sigma in pixels (mnistbench.models.blur)
        # then histograms of the strokes' directions instead of pixels (Maji & Malik 2009;
        # mnistbench.models.orientations), which PCA and the kernel then see
        "orientations": False,
        # Refit on the support vectors and their one-pixel shifts (DeCoste & Schölkopf):
        # an augmented model, marked as such in reports.
        "virtual_sv": False,
        "virtual_shift": 1,  # the virtual copies are shifted by 1 to this many pixels
        "tol": 1e-3,
        "cache_size": 1000.0,  # MB of kernel rows libsvm keeps
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``): C and the kernel's width around the tuned
    # 10 and 0.03 (round 5 of the search log: C 5-10, gamma "scale" or 0.03), RBF or
    # polynomial, the PCA space (40 and 50 tried; up to 150 components, capped at what the
    # data holds: 64 on 8x8 digits), deskewing. 60 was the cap until the Fashion-MNIST study
    # of 2026-11-30 found its best at it (validation 0.9014); Xiao et al.'s 0.897 used
    # all 784 pixels.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("C", Float(0.5, 100.0, log=True)),
            Param("kernel", Choice(("rbf", "poly"))),
            Param("gamma", Float(0.003, 0.3, log=True)),
            # the polynomial kernel's degree and offset only matter for it (degree 5: the
            # published reduced-set SVM's)
            Param("degree", Int(2, 5), when={"kernel": ("poly",)}),
            Param("coef0", Float(0.0, 1.0), when={"kernel": ("poly",)}),
            Param("pca_components", Int(20, 150, step=5)),
            Param("deskew", Choice((True, False))),
        )
    )

    def check_params(self) -> None:
        super().check_params()
        if self.virtual_shift < 1:
            raise ValueError(f"virtual_shift must be at least 1 pixel, not {self.virtual_shift}")

    def make_pipeline(self) -> Pipeline:
        clf = SVC(
            C=self.C,
            kernel=self.kernel,
            degree=self.degree,
            coef0=self.coef0,
            gamma=self.gamma or "scale",
            tol=self.tol,
            cache_size=self.cache_size,
            random_state=self.random_state,
        )
        steps: list[tuple[str, Any]] = [("clf", clf)]
        if self.pca_components:
            steps.insert(0, ("pca", CappedPCA(self.pca_components, random_state=self.random_state)))
        return preprocessed(
            steps, self.scale, deskew=self.deskew, blur=self.blur, orientations=self.orientations
        )

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        epoch_callback: EpochCallback | None = None,
    ) -> SVCModel:
        X, y = np.asarray(X), np.asarray(y)
        super().fit(X, y)
        if self.virtual_sv:
            support = self.pipeline_[-1].support_
            X, y = jittered(X[support], y[support], self.virtual_shift)
            super().fit(X, y)
            self.n_virtual_ = len(X) - len(support)  # the copies jittered() added
        # The support vectors in pixel space, averaged per class: the digits the
        # decision rests on (PCA-space support vectors would not be images).
        support = self.pipeline_[-1].support_
        self.support_means_ = class_means(X[support], y[support], self.classes_)
        return self

    @property
    def augmented(self) -> bool:
        return bool(self.virtual_sv)

    @property
    def n_parameters(self) -> int:
        """Support vectors, their dual coefficients and the intercepts (and the PCA)."""
        check_is_fitted(self, "pipeline_")
        clf = self.pipeline_[-1]
        return (
            int(clf.support_vectors_.size + clf.dual_coef_.size + clf.intercept_.size)
            + self._preprocessing_parameters()
        )

    def weight_images(self) -> np.ndarray:
        check_is_fitted(self, "support_means_")
        return self.support_means_.reshape(-1, *self.image_shape_).astype(np.float32)


# The best published kernel SVM without augmentation: Burges & Schölkopf's reduced-set SVM,
# degree-5 polynomial kernel on deskewed digits, 1.0 % test error (LeCun, Cortes & Burges,
# the MNIST database's table of results).
PUBLISHED_BEST = PublishedResult(
    0.990, "reduced-set SVM, degree-5 polynomial, deskewed (LeCun et al., MNIST table)"
)

# Aimed at PUBLISHED_BEST, chosen on the validation part by studies of the preset
# (PRESET_SPACES below). The first two (2026-11-30 and 2026-12-01, ``--budget 40m``, 49 and
# 60 trials) kept to pixels and found LeCun et al.'s "SVM, degree 4 polynomial, deskewed"
# recipe in 60 PCA components with a light blur (validation 0.9898; test 0.9875, short of
# 0.990). Once the space held orientation histograms (Maji & Malik 2009: 0.79 % error with
# an additive-kernel SVM on such features), ``mnistbench tune --dataset mnist --models
# svc@best --budget 20m --threads 2`` (2026-12-01, 23 trials, 1,347 compute seconds) found an
# RBF kernel on 150 PCA components of the histograms of blurred, deskewed digits
# (validation 0.9948, trial 15; the choice of features carried 0.88 of the importance).
# Test accuracy: docs/performance.md, "svc@best on orientation histograms".
BEST: dict[str, Any] = {
    "kernel": "rbf",
    "gamma": 0.7276725389127853,
    "C": 3.3985272715977715,
    "pca_components": 150,
    "deskew": True,
    "blur": 1.0,
    "orientations": True,
}

PRESETS: dict[str, dict[str, Any]] = {
    "best": BEST,
    # @best refitted on its support vectors and their shifts (DeCoste & Schölkopf 2002:
    # 0.9944 with 2-pixel jitter): augmented, reported apart. The jitter, C, the kernel's
    # width, PCA size and blur are the best on validation of ``mnistbench tune --dataset
    # mnist --models svc@virtual --budget 30m --threads 2`` (2026-12-01, 27 trials; trial
    # 21 scored 0.9954 against 0.9940 for @best's values with 2-pixel jitter). Test
    # accuracy: docs/performance.md, "svc@best on orientation histograms".
    "virtual": {
        **BEST,
        "virtual_sv": True,
        "virtual_shift": 2,
        "C": 69.59353494533751,
        "gamma": 0.3769482560806228,
        "pca_components": 100,
        "blur": 0.0,
    },
    # the notebook imports SVC and uses its defaults, on raw pixels
    "notebook": {
        "C": 1.0,
        "gamma": 0.0,
        "pca_components": 0,
        "scale": False,
        "tol": 1e-3,
        "cache_size": 200.0,
        "deskew": False,
    },
}

# Where a study of @best looks (``mnistbench tune --models svc@best``), always on deskewed
# digits: the polynomial kernel (degrees 3-7 around the published 5) or the RBF kernel
# (its width wide enough for pixels, near 0.03, and for orientation histograms, near 0.7),
# pixels or their orientation histograms, raw or in a PCA space, blurred or not, and C.
PRESET_SPACES = {
    "best": SearchSpace(
        (
            Param("kernel", Choice(("poly", "rbf"))),
            Param("C", Float(1.0, 100.0, log=True)),
            Param("gamma", Float(0.005, 1.0, log=True), when={"kernel": ("rbf",)}),
            Param("degree", Int(3, 7), when={"kernel": ("poly",)}),
            Param("coef0", Float(0.0, 1.0), when={"kernel": ("poly",)}),
            Param("pca_components", Choice((0, 40, 60, 80, 100, 150))),
            # Wilder's k-NN recipe blurs the deskewed digits (LeCun et al.'s MNIST table)
            Param("blur", Choice((0.0, 0.5, 1.0))),
            # pixels or their orientation histograms (Maji & Malik 2009: 0.79 % error)
            Param("orientations", Choice((False, True))),
        )
    ),
    # A study of @virtual keeps @best's kernel and features and asks what the virtual
    # examples change: the jitter (DeCoste & Schölkopf's 1 or 2 pixels), and what the larger,
    # shifted training set may bear: C, the kernel's width or degree (up to their 9), more
    # PCA components and the blur. Its two studies on pixels (polynomial kernel) ended at
    # 0.9918 on validation (docs/performance.md, "The svc@virtual study with a wider space").
    "virtual": SearchSpace(
        (
            Param("virtual_shift", Choice((1, 2))),
            Param("C", Float(1.0, 100.0, log=True)),
            # the kernel is @best's: its width, or its degree up to DeCoste & Schölkopf's 9
            Param("gamma", Float(0.005, 1.0, log=True), when={"kernel": ("rbf",)}),
            Param("degree", Int(4, 9), when={"kernel": ("poly",)}),
            Param("pca_components", Choice((60, 100, 150))),
            Param("blur", Choice((0.0, 0.5, 1.0))),
        )
    ),
}

register(
    ModelEntry(
        "svc",
        SVCModel,
        "kernel SVM, RBF kernel (scikit-learn SVC)",
        PRESETS,
        published=PUBLISHED_BEST,
        preset_spaces=PRESET_SPACES,
    )
)
