"""The tuned profiles shipped with mnistbench: each one still applies to the model
parameters and the split it was made for, so ``X@tuned`` runs where a user expects it to.

A change to a model's defaults or search space makes its shipped profile stale: this test
then fails, and the profile is made again with the command in its provenance (the
performance docs give the budgets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnistbench.data import load_dataset, make_split
from mnistbench.errors import DataError
from mnistbench.models import ModelSpec
from mnistbench.results.tuned_profile import (
    SHIPPED_PROFILES,
    parameter_version,
    read_profile,
    resolve_tuned,
)
from tests.conftest import mnist_dir

SHIPPED = sorted(SHIPPED_PROFILES.glob("*.json"))


def _data_dir(dataset: str) -> Path | None:
    """Where the data set's files are in CI (``None``: the loader's own search)."""
    if dataset == "mnist":
        found = mnist_dir()
        if found is None:
            pytest.skip("full MNIST not available: set MNISTBENCH_DATA_DIR to its IDX files")
        return found
    return None


def test_profiles_are_shipped_for_the_data_sets_the_docs_name():
    assert {p.stem for p in SHIPPED} >= {"mnist", "fashion-mnist"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_profile_is_current_for_every_model_it_holds(path):
    profile = read_profile(path)
    assert profile.dataset == path.stem
    assert profile.models and profile.budget["text"]
    assert profile.provenance["command"][:2] == ["mnistbench", "tune"]
    for name, model in profile.models.items():
        assert model.parameter_version == parameter_version(name), (
            f"{path.name}: {name}'s parameters changed since it was tuned; tune it again "
            f"({' '.join(profile.provenance['command'])})"
        )


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_shipped_profile_resolves_on_its_data_set_s_default_split(path):
    profile = read_profile(path)
    try:
        dataset = load_dataset(profile.dataset, data_dir=_data_dir(profile.dataset), download=False)
    except DataError as exc:  # the data is not on this machine: nothing to check against
        pytest.skip(f"{profile.dataset} not available here: {exc}")
    split = make_split(dataset)
    specs = [ModelSpec(name, "tuned") for name in profile.models]
    resolved, used = resolve_tuned(specs, dataset.name, split.fingerprint)
    assert used is not None and Path(used["path"]) == path
    for spec in resolved:  # JSON lists come back as the parameters' tuples
        params = profile.models[spec.name].params
        assert dict(spec.resolved) == {
            k: tuple(v) if isinstance(v, list) else v for k, v in params.items()
        }
