"""What each model sees (issue 12): probe digits, occlusion maps, input gradients, curves
of classical models, and that none of it touches a recorded clock or a fitted model."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mnistbench.harness.runner as runner
from mnistbench.harness.runner import Task, run_task
from mnistbench.harness.saliency import choose_probes, occlusion_maps, patch_size
from mnistbench.models import get_model, parse_spec
from mnistbench.models.sklearn_curves import pipeline_curve


def test_probes_come_from_the_split_alone(digits_split):
    s = digits_split
    index, hard = choose_probes(s.X_train, s.y_train, s.X_test, s.y_test)
    again, _ = choose_probes(s.X_train, s.y_train, s.X_test, s.y_test)
    np.testing.assert_array_equal(index, again)
    assert len(set(index.tolist())) == len(index) == 12
    assert hard.tolist() == [False] * 4 + [True] * 8
    easy_classes = s.y_test[index[~hard]]
    assert len(set(easy_classes.tolist())) == len(easy_classes)  # one per class
    # The hard ones are nearer another class mean than their own: nearest-centroid errors.
    means = np.stack([s.X_train[s.y_train == c].mean(0) for c in range(10)])
    nearest = np.argmin(((s.X_test[index][:, None] - means[None]) ** 2).sum(-1), axis=1)
    assert (nearest[hard] != s.y_test[index][hard]).mean() >= 0.5
    assert (nearest[~hard] == s.y_test[index][~hard]).all()


def test_patches_are_coarse():
    assert patch_size((8, 8)) == 2 and patch_size((28, 28)) == 4


def _must_agree(W, X, fill, image_shape, patch, top):
    """For a multinomial linear model, the sign the occlusion drop must have, per patch
    (0 where the weights alone cannot tell): occluding changes logit c by W_c·(fill-x);
    if the top class loses against every other class, its probability must fall."""
    h, w = image_shape
    signs = np.zeros((len(X), h, w))
    for n, x in enumerate(X):
        img, f = x.reshape(h, w), fill.reshape(h, w)
        for r in range(0, h, patch):
            for c in range(0, w, patch):
                delta = np.zeros((h, w))
                delta[r : r + patch, c : c + patch] = (f - img)[r : r + patch, c : c + patch]
                change = W @ delta.ravel()  # each logit's change
                rel = change[top[n]] - np.delete(change, top[n])
                if (rel < -1e-9).all():
                    signs[n, r : r + patch, c : c + patch] = 1  # must fall: positive drop
                elif (rel > 1e-9).all():
                    signs[n, r : r + patch, c : c + patch] = -1
    return signs


def test_occlusion_of_a_linear_model_agrees_with_its_weights(digits_split):
    s = digits_split
    model = LogisticRegression(max_iter=300).fit(s.X_train, s.y_train)
    X = s.X_test[:20]
    fill = s.X_train.mean(axis=0)
    maps, top = occlusion_maps(model.predict_proba, X, s.image_shape, fill)
    assert maps.shape == (20, 8, 8)
    np.testing.assert_array_equal(top, model.predict_proba(X).argmax(1))
    must = _must_agree(model.coef_, X, fill, s.image_shape, patch_size(s.image_shape), top)
    decided = must != 0
    assert decided.sum() > 50  # the check has teeth
    assert (np.sign(maps[decided]) == must[decided]).all()
    # The map is the real drop: occluding the top-left patch by hand gives the same value.
    x = X[0].reshape(8, 8).copy()
    x[:2, :2] = fill.reshape(8, 8)[:2, :2]
    p0 = model.predict_proba(X[:1])[0, top[0]]
    p1 = model.predict_proba(x.reshape(1, -1))[0, top[0]]
    assert maps[0, 0, 0] == pytest.approx(p0 - p1, abs=1e-6)


@pytest.fixture(scope="module")
def softmax_model(digits_split):
    s = digits_split
    return get_model(parse_spec("softmax:epochs=3,min_steps=0")).fit(s.X_train, s.y_train)


@pytest.fixture(scope="module")
def sigmoid_mlp(digits_split):
    s = digits_split
    spec = parse_spec("mlp:epochs=2,min_steps=0,hidden_units=(16,),activation=sigmoid,dropout=0.0")
    return get_model(spec).fit(s.X_train, s.y_train)


@pytest.mark.parametrize("which", ["softmax_model", "sigmoid_mlp"])
def test_keras_gradients_match_finite_differences(which, request, digits_split):
    model = request.getfixturevalue(which)
    X = digits_split.X_test[:3].astype(np.float64)
    grads = model.input_gradients(X)
    assert grads.shape == (3, 10, 64)
    eps = 1e-2
    for n in range(len(X)):
        cls = int(model.predict_proba(X[n : n + 1]).argmax())
        for pixel in np.argsort(-np.abs(grads[n, cls]))[:4]:
            up, down = X[n : n + 1].copy(), X[n : n + 1].copy()
            up[0, pixel] += eps
            down[0, pixel] -= eps
            estimate = (model.predict_proba(up)[0, cls] - model.predict_proba(down)[0, cls]) / (
                2 * eps
            )
            assert grads[n, cls, pixel] == pytest.approx(estimate, rel=0.05, abs=2e-4)


def test_occlusion_of_keras_softmax_agrees_with_its_kernel(softmax_model, digits_split):
    s = digits_split
    X, fill = s.X_test[:20], s.X_train.mean(axis=0)
    maps, top = occlusion_maps(softmax_model.predict_proba, X, s.image_shape, fill)
    W = np.asarray(softmax_model.model_.layers[-1].kernel).T  # (classes, pixels)
    must = _must_agree(W, X, fill, s.image_shape, patch_size(s.image_shape), top)
    decided = must != 0
    assert decided.sum() > 50
    assert (np.sign(maps[decided]) == must[decided]).all()


def test_saliency_adds_no_time_to_any_clock(digits_split, monkeypatch):
    """Saliency and curves run after every clock has stopped: made slow on purpose, they
    show in no recorded time, and no clock is running while they work."""
    import mnistbench.harness.timing as timing

    clock_running = []
    real_timed_phase, real_probe, real_curve = (
        runner.timed_phase,
        runner.probe_arrays,
        runner.training_curve,
    )

    def watched_phase(*args, **kwargs):
        clock_running.append(True)
        try:
            return real_timed_phase(*args, **kwargs)
        finally:
            clock_running.pop()

    def slow(real):
        def wrapper(*args, **kwargs):
            assert not clock_running, "saliency ran inside a timed phase"
            time.sleep(0.4)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(runner, "timed_phase", watched_phase)
    monkeypatch.setattr(timing, "timed_phase", watched_phase)
    monkeypatch.setattr(runner, "probe_arrays", slow(real_probe))
    monkeypatch.setattr(runner, "training_curve", slow(real_curve))
    record, arrays = run_task(Task(parse_spec("sgd"), 0), digits_split, threads=1)
    assert record.status == "ok", record.error
    t = record.timing
    for value in (t.fit_wall_s, t.fit_wall_min_s, t.predict_s, t.latency_p95_s):
        assert value < 0.3, t
    for phase in t.phases.values():
        assert phase.wall_s < 0.4 * phase.repeats + 0.3
    assert "occlusion_decision" in arrays and record.history


def test_sgd_curve_is_a_replay_that_leaves_the_model_alone(digits_split):
    """SGD's history is replayed on a copy: the fitted model, its predictions (the CI gate's
    error rates) and its timings are those of the plain fit."""
    s = digits_split
    record, arrays = run_task(Task(parse_spec("sgd"), 0), s, threads=1)
    plain = get_model(parse_spec("sgd")).fit(s.X_train, s.y_train)
    np.testing.assert_array_equal(arrays["y_pred"], plain.predict(s.X_test))
    before = plain.decision_function(s.X_test)
    rows = plain.training_curve(s.X_train, s.y_train, validation_data=(s.X_val, s.y_val))
    np.testing.assert_array_equal(plain.decision_function(s.X_test), before)
    assert len(rows) == plain.pipeline_[-1].n_iter_ == len(record.history)
    assert all(r["replay"] == 1.0 and "hinge_loss" in r and "val_accuracy" in r for r in rows)
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    assert np.all(np.diff([r["elapsed_s"] for r in rows]) > 0)
    # Mistakes of a model without probabilities are ranked by decision margin.
    margins = arrays["mistake_margin"]
    assert len(margins) == len(arrays["mistake_index"]) and np.all(np.diff(margins) <= 0)
    assert "probe_proba" not in arrays and arrays["probe_decision"].shape == (12, 10)


def test_curves_of_iterating_scikit_learn_estimators(digits_split):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    s = digits_split
    val = (s.X_val, s.y_val)
    boost = Pipeline([("clf", HistGradientBoostingClassifier(max_iter=5, random_state=0))])
    boost.fit(s.X_train, s.y_train)
    rows = pipeline_curve(boost, s.X_train, s.y_train, val)
    assert len(rows) == 5 and rows[-1]["loss"] < rows[0]["loss"]
    final = boost.predict_proba(s.X_val)
    assert rows[-1]["val_accuracy"] == pytest.approx(
        np.mean(boost.classes_[final.argmax(1)] == s.y_val)
    )
    mlp = Pipeline(
        [("scale", StandardScaler()), ("clf", MLPClassifier((16,), max_iter=4, random_state=0))]
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.fit(s.X_train, s.y_train)
    rows = pipeline_curve(mlp, s.X_train, s.y_train, val)
    assert [r["loss"] for r in rows] == pytest.approx(mlp[-1].loss_curve_)
    lr = Pipeline([("clf", LogisticRegression(max_iter=500))]).fit(s.X_train, s.y_train)
    assert pipeline_curve(lr, s.X_train, s.y_train, val) == []


def test_keras_task_stores_gradients_and_probe_answers(digits_split):
    record, arrays = run_task(
        Task(parse_spec("softmax:epochs=1,min_steps=0"), 0), digits_split, threads=1
    )
    assert record.status == "ok", record.error
    assert arrays["saliency_grad"].shape == (12, 10, 8, 8)
    assert arrays["occlusion"].shape == (12, 8, 8)
    np.testing.assert_allclose(arrays["probe_proba"], arrays["proba"][arrays["probe_index"]])
    np.testing.assert_array_equal(arrays["probe_true"], digits_split.y_test[arrays["probe_index"]])
    assert arrays["probe_image"].dtype == np.uint8 and float(arrays["probe_seconds"]) < 5
    assert len(record.history) == 1 and "replay" not in record.history[0]
