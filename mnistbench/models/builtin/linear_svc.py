"""Linear SVM (liblinear): tuned primal solver, and the notebook's ``LinearSVC()``."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Float, Param, SearchSpace
from mnistbench.models.sklearn_base import LinearSklearnModel, preprocessed


class LinearSVCModel(LinearSklearnModel):
    """One-vs-rest linear SVM (liblinear)."""

    defaults: ClassVar[dict[str, Any]] = {
        "C": 0.1,
        "dual": False,
        "tol": 1e-2,
        "max_iter": 1000,
        "scale": False,
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``): C around the tuned 0.1 (the notebook's 1.0
    # inside), the stopping tolerance (looser: faster), standardised pixels or not.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("C", Float(1e-3, 10.0, log=True)),
            Param("tol", Float(1e-4, 0.1, log=True)),
            Param("scale", Choice((False, True))),
        )
    )

    def make_pipeline(self) -> Pipeline:
        clf = LinearSVC(
            C=self.C,
            dual=self.dual,
            tol=self.tol,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        return preprocessed([("clf", clf)], self.scale)


PRESETS: dict[str, dict[str, Any]] = {
    # dual=True was scikit-learn's default when the notebook was written.
    "notebook": {"C": 1.0, "max_iter": 1000, "dual": True, "tol": 1e-4},
}

register(ModelEntry("linear_svc", LinearSVCModel, "linear SVM (scikit-learn LinearSVC)", PRESETS))
