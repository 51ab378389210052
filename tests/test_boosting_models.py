"""XGBoost and LightGBM (the ``boost`` extra): the per-round history is the libraries' own
evaluation and agrees with the fitted model, the weight images count the trees' splits,
threads come from the run's limit, and importing mnistbench never imports either library."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.metrics import log_loss

from mnistbench.models import get_entry, get_model
from mnistbench.models.threads import limit_threads
from mnistbench.testing import check_model

BOOSTERS = ("xgboost", "lightgbm")


def _fit(name, split, rounds=6, **params):
    pytest.importorskip(name)
    model = get_model(name, n_estimators=rounds, **params)
    seen = []
    model.fit(
        split.X_train,
        split.y_train,
        validation_data=(split.X_val, split.y_val),
        epoch_callback=lambda epoch, n, row: seen.append((epoch, n)),
    )
    return model, seen


@pytest.mark.parametrize("name", BOOSTERS)
def test_the_history_is_the_fitted_model_scored_every_round(name, digits_split):
    model, seen = _fit(name, digits_split)
    rows = model.history
    assert [r["epoch"] for r in rows] == list(range(1, 7))
    assert seen == [(e, 6) for e in range(1, 7)]
    last = rows[-1]
    X_val, y_val = digits_split.X_val, digits_split.y_val
    assert last["val_accuracy"] == pytest.approx(np.mean(model.predict(X_val) == y_val))
    assert last["accuracy"] == pytest.approx(
        np.mean(model.predict(digits_split.X_train) == digits_split.y_train)
    )
    assert last["val_loss"] == pytest.approx(
        log_loss(y_val, model.predict_proba(X_val), labels=model.classes_), rel=1e-4
    )
    losses = [r["loss"] for r in rows]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))  # boosting descends
    assert np.mean(model.predict(digits_split.X_test) == digits_split.y_test) > 0.85


@pytest.mark.parametrize("name", BOOSTERS)
def test_weight_images_count_every_split_of_every_tree(name, digits_split):
    model, _ = _fit(name, digits_split, rounds=4)
    n_trees = 4 * len(model.classes_)
    splits = model.weight_images().sum()
    # binary trees: one more leaf than splits, n_parameters counts both
    assert splits == (model.n_parameters - n_trees) / 2
    assert model.weight_images().shape == (1, 8, 8)


def _threads_used(model) -> int:
    booster = model.booster_
    if hasattr(booster, "save_config"):  # XGBoost
        return int(json.loads(booster.save_config())["learner"]["generic_param"]["nthread"])
    return int(booster.params["num_threads"])


@pytest.mark.parametrize("name", BOOSTERS)
def test_all_cores_means_the_runs_threads(name, digits_split):
    with limit_threads(1):
        model, _ = _fit(name, digits_split, rounds=2)
    assert _threads_used(model) == 1
    with limit_threads(1):
        model, _ = _fit(name, digits_split, rounds=2, n_jobs=2)
    assert _threads_used(model) == 2


@pytest.mark.parametrize("name", BOOSTERS)
def test_the_library_defaults_preset_conforms(name):
    pytest.importorskip(name)
    assert check_model(f"{name}@defaults").ok
    assert get_entry(name).install == 'pip install "mnistbench[boost]"'


def test_importing_mnistbench_never_imports_the_boosting_libraries():
    code = textwrap.dedent("""
        import sys
        import mnistbench, mnistbench.cli, mnistbench.testing
        from mnistbench.models import available_models, get_model, select_models
        select_models("all")
        [get_model(e.name) for e in available_models() if e.name in ("xgboost", "lightgbm")]
        loaded = sorted({"xgboost", "lightgbm"} & set(sys.modules))
        assert not loaded, loaded
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
