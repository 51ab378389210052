"""Search spaces sample what they declare, conditions included, through Optuna's trial
interface (a real Optuna trial where Optuna is installed) and the kit's RandomTrial."""

from __future__ import annotations

import pytest

from mnistbench.models.search_space import (
    Choice,
    Float,
    Int,
    Param,
    RandomTrial,
    SearchSpace,
    sample_many,
)

SPACE = SearchSpace(
    (
        Param("kernel", Choice(("rbf", "poly"))),
        Param("C", Float(1e-2, 1e3, log=True)),
        Param("degree", Int(2, 5), when={"kernel": ("poly",)}),
        Param("hidden", Choice(((64,), (128, 64)))),
        Param("n", Int(10, 200, step=10)),
    )
)


def test_samples_lie_in_their_distributions_and_conditions_hold():
    seen_kernels = set()
    for params in sample_many(SPACE, 200):
        seen_kernels.add(params["kernel"])
        assert 1e-2 <= params["C"] <= 1e3
        assert ("degree" in params) == (params["kernel"] == "poly")
        assert params["hidden"] in ((64,), (128, 64))
        assert params["n"] % 10 == 0 and 10 <= params["n"] <= 200
        assert SPACE.outside(params) == []
    assert seen_kernels == {"rbf", "poly"}


def test_a_seed_gives_the_same_configuration():
    assert SPACE.sample(RandomTrial(7)) == SPACE.sample(RandomTrial(7))


def test_restrict_keeps_what_the_space_tunes_and_outside_names_strays():
    defaults = {"kernel": "rbf", "C": 5.0, "degree": 3, "hidden": (64,), "n": 100, "tol": 1e-3}
    assert SPACE.restrict(defaults) == {"kernel": "rbf", "C": 5.0, "hidden": (64,), "n": 100}
    assert SPACE.outside({**defaults, "C": 1e6, "n": 105}) == ["C", "n"]


def test_a_condition_on_a_later_parameter_or_a_twice_declared_one_is_refused():
    with pytest.raises(ValueError, match="not declared before"):
        SearchSpace(
            (
                Param("degree", Int(2, 5), when={"kernel": ("poly",)}),
                Param("kernel", Choice(("rbf", "poly"))),
            )
        )
    with pytest.raises(ValueError, match="twice"):
        SearchSpace((Param("C", Float(1, 2)), Param("C", Float(1, 2))))


def test_a_condition_on_an_untuned_parameter_reads_the_starting_configuration():
    space = SearchSpace(
        (
            Param("C", Float(1.0, 10.0)),
            Param("degree", Int(2, 5), when={"kernel": ("poly",)}),
            Param("gamma", Float(0.01, 0.1), when={"kernel": ("rbf",)}),
        )
    )
    poly = space.sample(RandomTrial(0), {"kernel": "poly", "degree": 3})
    rbf = space.sample(RandomTrial(0), {"kernel": "rbf", "gamma": 0.03})
    assert sorted(poly) == ["C", "degree"]
    assert sorted(rbf) == ["C", "gamma"]
    assert space.restrict({"kernel": "rbf", "C": 5.0, "degree": 3, "gamma": 0.03}) == {
        "C": 5.0,
        "gamma": 0.03,
    }


def test_an_optuna_trial_samples_the_space():
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    for _ in range(15):
        trial = study.ask()
        params = SPACE.sample(trial)
        assert SPACE.outside(params) == []
        study.tell(trial, params["C"])
    # tuple choices travel through Optuna as their repr and come back as tuples
    assert all(
        SPACE.sample(optuna.trial.FixedTrial(t.params))["hidden"] in ((64,), (128, 64))
        for t in study.trials
    )
