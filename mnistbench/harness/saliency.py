"""What each model sees: saliency and answers for a fixed set of test digits.

Computed by the runner after the timed phases (outside every clock) and stored in the task's
NPZ, so the report can show every model's answer, confidence and saliency for the same
digits without ever calling a model:

- the *probe* digits: chosen from the split alone (the same for every model and seed of a
  run): some easy ones (much nearer their own class mean than any other) and some likely
  hard ones (nearer another class's mean than their own);
- an *occlusion map* for every model with probabilities (or, failing that, a decision
  function): how much the top class's probability (score) falls when each patch of the
  digit is replaced by the average training digit. Coarse patches (at most 7x7 of them), so
  it costs one prediction of about 600 rows for 12 digits;
- *input gradients* for models that offer them (``model.input_gradients``: the gradient of
  each class probability with respect to each pixel, as the Bern notebook draws them);
- the decision scores of the probe digits for models without probabilities, and the
  decision margin (top score minus runner-up) of every test digit, so their mistakes can be
  ranked;
- a learning curve for models that can describe their training after the fact
  (``model.training_curve``), for those whose fit records no history of its own.

Nothing here names a model or a family: it asks each model for what it can do.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

#: How many probe digits: the easy ones first, then the likely hard ones.
N_EASY = 4
N_HARD = 8
#: The occlusion grid has at most this many patches per side.
MAX_PATCHES_PER_SIDE = 7


def choose_probes(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    n_easy: int = N_EASY,
    n_hard: int = N_HARD,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices into the test set of the probe digits and whether each is a likely hard one.

    Deterministic in the split: each test digit's margin is its distance to the nearest
    other class mean minus its distance to its own class mean (training set). Easy: the
    largest margins, one per class; hard: the smallest (most negative), at most two per
    class, so the set covers several digits.
    """
    X_train = np.asarray(X_train, np.float64)
    X_test = np.asarray(X_test, np.float64)
    classes = np.unique(y_train)
    means = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])
    dist = np.sqrt(
        np.maximum((X_test**2).sum(1)[:, None] - 2 * X_test @ means.T + (means**2).sum(1)[None], 0)
    )
    own = np.searchsorted(classes, y_test)
    known = (own < len(classes)) & (classes[np.minimum(own, len(classes) - 1)] == y_test)
    rows = np.arange(len(X_test))
    own_d = np.where(known, dist[rows, np.minimum(own, len(classes) - 1)], np.inf)
    other = dist.copy()
    other[rows[known], own[known]] = np.inf
    margin = other.min(axis=1) - own_d  # inf-inf never happens: unknown labels get -inf
    margin = np.where(known, margin, -np.inf)

    def pick(order: np.ndarray, n: int, per_class: int, taken: set[int]) -> list[int]:
        chosen: list[int] = []
        counts: dict[Any, int] = {}
        for i in order:
            i = int(i)
            if i in taken or not known[i] or counts.get(y_test[i], 0) >= per_class:
                continue
            chosen.append(i)
            counts[y_test[i]] = counts.get(y_test[i], 0) + 1
            if len(chosen) == n:
                break
        return chosen

    easy = pick(np.argsort(-margin, kind="stable"), n_easy, 1, set())
    hard = pick(np.argsort(margin, kind="stable"), n_hard, 2, set(easy))
    index = np.asarray(easy + hard, dtype=np.int64)
    is_hard = np.asarray([False] * len(easy) + [True] * len(hard))
    return index, is_hard


def patch_size(image_shape: tuple[int, int]) -> int:
    """Side of a square occlusion patch: 2 pixels on 8x8 digits, 4 on 28x28."""
    return max(1, math.ceil(max(image_shape) / MAX_PATCHES_PER_SIDE))


