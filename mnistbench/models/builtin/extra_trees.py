"""Extremely randomised trees (scikit-learn): tuned forest on deskewed digits grown on both
cores, and scikit-learn's MNIST benchmark as written (``ExtraTreesClassifier()`` defaults,
one job)."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.ensemble import ExtraTreesClassifier

from mnistbench.models.builtin.random_forest import ForestModel
from mnistbench.models.registry import ModelEntry, register


class ExtraTreesModel(ForestModel):
    """Trees on the whole training set, split thresholds drawn at random."""

    forest: ClassVar[type] = ExtraTreesClassifier
    # Tuned (rounds 5 and 6 of the search log): 120 trees on deskewed digits, grown on both
    # cores (deskewing made the forest more accurate with fewer trees).
    defaults: ClassVar[dict[str, Any]] = {
        **ForestModel.defaults,
        "n_estimators": 120,
        "bootstrap": False,
        "n_jobs": -1,
        "deskew": True,
    }


PRESETS: dict[str, dict[str, Any]] = {
    # benchmarks/bench_mnist.py: ExtraTreesClassifier() with its --n-jobs default of 1
    "bench_mnist": {
        "n_estimators": 100,
        "criterion": "gini",
        "max_features": "sqrt",
        "max_depth": None,
        "min_samples_leaf": 1,
        "bootstrap": False,
        "n_jobs": 1,
        "deskew": False,
    },
}

register(
    ModelEntry(
        "extra_trees",
        ExtraTreesModel,
        "extremely randomised trees (scikit-learn ExtraTreesClassifier)",
        PRESETS,
    )
)
