"""Linear model trained by SGD: tuned averaged hinge loss on CSR input, and the notebook's
``SGDClassifier(max_iter=5000, n_jobs=-1)``."""

from __future__ import annotations

from typing import Any, ClassVar

from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline

from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Float, Int, Param, SearchSpace
from mnistbench.models.sklearn_base import LinearSklearnModel, preprocessed


class SGDModel(LinearSklearnModel):
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

    # Where a study looks (``mnistbench tune``): the losses, regularisation and step sizes
    # rounds 2-4 of the search log tried by hand (alpha 1e-6 to 2e-4, eta0 0.01 to 0.5,
    # 3 to 8 epochs), a little wider; the step size only matters with a constant schedule.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("loss", Choice(("hinge", "log_loss", "modified_huber", "squared_hinge"))),
            Param("alpha", Float(1e-7, 1e-3, log=True)),
            Param("max_iter", Int(2, 20)),
            Param("average", Choice((True, False))),
            Param("learning_rate", Choice(("constant", "optimal"))),
            Param("eta0", Float(0.01, 1.0, log=True), when={"learning_rate": ("constant",)}),
        )
    )

    def make_pipeline(self) -> Pipeline:
        clf = SGDClassifier(
            loss=self.loss,
            alpha=self.alpha,
            max_iter=self.max_iter,
            tol=self.tol,
            average=self.average,
            learning_rate=self.learning_rate,
            eta0=self.eta0,
            early_stopping=self.early_stopping,
            n_jobs=self.jobs(self.n_jobs),
            random_state=self.random_state,
        )
        return preprocessed([("clf", clf)], self.scale, self.sparse)


PRESETS: dict[str, dict[str, Any]] = {
    "notebook": {
        "loss": "hinge",
        "alpha": 1e-4,
        "max_iter": 5000,
        "tol": 1e-3,
        "n_jobs": -1,
        "average": False,
        "scale": False,
        "sparse": False,
        "learning_rate": "optimal",
        "eta0": 0.01,
    },
}

register(
    ModelEntry("sgd", SGDModel, "linear model trained by SGD (scikit-learn SGDClassifier)", PRESETS)
)
