"""Blurring: a Gaussian filter over each digit, as a preprocessing step that belongs to a
model (like deskewing).

Nearest neighbours compare digits pixel by pixel; two strokes a pixel apart share nothing.
A light blur lets them overlap, so distances follow shape rather than exact position
(Wilder's k-NN in LeCun et al.'s MNIST table: deskewed, denoised and blurred digits).
Stateless and per image, so it is the same at fit and predict time.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from mnistbench.models.base import infer_image_shape


def blur(X: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Each row of ``X`` (a flattened square image) smoothed by a Gaussian of ``sigma``
    pixels along rows and columns (never across images); zeros beyond the border."""
    X = np.asarray(X, dtype=np.float32)
    h, w = infer_image_shape(X.shape[1])
    images = X.reshape(len(X), h, w)
    out = gaussian_filter(images, sigma=(0.0, sigma, sigma), mode="constant", cval=0.0)
    return out.reshape(len(X), h * w)
