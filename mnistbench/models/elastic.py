"""Elastic distortions of digits, a training-only Keras layer.

The recipe of Simard, Steinkraus & Platt, "Best Practices for Convolutional Neural
Networks Applied to Visual Document Analysis", ICDAR 2003 (0.40 % test error on MNIST
with a CNN): a random displacement field, uniform in [-1, 1] per pixel and direction,
smoothed by a Gaussian of standard deviation sigma and scaled by alpha, moves every pixel;
the digit is resampled bilinearly. Their sigma 4 and alpha 34 are for 29x29 images; here
sigma scales with the image side and alpha with its square (the smoothed field's spread
falls as 1/sigma), so the displacement in pixels keeps its size relative to the digit.

Keras's own ``RandomElasticTransform`` ties sigma to alpha, draws both directions from one
seed (every displacement diagonal) and loops over a static batch size, so it is not used.
Imported only when a network asks for the layer: it imports Keras.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

# Simard et al.'s field on their 29x29 images.
REFERENCE_SIDE = 29
REFERENCE_SIGMA = 4.0


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian, cut at three standard deviations."""
    radius = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return (kernel / kernel.sum()).astype(np.float32)


def bilinear_sample(images: Any, rows: Any, cols: Any) -> Any:
    """``images`` (batch, h, w) read at real-valued ``rows`` and ``cols`` (batch, h, w);
    outside the image reads 0, the background of a digit."""
    shape = ops.shape(images)
    h, w = images.shape[1], images.shape[2]
    flat = ops.reshape(images, (shape[0], h * w))
    r0 = ops.floor(rows)
    c0 = ops.floor(cols)
    fr = rows - r0
    fc = cols - c0
    out = ops.zeros_like(rows)
    for dr, wr in ((0.0, 1.0 - fr), (1.0, fr)):
        for dc, wc in ((0.0, 1.0 - fc), (1.0, fc)):
            r = r0 + dr
            c = c0 + dc
            inside = (r >= 0) & (r <= h - 1) & (c >= 0) & (c <= w - 1)
            index = ops.cast(ops.clip(r, 0, h - 1) * w + ops.clip(c, 0, w - 1), "int32")
            value = ops.take_along_axis(flat, ops.reshape(index, (shape[0], h * w)), axis=1)
            value = ops.reshape(value, ops.shape(rows))
            out = out + ops.where(inside, value * wr * wc, ops.zeros_like(value))
    return out


@keras.saving.register_keras_serializable(package="mnistbench")
class ElasticDistortion(keras.layers.Layer):
    """Warps each training image (batch, h, w, 1) by its own smoothed random field; the
    identity at inference. ``alpha`` is on Simard et al.'s 29-pixel scale."""

    def __init__(self, alpha: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: tuple) -> None:
        h, w = int(input_shape[1]), int(input_shape[2])
        self._size = (h, w)
        side = (h + w) / 2
        kernel = gaussian_kernel(REFERENCE_SIGMA * side / REFERENCE_SIDE)
        # one depthwise kernel per direction (2 channels), applied down then across
        self._down = ops.convert_to_tensor(np.tile(kernel[:, None, None, None], (1, 1, 2, 1)))
        self._across = ops.convert_to_tensor(np.tile(kernel[None, :, None, None], (1, 1, 2, 1)))
        self._scale = self.alpha * (side / REFERENCE_SIDE) ** 2
        grid_r, grid_c = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        self._grid = (
            ops.convert_to_tensor(grid_r.astype(np.float32)),
            ops.convert_to_tensor(grid_c.astype(np.float32)),
        )
        super().build(input_shape)

    def displacement(self, batch: Any) -> Any:
        """A (batch, h, w, 2) field of row and column displacements in pixels."""
        noise = keras.random.uniform((batch, *self._size, 2), -1.0, 1.0, seed=self.generator)
        field = ops.depthwise_conv(noise, self._down, padding="same")
        field = ops.depthwise_conv(field, self._across, padding="same")
        return field * self._scale

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training or self.alpha == 0:
            return inputs
        field = self.displacement(ops.shape(inputs)[0])
        grid_r, grid_c = self._grid
        warped = bilinear_sample(inputs[..., 0], grid_r + field[..., 0], grid_c + field[..., 1])
        return ops.expand_dims(warped, -1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
