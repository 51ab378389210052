"""A PCA size from a space made for 28x28 digits still fits 8x8 ones."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits

from mnistbench.models import ModelSpec, available_models
from mnistbench.models.build import build_model
from mnistbench.models.pca import CappedPCA


def test_more_components_than_features_keeps_every_feature():
    X = np.random.default_rng(0).random((200, 64))
    pca = CappedPCA(150, random_state=0)
    assert pca.fit_transform(X).shape == (200, 64)
    assert pca.n_components_ == 64
    assert pca.get_params()["n_components"] == 150  # what was asked, as scikit-learn expects
    assert clone(pca).fit(X).transform(X).shape == (200, 64)
    assert CappedPCA(10).fit(X).transform(X).shape == (200, 10)


PCA_MODELS = [e.name for e in available_models() if "pca_components" in e.cls.defaults]


@pytest.mark.parametrize("name", PCA_MODELS)
def test_every_pca_model_fits_8x8_digits_with_a_pca_larger_than_them(name):
    digits = load_digits()
    X, y = digits.data[:600].astype(np.float32) / 16, digits.target[:600]
    model = build_model(ModelSpec(name).with_resolved({"pca_components": 100}), seed=0)
    accuracy = np.mean(model.fit(X[:500], y[:500]).predict(X[500:]) == y[500:])
    assert accuracy > 0.5  # it fits and learns (chance: 0.1)
