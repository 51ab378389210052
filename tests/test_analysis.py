"""Aggregates over seeds and the as-written-vs-tuned pairing with its targets."""

from __future__ import annotations

import pandas as pd
import pytest

from mnistbench.analysis import SPEED_TARGETS, aggregate, speedup_totals, speedups


def _row(spec, seed, accuracy, fit, predict, dataset="mnist", scheme="official"):
    model, _, preset = spec.partition("@")
    return {"spec": spec, "model": model, "preset": preset or None, "family": "classical",
            "seed": seed, "status": "ok", "dataset": dataset, "split_scheme": scheme,
            "accuracy": accuracy, "error_rate": 1 - accuracy, "fit_wall_s": fit,
            "predict_s": predict}


def test_aggregate_gives_mean_spread_and_count():
    frame = pd.DataFrame([_row("knn", 0, 0.96, 1.0, 2.0), _row("knn", 1, 0.98, 3.0, 2.0),
                          {**_row("sgd", 0, 0.9, 1.0, 1.0), "status": "error"}])
    agg = aggregate(frame).set_index("spec")
    assert list(agg.index) == ["knn"]
    assert agg.loc["knn", "accuracy"] == pytest.approx(0.97)
    assert agg.loc["knn", "fit_wall_s_std"] == pytest.approx(1.4142, rel=1e-3)
    assert agg.loc["knn", "n_seeds"] == 2


def _full_suite(knn_predict_tuned: float) -> pd.DataFrame:
    rows = []
    for model, target in SPEED_TARGETS.items():
        rows.append(_row(f"{model}@seed", 0, target.min_accuracy - 0.01, 100.0, 100.0))
        predict = knn_predict_tuned if model == "knn" else 1.0
        rows.append(_row(model, 0, target.min_accuracy + 0.001, 10.0, predict))
    return pd.DataFrame(rows)


def test_speedups_and_targets_on_full_mnist():
    pairs = speedups(_full_suite(knn_predict_tuned=1.0)).set_index("tuned")
    assert pairs.loc["cnn", "fit_speedup"] == pytest.approx(10.0)
    assert pairs.loc["knn", "predict_speedup"] == pytest.approx(100.0)
    assert pairs.loc["knn", "accuracy_gain"] == pytest.approx(0.011)
    assert pairs["target_met"].all()
    totals = speedup_totals(pairs.reset_index())
    assert totals["models"] == 6 and totals["all_targets_met"] is True
    assert totals["speedup"] == pytest.approx(1200 / (6 * 10 + 5 * 1 + 1))


def test_a_missed_target_is_reported():
    pairs = speedups(_full_suite(knn_predict_tuned=4.0)).set_index("tuned")  # 25x, not 50x
    assert not pairs.loc["knn", "target_met"]
    assert speedup_totals(pairs.reset_index())["all_targets_met"] is False


def test_no_targets_off_full_mnist():
    frame = pd.DataFrame([_row("knn@seed", 0, 0.9, 1, 1, dataset="digits", scheme="stratified"),
                          _row("knn", 0, 0.95, 1, 1, dataset="digits", scheme="stratified")])
    pairs = speedups(frame)
    assert len(pairs) == 1 and "target_met" not in pairs.columns
    assert speedup_totals(pairs)["all_targets_met"] is None
