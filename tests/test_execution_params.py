"""Execution settings (``execution_params``) change how a model runs, never a tuned
profile's parameter version; ``jit_compile`` reaches Keras."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from mnistbench.models import get_entry, get_model, parse_spec, registered_models
from mnistbench.models.base import BenchModel
from mnistbench.models.keras_base import KerasModel
from mnistbench.results.tuned_profile import parameter_version

NAMES = [entry.name for entry in registered_models()]


def version_before_execution_params(cls: type[BenchModel], dropped: frozenset[str]) -> str:
    """``parameter_version`` as it was before execution settings existed (every default
    hashed), over the defaults without the keys added since (``dropped``)."""
    text = json.dumps(
        {
            "defaults": {k: repr(v) for k, v in sorted(cls.defaults.items()) if k not in dropped},
            "space": repr(cls.search_space),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", NAMES)
def test_execution_settings_leave_every_models_parameter_version_as_it_was(name):
    cls = get_entry(name).cls
    assert cls.execution_params <= set(cls.defaults)
    # The hash of the defaults without the new settings is the one profiles made today carry.
    assert parameter_version(name) == version_before_execution_params(cls, cls.execution_params)


@pytest.mark.parametrize("name", [n for n in NAMES if issubclass(get_entry(n).cls, KerasModel)])
def test_the_keras_models_hash_would_change_if_jit_compile_were_hashed(name):
    cls = get_entry(name).cls
    assert cls.execution_params == {"jit_compile"}
    # steps_per_execution stays hashed: leaving it out would change today's versions.
    assert "steps_per_execution" in cls.defaults and "steps_per_execution" not in (
        cls.execution_params
    )
    assert parameter_version(name) != version_before_execution_params(cls, frozenset())


def test_a_model_without_execution_settings_hashes_every_default():
    assert BenchModel.execution_params == frozenset()
    assert get_entry("knn").cls.execution_params == frozenset()
    cls = get_entry("knn").cls
    assert parameter_version("knn") == version_before_execution_params(cls, frozenset())


def test_jit_compile_is_off_by_default_and_set_by_a_spec():
    assert get_model("cnn").jit_compile is False
    assert get_model("cnn@notebook").jit_compile is False
    assert get_model(parse_spec("cnn:jit_compile=True")).jit_compile is True


def test_jit_compile_reaches_keras_and_the_model_still_learns(digits_split):
    s = digits_split
    fitted = {}
    for jit in (False, True):
        model = get_model(f"softmax:epochs=2,jit_compile={jit}")
        fitted[jit] = model.fit(s.X_train, s.y_train)
        assert fitted[jit].model_.jit_compile is jit
        assert np.mean(model.predict(s.X_val) == s.y_val) > 0.5
    # Same layers, same count of arithmetic: XLA changes how it runs, not what it computes.
    assert fitted[True].flops_per_epoch == fitted[False].flops_per_epoch
