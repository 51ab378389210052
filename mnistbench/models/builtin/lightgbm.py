"""LightGBM: leaf-wise boosted trees on deskewed digits, tuned from ``hist_gb``'s
schedule, and ``LGBMClassifier()``'s own defaults as ``@defaults``.

LightGBM is optional (``pip install "mnistbench[boost]"``): it is imported inside fit and
predict, never when mnistbench is, and the model is listed as unavailable without it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mnistbench.models.boosted_trees import BoostedTreesModel, RoundRecorder
from mnistbench.models.builtin.hist_gb import PUBLISHED_BEST as BOOSTING_BEST
from mnistbench.models.registry import ModelEntry, register
from mnistbench.models.search_space import Choice, Float, Int, Param, SearchSpace


class LightGBMModel(BoostedTreesModel):
    """Gradient-boosted trees grown leaf by leaf on binned features (LightGBM): one tree
    per class and round, the training and validation log loss and error recorded every
    round from LightGBM's own evaluation (scores it keeps, so the record costs little)."""

    # benchmarks/tuning/SEARCH_LOG.md, round 7 (mnist-5k validation, three draws): hist_gb's
    # tuned schedule (50 rounds at learning rate 0.3, 63 leaves, at least 20 digits a leaf,
    # deskewed digits) carried over; 31 leaves, 10 digits a leaf or half the pixels per
    # tree did no better; a `mnistbench tune` study replaces these.
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": 50,  # boosting rounds
        "learning_rate": 0.3,
        "num_leaves": 63,
        "max_depth": -1,  # -1 = no limit
        "min_child_samples": 20,
        "min_split_gain": 0.0,
        "reg_lambda": 0.0,
        "reg_alpha": 0.0,
        "subsample": 1.0,  # a fraction of the rows per tree (bagging) when below 1
        "colsample_bytree": 1.0,
        "max_bin": 255,
        "deskew": True,  # shear each digit upright first (mnistbench.models.deskew)
        "n_jobs": -1,  # -1: every thread of the run's limit (mnistbench.models.threads)
        "random_state": 0,
    }

    # Where a study looks (``mnistbench tune``): rounds and leaves capped so that a trial
    # on full MNIST stays within minutes on two cores; learning rate and leaf size
    # log-uniform; bagging and pixel sampling (which also make a round cheaper).
    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (
            Param("n_estimators", Int(20, 200, log=True)),
            Param("learning_rate", Float(0.03, 0.5, log=True)),
            Param("num_leaves", Int(15, 127, log=True)),
            Param("min_child_samples", Int(5, 100, log=True)),
            Param("subsample", Float(0.5, 1.0)),
            Param("colsample_bytree", Float(0.2, 1.0)),
            Param("deskew", Choice((True, False))),
        )
    )

    def check_params(self) -> None:
        if self.n_estimators < 1 or self.num_leaves < 2 or self.max_bin < 2:
            raise ValueError("n_estimators must be at least 1, num_leaves and max_bin at least 2")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if self.min_child_samples < 0:
            raise ValueError("min_child_samples cannot be negative")
        for name in ("subsample", "colsample_bytree"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if min(self.min_split_gain, self.reg_lambda, self.reg_alpha) < 0:
            raise ValueError("min_split_gain, reg_lambda and reg_alpha cannot be negative")

    def _booster_params(self, n_classes: int) -> dict[str, Any]:
        return {
            "objective": "multiclass",
            "num_class": n_classes,
            "metric": ["multi_logloss", "multi_error"],
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "min_split_gain": self.min_split_gain,
            "reg_lambda": self.reg_lambda,
            "reg_alpha": self.reg_alpha,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": self.colsample_bytree,
            "max_bin": self.max_bin,
            "num_threads": self._threads(),
            "seed": self.random_state,
            # same result for the same seed and threads, as the conformance kit checks;
            # column-wise histograms (what LightGBM picks for 784 pixels), without the
            # timing test it would otherwise run and print
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }

    def _train(
        self,
        pixels: np.ndarray,
        codes: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray] | None,
        record: RoundRecorder,
    ) -> Any:
        import lightgbm as lgb

        params = self._booster_params(len(self.classes_))
        train = lgb.Dataset(pixels, codes, params={"max_bin": self.max_bin})
        valid_sets, valid_names = [train], ["train"]
        if validation is not None:
            valid_sets.append(lgb.Dataset(*validation, reference=train))
            valid_names.append("val")
        metric_keys = {"multi_logloss": "loss", "multi_error": "accuracy"}

        def record_round(env: Any) -> None:
            """Each round's scores, from the metrics LightGBM has just computed."""
            scores: dict[str, float] = {}
            for data, metric, value, _ in env.evaluation_result_list:
                key = ("val_" if data == "val" else "") + metric_keys[metric]
                scores[key] = 1.0 - float(value) if metric == "multi_error" else float(value)
            record(env.iteration - env.begin_iteration + 1, scores)

        return lgb.train(
            params,
            train,
            num_boost_round=self.n_estimators,
            valid_sets=valid_sets,
            valid_names=valid_names,
            callbacks=[record_round],
        )

    def _booster_proba(self, pixels: np.ndarray) -> np.ndarray:
        return self.booster_.predict(pixels, num_threads=self._threads())

    def _n_nodes(self) -> int:
        trees = self.booster_.dump_model()["tree_info"]
        return int(sum(2 * tree["num_leaves"] - 1 for tree in trees))

    def _split_counts(self) -> np.ndarray:
        """LightGBM's "split" importance."""
        counts = self.booster_.feature_importance(importance_type="split")
        return np.asarray(counts, dtype=np.float32)


PRESETS: dict[str, dict[str, Any]] = {
    # LGBMClassifier() as LightGBM 4 ships it (100 rounds at 0.1, 31 leaves), on raw pixels
    "defaults": {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "max_depth": -1,
        "min_child_samples": 20,
        "min_split_gain": 0.0,
        "reg_lambda": 0.0,
        "reg_alpha": 0.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "max_bin": 255,
        "deskew": False,
    },
}

register(
    ModelEntry(
        "lightgbm",
        LightGBMModel,
        "gradient-boosted trees, grown leaf-wise (LightGBM)",
        PRESETS,
        requires=("lightgbm",),
        install='pip install "mnistbench[boost]"',
        published=BOOSTING_BEST,  # the boosting family's anchor (hist_gb's)
    )
)
