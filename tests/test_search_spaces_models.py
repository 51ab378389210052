"""Every model's search space, declared in its own file, holds its tuned defaults (so a
study's first trial is the tuned default) and samples configurations the registry accepts;
the conformance kit says so for any model, and names a space that breaks either rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from mnistbench.models import (
    ModelEntry,
    ModelSpec,
    get_model,
    register,
    registered_models,
    unregister,
)
from mnistbench.models.builtin.knn import KNNModel
from mnistbench.models.search_space import Choice, Int, Param, SearchSpace, sample_many
from mnistbench.models.specs import validate_spec
from mnistbench.testing import ConformanceError, check_model

BUILTIN = [
    e for e in registered_models() if e.cls.__module__.startswith("mnistbench.models.builtin.")
]
SPACE_CHECK = "search space holds the defaults and samples valid specs"


@pytest.mark.parametrize("entry", BUILTIN, ids=lambda e: e.name)
def test_every_builtin_model_tunes_its_own_parameters_and_holds_its_defaults(entry):
    space = entry.cls.search_space
    assert isinstance(space, SearchSpace), f"{entry.name} declares no search space"
    assert set(space.names) <= set(entry.cls.defaults)
    assert space.outside(entry.cls.defaults) == []
    # the first trial a study enqueues is the tuned default: every tuned parameter that
    # applies to it is there, with the default's value
    first = space.restrict(entry.cls.defaults)
    assert first and all(first[k] == entry.cls.defaults[k] for k in first)
    assert space.sample(_Replay(first), entry.cls.defaults) == first


@pytest.mark.parametrize("entry", BUILTIN, ids=lambda e: e.name)
def test_sampled_configurations_are_valid_specs_inside_the_space(entry):
    if not entry.available:
        pytest.skip(f"{entry.name}: {entry.unavailable_reason}")
    space = entry.cls.search_space
    assert space is not None
    for params in sample_many(space, 25, seed=100):
        spec = validate_spec(ModelSpec(entry.name, None, tuple(sorted(params.items()))))
        model = get_model(spec)
        model.check_params()
        assert {k: model.get_params()[k] for k in params} == params
        assert space.outside(model.get_params()) == []


class _Replay:
    """A trial that suggests given values (what Optuna does with an enqueued trial)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        return self.values[name]

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False):
        return self.values[name]

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        value = self.values[name]
        return value if value in choices else repr(value)


class StrayDefaultKNN(KNNModel):
    """Its space leaves the tuned default (4 neighbours) out."""

    search_space: ClassVar[SearchSpace | None] = SearchSpace((Param("n_neighbors", Int(5, 9)),))


class InvalidSampleKNN(KNNModel):
    """Its space samples a weighting scikit-learn refuses."""

    search_space: ClassVar[SearchSpace | None] = SearchSpace(
        (Param("weights", Choice(("distance", "nearest"))),)
    )


@pytest.fixture
def broken_spaces() -> Iterator[None]:
    names = {"stray_default_knn": StrayDefaultKNN, "invalid_sample_knn": InvalidSampleKNN}
    for name, cls in names.items():
        register(ModelEntry(name, cls, f"deliberately broken: {cls.__doc__}"))
    yield
    for name in names:
        unregister(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("stray_default_knn", "the tuned defaults of n_neighbors lie outside it"),
        ("invalid_sample_knn", "is not a valid spec: invalid_sample_knn:weights=nearest: "),
    ],
)
def test_the_kit_names_a_space_that_misses_its_defaults_or_samples_invalid_specs(
    broken_spaces, name, reason
):
    with pytest.raises(ConformanceError) as info:
        check_model(name)
    assert set(info.value.report.failures) == {SPACE_CHECK}
    assert reason in info.value.report.failures[SPACE_CHECK]


def test_the_kit_checks_the_space_of_a_model_that_declares_one():
    report = check_model("knn")
    assert SPACE_CHECK in report.checks and report.ok
