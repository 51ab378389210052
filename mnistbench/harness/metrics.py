"""Quality metrics, all from scikit-learn so the numbers mean what users expect."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)


def classification_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    labels: np.ndarray,
    proba_labels: np.ndarray | None = None,
) -> tuple[dict[str, Any], np.ndarray]:
    """Scalar and per-class metrics (JSON-ready) plus the confusion matrix.

    ``labels`` are the data set's classes (per-class rows, the confusion matrix);
    ``proba_labels`` the model's classes, one per column of ``proba`` (default: ``labels``),
    so a data set or training part that lacks some digits scores like any other. Macro-F1
    averages over the classes that occur in the test labels or the predictions.
    """
    accuracy = float(accuracy_score(y_true, y_pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    metrics: dict[str, Any] = {
        "accuracy": accuracy,
        "error_rate": 1.0 - accuracy,
        "log_loss": None,
        "macro_f1": float(
            f1_score(
                y_true, y_pred, labels=np.union1d(y_true, y_pred), average="macro", zero_division=0
            )
        ),
        "per_class": {
            "label": [int(v) for v in labels],
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": support.tolist(),
        },
    }
    if proba is not None:
        metrics["log_loss"] = float(
            log_loss(y_true, _on_labels(proba, proba_labels, labels), labels=labels)
        )
    return metrics, confusion_matrix(y_true, y_pred, labels=labels)


def _on_labels(
    proba: np.ndarray, proba_labels: np.ndarray | None, labels: np.ndarray
) -> np.ndarray:
    """``proba`` with one column per data-set label (zero for classes the model lacks),
    rows renormalised in float64: a float32 softmax sums to 1 only within ~1e-7, which
    scikit-learn's log loss would warn about on every task."""
    proba = np.asarray(proba, dtype=np.float64)
    sums = proba.sum(axis=1, keepdims=True)
    proba = np.divide(proba, sums, out=proba.copy(), where=sums > 0)
    if proba_labels is None or np.array_equal(np.asarray(proba_labels), labels):
        return proba
    column = {int(label): i for i, label in enumerate(labels)}
    full = np.zeros((len(proba), len(labels)))
    full[:, [column[int(c)] for c in proba_labels]] = proba
    return full


def most_confident_mistakes(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray | None,
    limit: int = 24,
    margin: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of wrong predictions, most confident first: by the top probability, or
    without probabilities by the decision ``margin`` (one per test digit); in test order
    when there is neither."""
    wrong = np.flatnonzero(y_true != y_pred)
    if len(wrong) and proba is not None:
        wrong = wrong[np.argsort(-proba[wrong].max(axis=1), kind="stable")]
    elif len(wrong) and margin is not None:
        wrong = wrong[np.argsort(-margin[wrong], kind="stable")]
    return wrong[:limit]
