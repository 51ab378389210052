"""Whole-pixel shifts of flattened square digits: the jittered copies a model may make of
its own training examples (virtual support vectors), never of the data split."""

from __future__ import annotations

import numpy as np

from mnistbench.models.base import infer_image_shape

#: one pixel up, down, left and right (rows, columns)
FOUR_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def shifted(X: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Each row of ``X`` (a flattened square image) moved ``rows`` down and ``cols`` right,
    the pixels that enter filled with zeros (the background)."""
    X = np.asarray(X)
    h, w = infer_image_shape(X.shape[1])
    images = X.reshape(len(X), h, w)
    out = np.zeros_like(images)
    dst_r, src_r = _span(rows, h)
    dst_c, src_c = _span(cols, w)
    out[:, dst_r, dst_c] = images[:, src_r, src_c]
    return out.reshape(len(X), h * w)


def _span(k: int, n: int) -> tuple[slice, slice]:
    """Destination and source slices of a shift by ``k`` along an axis of length ``n``."""
    if k >= 0:
        return slice(k, n), slice(0, n - k)
    return slice(0, n + k), slice(-k, n)


def jittered(X: np.ndarray, y: np.ndarray, pixels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and, after it, its copies shifted by 1 to ``pixels`` pixels in each of the
    four directions (``4 * pixels`` copies), with their labels."""
    copies = [
        X,
        *(shifted(X, r * k, c * k) for k in range(1, pixels + 1) for r, c in FOUR_NEIGHBOURS),
    ]
    return np.concatenate(copies), np.tile(np.asarray(y), len(copies))
