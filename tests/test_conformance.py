"""Every registered model passes the conformance kit; broken models fail it, saying why."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline

from mnistbench.models import (
    ModelEntry,
    available_models,
    parse_spec,
    register,
    registered_models,
    unregister,
)
from mnistbench.models.builtin.knn import KNNModel
from mnistbench.models.builtin.linear_svc import LinearSVCModel
from mnistbench.models.sklearn_base import LinearSklearnModel
from mnistbench.testing import ConformanceError, ConformanceReport, check_model
from tests.optional_models import REASON, absent_model


@pytest.mark.parametrize("name", [entry.name for entry in registered_models()])
def test_every_registered_model_conforms(name):
    report = check_model(name)
    if report.skipped:  # its optional packages are not installed
        pytest.skip(f"{name}: {report.skipped}")
    assert isinstance(report, ConformanceReport) and report.ok
    assert len(report.checks) >= 12


def test_an_unavailable_model_is_skipped_with_the_reason():
    with absent_model() as entry:
        report = check_model(entry.name)
        assert report.skipped == f"unavailable: {REASON}"
        assert not report.ok and report.checks == [] and report.failures == {}
        assert str(report) == f"needs_absent skipped: unavailable: {REASON}"
        assert check_model(f"{entry.name}@small:n_neighbors=2").skipped == report.skipped
        expected = re.escape(f"needs_absent: unavailable: {REASON}")
        with pytest.raises(pytest.skip.Exception, match=expected):
            test_every_registered_model_conforms(entry.name)


def test_check_model_takes_a_parsed_spec_and_keeps_its_overrides():
    report = check_model(parse_spec("mlp@seed:hidden_units=(16,)"))
    assert report.spec == "mlp@notebook:epochs=2,hidden_units=(16,),min_steps=0"


class InputBlindKNN(KNNModel):
    """predict ignores the digit it is given."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


class FlatTemplatesSVC(LinearSVCModel):
    """Per-class templates returned as flat rows instead of images."""

    def weight_images(self) -> np.ndarray:
        return super().weight_images().reshape(len(self.classes_), -1, 1)


class UnseededSGD(LinearSklearnModel):
    """Ignores its random_state, so two fits with one seed differ."""

    defaults: ClassVar[dict[str, Any]] = {"max_iter": 3, "random_state": 0}

    def make_pipeline(self) -> Pipeline:
        clf = SGDClassifier(max_iter=self.max_iter, tol=None, random_state=None)
        return Pipeline([("clf", clf)])


@pytest.fixture
def broken() -> Iterator[None]:
    names = []
    for name, cls in (
        ("blind_knn", InputBlindKNN),
        ("flat_svc", FlatTemplatesSVC),
        ("unseeded_sgd", UnseededSGD),
    ):
        register(ModelEntry(name, cls, f"deliberately broken: {cls.__doc__}"))
        names.append(name)
    yield
    for name in names:
        unregister(name)


@pytest.mark.parametrize(
    ("name", "failed"),
    [
        (
            "blind_knn",
            {
                "predict_proba rows sum to 1 and agree with predict": (
                    "predict agrees with argmax(predict_proba) on only"
                ),
                "predict_with_proba agrees with predict and predict_proba": (
                    "predict_with_proba labels differ from predict"
                ),
            },
        ),
        (
            "flat_svc",
            {
                "weight_images": "weights_per_class: weight_images shape (10, 64, 1), "
                "expected (10, 8, 8)"
            },
        ),
        (
            "unseeded_sgd",
            {
                "same random_state, same predictions": (
                    "a second fit with the same random_state agrees on only"
                )
            },
        ),
    ],
)
def test_broken_models_fail_with_every_reason(broken, name, failed):
    with pytest.raises(ConformanceError) as info:
        check_model(name)
    assert isinstance(info.value, AssertionError)
    report = info.value.report
    assert set(report.failures) == set(failed)
    message = str(info.value)
    assert f"{name} fails {len(failed)} of {len(report.checks)} conformance checks" in message
    for check, reason in failed.items():
        assert f"- {check}: {reason}" in message


def test_broken_models_are_unregistered_afterwards():
    assert not {"blind_knn", "flat_svc", "unseeded_sgd"} & {e.name for e in available_models()}
