"""Random forest (scikit-learn): tuned forest on deskewed digits grown on both cores, and
scikit-learn's MNIST benchmark as written (``RandomForestClassifier()`` defaults, one job)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Int, Param, SearchSpace
from mnistbench.models.sklearn_base import SklearnModel, preprocessed


class ForestModel(SklearnModel):
    """A forest of decision trees on raw pixels; subclasses name the forest."""

    weight_caption: ClassVar[str] = "pixel importances (mean decrease in impurity)"
    weights_per_class: ClassVar[bool] = False
    # A few shallow-enough trees exercise every path in well under a second on digits.
    quick_params: ClassVar[dict[str, Any]] = {"n_estimators": 10}
    forest: ClassVar[type] = RandomForestClassifier

    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 100,
        "criterion": "gini",
        "max_features": "sqrt",
        "max_depth": None,
        "min_samples_leaf": 1,
        "bootstrap": True,
        "n_jobs": 1,
        "deskew": False,  # shear each digit upright first (mnistbench.models.deskew)
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``), for both forests: the size (100 to 200
    # trees tried in rounds 5 and 6; at most 300, a few minutes on full MNIST), the pixels
    # tried per split, leaf size, criterion (entropy: twice the fit), deskewing.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("n_estimators", Int(50, 300, log=True)),
            Param("max_features", Choice(("sqrt", "log2"))),
            Param("min_samples_leaf", Int(1, 10)),
            Param("criterion", Choice(("gini", "entropy"))),
            Param("deskew", Choice((True, False))),
        )
    )

    def make_pipeline(self) -> Pipeline:
        clf = self.forest(
            n_estimators=self.n_estimators,
            criterion=self.criterion,
            max_features=self.max_features,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            bootstrap=self.bootstrap,
            n_jobs=self.jobs(self.n_jobs),
            random_state=self.random_state,
        )
        return preprocessed([("clf", clf)], scale=False, deskew=self.deskew)

    @property
    def n_parameters(self) -> int:
        """Tree nodes (each a split or a leaf) over the whole forest."""
        check_is_fitted(self, "pipeline_")
        return int(sum(t.tree_.node_count for t in self.pipeline_[-1].estimators_))

    def weight_images(self) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        importances = np.asarray(self.pipeline_[-1].feature_importances_, dtype=np.float32)
        return importances.reshape(1, *self.image_shape_)


class RandomForestModel(ForestModel):
    """Bootstrapped trees, best split among a random subset of pixels at each node."""

    # Tuned (rounds 5 and 6 of the search log): as many trees, on deskewed digits, grown on
    # both cores. Deskewed digits made each tree about 1.5x dearer to grow (interpolated
    # pixels take many more distinct values to split on) and the forest half a point
    # better.
    defaults: ClassVar[dict[str, Any]] = {**ForestModel.defaults, "n_jobs": -1, "deskew": True}


PRESETS: dict[str, dict[str, Any]] = {
    # benchmarks/bench_mnist.py: RandomForestClassifier() with its --n-jobs default of 1
    "bench_mnist": {
        "n_estimators": 100,
        "criterion": "gini",
        "max_features": "sqrt",
        "max_depth": None,
        "min_samples_leaf": 1,
        "bootstrap": True,
        "n_jobs": 1,
        "deskew": False,
    },
}

register(
    ModelEntry(
        "random_forest",
        RandomForestModel,
        "random forest (scikit-learn RandomForestClassifier)",
        PRESETS,
    )
)
