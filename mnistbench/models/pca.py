"""PCA for search spaces shared by data sets of different sizes: a study's component count
is capped at what the data holds, so one space serves 8x8 digits and 28x28 ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.decomposition import PCA


class CappedPCA(PCA):
    """scikit-learn's PCA keeping at most min(samples, features) components: asked for 150
    on 64-pixel digits it keeps 64 (``n_components_`` says how many), where PCA raises."""

    @contextmanager
    def _capped(self, X: Any) -> Iterator[None]:
        asked = self.get_params()["n_components"]
        shape = np.shape(X)
        if isinstance(asked, int | np.integer) and len(shape) == 2 and asked > min(shape):
            self.set_params(n_components=int(min(shape)))
            try:
                yield
            finally:
                self.set_params(n_components=asked)  # get_params says what was asked
        else:
            yield

    def fit(self, X: Any, y: Any = None) -> CappedPCA:
        with self._capped(X):
            super().fit(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        with self._capped(X):
            return super().fit_transform(X, y)