def occlusion_maps(
    score: Any,
    X: np.ndarray,
    image_shape: tuple[int, int],
    fill: np.ndarray,
    patch: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """How much each digit's top class score falls when each patch is replaced by ``fill``.

    ``score(rows) -> (n, classes)`` is the model's probabilities (or decision scores);
    every occluded copy goes through one call. Returns the maps (n, h, w), a patch's drop
    painted over its pixels (positive: the patch supported the answer), and the top class
    index of each digit.
    """
    X = np.asarray(X, np.float32)
    h, w = image_shape
    patch = patch or patch_size(image_shape)
    fill = np.asarray(fill, np.float32).reshape(h, w)
    boxes = [(r, c) for r in range(0, h, patch) for c in range(0, w, patch)]
    n, k = len(X), len(boxes)
    copies = np.repeat(X.reshape(n, 1, h, w), k + 1, axis=1)
    for j, (r, c) in enumerate(boxes, start=1):
        copies[:, j, r : r + patch, c : c + patch] = fill[r : r + patch, c : c + patch]
    scores = np.asarray(score(copies.reshape(n * (k + 1), h * w)), np.float64)
    scores = scores.reshape(n, k + 1, -1)
    top = scores[:, 0].argmax(axis=1)
    top_scores = scores[np.arange(n), :, top]  # (n, k + 1)
    drops = top_scores[:, :1] - top_scores[:, 1:]
    maps = np.zeros((n, h, w), np.float32)
    for j, (r, c) in enumerate(boxes):
        maps[:, r : r + patch, c : c + patch] = drops[:, j, None, None]
    return maps, top


def decision_margins(scores: np.ndarray) -> np.ndarray:
    """Top decision score minus the runner-up, per row (one column: its absolute value)."""
    scores = np.asarray(scores, np.float64)
    if scores.ndim == 1:
        return np.abs(scores)
    part = np.sort(scores, axis=1)
    return part[:, -1] - part[:, -2]


def _decision(model: Any, X: np.ndarray) -> np.ndarray | None:
    if not hasattr(model, "decision_function"):
        return None
    scores = np.asarray(model.decision_function(X), np.float64)
    if scores.ndim == 1:  # two classes: one column for the second
        scores = np.stack([-scores, scores], axis=1)
    return scores


def probe_arrays(model: Any, split: Any, proba: np.ndarray | None) -> dict[str, np.ndarray]:
    """The arrays the report's saliency, probability bars and explorer need, for one fitted
    model (``proba``: its probabilities for the whole test set, or None). Also the time it
    took, in ``probe_seconds`` (not part of any clock)."""
    started = time.perf_counter()
    index, hard = choose_probes(split.X_train, split.y_train, split.X_test, split.y_test)
    X = np.asarray(split.X_test[index], np.float32)
    fill = np.asarray(split.X_train, np.float32).mean(axis=0)
    out: dict[str, np.ndarray] = {
        "probe_index": index,
        "probe_hard": hard.astype(np.int8),
        "probe_true": np.asarray(split.y_test[index], np.int16),
        "probe_image": (X * 255).round().astype(np.uint8).reshape(-1, *split.image_shape),
    }
    if proba is not None:
        out["probe_proba"] = np.asarray(proba, np.float32)[index]
        maps, _ = occlusion_maps(model.predict_proba, X, split.image_shape, fill)
        out["occlusion"] = maps
    else:
        decision = _decision(model, split.X_test)
        if decision is not None:
            out["decision_margin"] = decision_margins(decision).astype(np.float32)
            out["probe_decision"] = decision[index].astype(np.float32)
            maps, _ = occlusion_maps(
                lambda rows: _decision(model, rows), X, split.image_shape, fill
            )
            out["occlusion_decision"] = maps
    if hasattr(model, "input_gradients"):
        grads = np.asarray(model.input_gradients(X), np.float32)
        out["saliency_grad"] = grads.reshape(len(X), grads.shape[1], *split.image_shape)
    out["probe_seconds"] = np.asarray(time.perf_counter() - started, np.float64)
    return out


def training_curve(model: Any, split: Any, fit_wall_s: float | None) -> list[dict[str, float]]:
    """A learning curve for a model whose fit kept none, when the model can describe its
    training afterwards (``model.training_curve``). Rows without measured seconds get them
    spread evenly over the recorded fit time and say so (``elapsed_estimated``)."""
    if not hasattr(model, "training_curve"):
        return []
    rows = model.training_curve(
        split.X_train, split.y_train, validation_data=(split.X_val, split.y_val)
    )
    rows = [dict(r) for r in rows or []]
    if rows and any("elapsed_s" not in r for r in rows):
        total = float(fit_wall_s or 0.0)
        for i, row in enumerate(rows):
            row["elapsed_s"] = total * (i + 1) / len(rows)
            row["elapsed_estimated"] = 1.0
    return rows
