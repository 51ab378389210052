"""XGBoost (``tree_method="hist"``): boosted trees on deskewed digits, tuned from
``hist_gb``'s schedule, and ``XGBClassifier()``'s own defaults as ``@defaults``.

XGBoost is optional (``pip install "mnistbench[boost]"``): it is imported inside fit and
predict, never when mnistbench is, and the model is listed as unavailable without it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mnistbench.models.boosted_trees import BoostedTreesModel, RoundRecorder
from mnistbench.models.builtin.hist_gb import PUBLISHED_BEST as BOOSTING_BEST
from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Float, Int, Param, SearchSpace

GROW_POLICIES = ("depthwise", "lossguide")


class XGBoostModel(BoostedTreesModel):
    """Gradient-boosted trees on binned features (XGBoost's ``hist`` method): one tree per
    class and round, the training and validation log loss and error recorded every round
    from XGBoost's own evaluation (predictions it caches, so the record costs little)."""

    # benchmarks/tuning/SEARCH_LOG.md, round 7 (mnist-5k validation, three draws): hist_gb's
    # tuned schedule (50 rounds at learning rate 0.3, deskewed digits, no early-stopping
    # hold-out) on XGBoost's own depth-6 trees (up to 64 leaves, like hist_gb's 63), which
    # beat best-first trees of 63 leaves on all three draws; a `mnistbench tune` study
    # replaces these.
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 50,  # boosting rounds
        "learning_rate": 0.3,
        "grow_policy": "depthwise",  # depthwise | lossguide (best-first, like hist_gb)
        "max_depth": 6,  # 0 = no limit (then lossguide trees are bounded by max_leaves)
        "max_leaves": 0,  # 0 = no limit
        "min_child_weight": 1.0,
        "reg_lambda": 1.0,
        "reg_alpha": 0.0,
        "gamma": 0.0,  # least loss reduction to split a leaf
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "max_bin": 256,
        "deskew": True,  # shear each digit upright first (mnistbench.models.deskew)
        "n_jobs": -1,  # -1: every thread of the run's limit (mnistbench.models.threads)
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``): rounds and leaves capped so that a trial
    # on full MNIST stays within minutes on two cores (hist_gb's 50 rounds of 63 leaves
    # took ~2 min there); learning rates and regularisation log-uniform.
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("n_estimators", Int(20, 200, log=True)),
            Param("learning_rate", Float(0.03, 0.5, log=True)),
            Param("grow_policy", Choice(GROW_POLICIES)),
            Param("max_depth", Int(3, 10)),  # for best-first trees, a bound beside max_leaves
            Param("max_leaves", Int(15, 127, log=True), when={"grow_policy": ("lossguide",)}),
            Param("min_child_weight", Float(0.1, 20.0, log=True)),
            Param("reg_lambda", Float(0.01, 10.0, log=True)),
            Param("subsample", Float(0.5, 1.0)),
            Param("colsample_bytree", Float(0.2, 1.0)),
            Param("deskew", Choice((True, False))),
        )
    )

    def check_params(self) -> None:
        if self.grow_policy not in GROW_POLICIES:
            raise ValueError(
                f"grow_policy must be one of {', '.join(GROW_POLICIES)}, got {self.grow_policy!r}"
            )
        if self.n_estimators < 1 or self.max_bin < 2:
            raise ValueError("n_estimators must be at least 1 and max_bin at least 2")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.max_depth < 0 or self.max_leaves < 0:
            raise ValueError("max_depth and max_leaves cannot be negative (0: no limit)")
        if self.grow_policy == "depthwise" and self.max_depth == 0:
            raise ValueError("depthwise trees need a max_depth (0 grows them without limit)")
        for name in ("subsample", "colsample_bytree"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if min(self.min_child_weight, self.reg_lambda, self.reg_alpha, self.gamma) < 0:
            raise ValueError("min_child_weight, reg_lambda, reg_alpha and gamma cannot be negative")

    def _booster_params(self, n_classes: int) -> dict[str, Any]:
        return {
            "objective": "multi:softprob",
            "num_class": n_classes,
            "eval_metric": ["merror", "mlogloss"],
            "tree_method": "hist",
            "eta": self.learning_rate,
            "grow_policy": self.grow_policy,
            "max_depth": self.max_depth,
            "max_leaves": self.max_leaves,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "alpha": self.reg_alpha,
            "gamma": self.gamma,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "max_bin": self.max_bin,
            "nthread": self._threads(),
            "seed": self.random_state,
            "verbosity": 0,
        }

    def _train(
        self,
        pixels: np.ndarray,
        codes: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray] | None,
        record: RoundRecorder,
    ) -> Any:
        import xgboost as xgb

        train = xgb.QuantileDMatrix(pixels, codes, max_bin=self.max_bin)
        evals = [(train, "train")]
        if validation is not None:
            evals.append((xgb.QuantileDMatrix(*validation, ref=train), "val"))

        class Recorder(xgb.callback.TrainingCallback):
            """Each round's scores, from the metrics XGBoost has just computed."""

            def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
                scores: dict[str, float] = {}
                for name, prefix in (("train", ""), ("val", "val_")):
                    if name in evals_log:
                        scores[prefix + "loss"] = float(evals_log[name]["mlogloss"][-1])
                        scores[prefix + "accuracy"] = 1.0 - float(evals_log[name]["merror"][-1])
                record(epoch + 1, scores)
                return False

        return xgb.train(
            self._booster_params(len(self.classes_)),
            train,
            num_boost_round=self.n_estimators,
            evals=evals,
            callbacks=[Recorder()],
            verbose_eval=False,
        )

    def _booster_proba(self, pixels: np.ndarray) -> np.ndarray:
        return self.booster_.inplace_predict(pixels)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba = super().predict_proba(X)
        # XGBoost's softmax is float32: rows sum to 1 within 1e-7, which scikit-learn's
        # log_loss warns about; in float64 they sum to 1 within rounding
        return proba / proba.sum(axis=1, keepdims=True)

    def _n_nodes(self) -> int:
        """One line each in the dump."""
        return int(sum(tree.count("\n") for tree in self.booster_.get_dump()))

    def _split_counts(self) -> np.ndarray:
        """XGBoost's "weight" importance."""
        counts = np.zeros(self.n_features_in_, dtype=np.float32)
        for feature, count in self.booster_.get_score(importance_type="weight").items():
            counts[int(feature.lstrip("f"))] = count
        return counts


PRESETS: dict[str, dict[str, Any]] = {
    # XGBClassifier() as XGBoost 3 ships it (hist, depth-wise trees of depth 6, 100 rounds
    # at 0.3), on raw pixels
    "defaults": {
        "n_estimators": 100,
        "learning_rate": 0.3,
        "grow_policy": "depthwise",
        "max_depth": 6,
        "max_leaves": 0,
        "min_child_weight": 1.0,
        "reg_lambda": 1.0,
        "reg_alpha": 0.0,
        "gamma": 0.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "max_bin": 256,
        "deskew": False,
    },
}

register(
    ModelEntry(
        "xgboost",
        XGBoostModel,
        "gradient-boosted trees (XGBoost, hist tree method)",
        PRESETS,
        requires=("xgboost",),
        install='pip install "mnistbench[boost]"',
        published=BOOSTING_BEST,  # the boosting family's anchor (hist_gb's)
    )
)
