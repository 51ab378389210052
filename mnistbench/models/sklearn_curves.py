"""Learning curves of fitted scikit-learn pipelines, described after the fit.

scikit-learn's iterative estimators keep no per-epoch history that mnistbench can time, so
``SklearnModel.training_curve`` (called by the harness after every clock has stopped) asks
the fitted pipeline's last step, in this order:

1. ``loss_curve_`` (``MLPClassifier``): the training loss per epoch, exactly as the fit
   computed it, with ``validation_scores_`` where the fit kept them. No extra work.
2. ``staged_predict_proba`` (gradient boosting): each iteration's model, as fitted, scored
   on the training set (at most ``TRAIN_ROWS`` of it) and the validation set. Exact, and it
   leaves the fitted model untouched.
3. ``partial_fit`` and ``n_iter_`` (SGD and other linear online learners): a *replay* on a
   fresh copy with the same parameters, one ``partial_fit`` epoch per step, for as many
   epochs as the fit ran (at most ``MAX_REPLAY_EPOCHS``). The fitted model is untouched;
   the replay shuffles per call, so its curve follows the fit closely but not bit for bit.
   Its rows say so (``replay``) and their ``elapsed_s`` counts the replay's own
   ``partial_fit`` seconds. It costs about one more fit, outside every clock.

Rows carry ``epoch``, and ``loss`` / ``val_loss`` (log loss) where the estimator has
probabilities, ``hinge_loss`` / ``val_hinge_loss`` (mean one-vs-rest hinge loss) where it
has only a decision function, ``accuracy`` and ``val_accuracy``. A pipeline with none of
these gives no rows.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import log_loss

TRAIN_ROWS = 5000  # training rows scored per iteration (evenly spaced)
MAX_REPLAY_EPOCHS = 100  # a replay stops here (the notebook's SGD may run hundreds)


def _rows(n: int, limit: int = TRAIN_ROWS) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, limit)).astype(np.int64))


def _hinge(scores: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    scores = np.asarray(scores, np.float64)
    if scores.ndim == 1:
        scores = np.stack([-scores, scores], axis=1)
    sign = np.where(y[:, None] == classes[None, :], 1.0, -1.0)
    return float(np.maximum(0.0, 1.0 - sign * scores).mean())


def _score_rows(
    estimator: Any, X: Any, y: np.ndarray, classes: np.ndarray, prefix: str
) -> dict[str, float]:
    row: dict[str, float] = {}
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        row[prefix + "loss"] = float(log_loss(y, proba, labels=classes))
        pred = classes[np.argmax(proba, axis=1)]
    else:
        scores = estimator.decision_function(X)
        row[prefix + "hinge_loss"] = _hinge(scores, y, classes)
        pred = estimator.predict(X)
    row[prefix + "accuracy"] = float(np.mean(pred == y))
    return row


def pipeline_curve(
    pipeline: Any,
    X: np.ndarray,
    y: np.ndarray,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
) -> list[dict[str, float]]:
    """Per-epoch (or per-iteration) rows for a fitted Pipeline, or [] (see the module)."""
    final = pipeline[-1]
    head = pipeline[:-1] if len(pipeline) > 1 else None

    def prepare(data: np.ndarray) -> Any:
        data = np.asarray(data, dtype=np.float32)
        return head.transform(data) if head is not None else data

    y = np.asarray(y)
    classes = np.asarray(final.classes_)
    if getattr(final, "loss_curve_", None) is not None:
        rows = [{"epoch": i + 1, "loss": float(v)} for i, v in enumerate(final.loss_curve_)]
        for row, score in zip(rows, getattr(final, "validation_scores_", None) or [], strict=False):
            row["val_accuracy"] = float(score)
        return rows
    pick = _rows(len(y))
    if hasattr(final, "staged_predict_proba"):
        X_tr, y_tr = prepare(X[pick]), y[pick]
        stages = [final.staged_predict_proba(X_tr)]
        if validation_data is not None:
            stages.append(final.staged_predict_proba(prepare(validation_data[0])))
        rows = []
        for i, probas in enumerate(zip(*stages, strict=True)):
            row = {"epoch": i + 1}
            for prefix, proba, truth in zip(
                ("", "val_"), probas, (y_tr, validation_data and validation_data[1]), strict=False
            ):
                row[prefix + "loss"] = float(log_loss(truth, proba, labels=classes))
                row[prefix + "accuracy"] = float(np.mean(classes[proba.argmax(1)] == truth))
            rows.append(row)
        return rows
    if hasattr(final, "partial_fit") and hasattr(final, "n_iter_"):
        epochs = min(int(np.max(final.n_iter_)), MAX_REPLAY_EPOCHS)
        replay = clone(final)
        if "early_stopping" in replay.get_params():
            replay.set_params(early_stopping=False)  # partial_fit cannot stop early
        X_fit = prepare(X)
        X_tr, y_tr = prepare(X[pick]), y[pick]
        val = None
        if validation_data is not None:
            val = prepare(validation_data[0]), np.asarray(validation_data[1])
        rows, spent = [], 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in range(1, epochs + 1):
                started = time.perf_counter()
                replay.partial_fit(X_fit, y, classes=classes)
                spent += time.perf_counter() - started
                row = {"epoch": epoch, "elapsed_s": spent, "replay": 1.0}
                row.update(_score_rows(replay, X_tr, y_tr, classes, ""))
                if val is not None:
                    row.update(_score_rows(replay, *val, classes, "val_"))
                rows.append(row)
        return rows
    return []
