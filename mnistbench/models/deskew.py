"""Deskewing: shear each digit upright, as a preprocessing step that belongs to a model.

Handwriting slants; a linear model has to learn every slant of every digit as a separate
template. Straightening each image first (the shear that zeroes the covariance of its ink's
row and column coordinates, LeCun et al. 1998) removes most of that variation. Stateless and
per image, so it is the same at fit and predict time and needs no training data.
"""

from __future__ import annotations

import numpy as np

from mnistbench.models.base import infer_image_shape

# Rows per block: keeps the interpolation's temporaries in cache-sized pieces.
_BLOCK = 1024  # 0.27 s for 55,000 digits against 0.45 s at 4096 (2-core VM, 2026-11-24)


def deskew(X: np.ndarray) -> np.ndarray:
    """Each row of ``X`` (a flattened square image) sheared about its ink's centroid so that
    its principal axis stands vertical; linear interpolation along each image row."""
    X = np.asarray(X, dtype=np.float32)
    h, w = infer_image_shape(X.shape[1])
    out = np.empty_like(X)
    for start in range(0, len(X), _BLOCK):
        out[start : start + _BLOCK] = _deskew_block(X[start : start + _BLOCK], h, w)
    return out


def _deskew_block(X: np.ndarray, h: int, w: int) -> np.ndarray:
    n = len(X)
    images = X.reshape(n, h, w)
    rows = np.arange(h, dtype=np.float32)
    cols = np.arange(w, dtype=np.float32)
    row_mass = images.sum(axis=2)  # (n, h)
    col_mass = images.sum(axis=1)  # (n, w)
    mass = row_mass.sum(axis=1)
    blank = mass <= 0
    mass[blank] = 1.0
    dr = rows - (row_mass @ rows / mass)[:, None]  # (n, h): row offsets from the centroid
    dc = cols - (col_mass @ cols / mass)[:, None]  # (n, w)
    var_r = np.einsum("nh,nh->n", row_mass, dr * dr)
    cov = np.einsum("nh,nh->n", dr, np.einsum("nhw,nw->nh", images, dc))
    upright = blank | (var_r <= 0)
    alpha = np.where(upright, 0.0, cov / np.where(upright, 1.0, var_r)).astype(np.float32)
    # Output pixel (r, c) reads row r of the input at column c + shift[r]: an integer part
    # and one interpolation weight per image row. Only rows with ink move; they are sorted
    # by their integer part, so each group's shift is two slices of one contiguous block.
    lines = images.reshape(n * h, w)
    inked = np.flatnonzero(row_mass.ravel() > 0)
    if len(inked) == 0:  # only blank digits: nothing to move
        return np.zeros_like(X)
    shift = (alpha[:, None] * dr).ravel()[inked]
    whole = np.floor(shift)
    frac = (shift - whole)[:, None].astype(np.float32)
    whole = whole.astype(np.intp)
    order = np.argsort(whole, kind="stable")
    whole, frac, inked = whole[order], frac[order], inked[order]
    source = lines[inked]
    moved = np.zeros_like(source)
    edges = np.flatnonzero(np.diff(whole)) + 1
    for start, stop in zip(np.r_[0, edges], np.r_[edges, len(whole)], strict=True):
        k = int(whole[start])
        block, weight = source[start:stop], frac[start:stop]
        _add_shifted(moved[start:stop], block, k, 1 - weight)
        _add_shifted(moved[start:stop], block, k + 1, weight)
    out = np.zeros_like(lines)
    out[inked] = moved
    return out.reshape(n, h * w)


def _add_shifted(target: np.ndarray, lines: np.ndarray, k: int, weight: np.ndarray) -> None:
    """``target[:, c] += weight * lines[:, c + k]`` where ``c + k`` falls inside the row."""
    w = lines.shape[1]
    if 0 <= k < w:
        target[:, : w - k] += weight * lines[:, k:]
    elif -w < k < 0:
        target[:, -k:] += weight * lines[:, : w + k]
