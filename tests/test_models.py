"""Every registry model and preset trains on digits and honours the BenchModel protocol."""

from __future__ import annotations

import numpy as np
import pytest

from mnistbench.models import DEFAULT_MODELS, get_entry, get_model, parse_spec

ALL_SPECS = [*DEFAULT_MODELS, *(f"{m}@notebook" for m in DEFAULT_MODELS)]
# Below what each reaches on digits (0.85-0.99); a broken model sits near 0.1.
MIN_ACCURACY = 0.8


@pytest.fixture(scope="module")
def fitted(digits_split):
    """Fit each spec once (real defaults and presets) for the checks below."""
    models = {}
    s = digits_split
    for spec in ALL_SPECS:
        models[spec] = get_model(spec).fit(s.X_train, s.y_train, validation_data=(s.X_val, s.y_val))
    return models


@pytest.mark.slow
@pytest.mark.parametrize("spec", ALL_SPECS)
def test_model_learns_digits(fitted, digits_split, spec):
    model = fitted[spec]
    s = digits_split
    y_pred = model.predict(s.X_test)
    assert y_pred.shape == s.y_test.shape
    assert np.mean(y_pred == s.y_test) >= MIN_ACCURACY
    labels, proba = model.predict_with_proba(s.X_test)
    np.testing.assert_array_equal(labels, y_pred)
    if proba is not None:
        assert proba.shape == (len(s.X_test), 10)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
    assert model.n_parameters > 0


@pytest.mark.slow
@pytest.mark.parametrize("spec", ALL_SPECS)
def test_weight_images(fitted, spec):
    model = fitted[spec]
    images = model.weight_images()
    assert images.ndim == 3 and np.isfinite(images).all()
    if model.weights_per_class:
        assert images.shape == (10, 8, 8)  # one template per class
    elif hasattr(model, "hidden_units"):  # mlp: first-layer units
        assert images.shape == (model.hidden_units[0], 8, 8)
    else:  # cnn: first-layer filters
        assert images.shape == (model.filters[0], model.kernel_size, model.kernel_size)


def test_models_own_their_weight_kind_threads_and_quick_parameters():
    """What the report, the harness and the asv profiles used to decide by model name."""
    per_class = {name: get_entry(name).cls.weights_per_class for name in DEFAULT_MODELS}
    assert per_class == {
        "linear_svc": True,
        "sgd": True,
        "knn": True,
        "softmax": True,
        "mlp": False,
        "cnn": False,
    }
    assert get_entry("knn").cls.weight_caption.startswith("class means")
    assert get_entry("cnn").cls.weight_caption == "first-layer filters"
    assert get_entry("mlp").cls.weight_caption == "first-layer units"
    assert get_entry("softmax").cls.quick_params == {"epochs": 2, "min_steps": 0}
    assert get_entry("knn").cls.quick_params == {}
    # the runtime a thread limit starts for the model; none of them keeps a thread count
    assert get_entry("softmax").cls.thread_runtimes == ("tensorflow",)
    assert get_entry("knn").cls.thread_runtimes == ()
    assert not any(hasattr(get_entry(n).cls, "configure_threads") for n in DEFAULT_MODELS)


def test_keras_pickle_keeps_the_network_and_the_original(digits_split):
    """Pickling a fitted Keras model must neither lose its network nor strip the original."""
    import pickle

    s = digits_split
    model = get_model("softmax:epochs=2,min_steps=0").fit(s.X_train, s.y_train)
    before = model.predict_proba(s.X_test)
    twin = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(twin.predict_proba(s.X_test), before)
    np.testing.assert_array_equal(model.predict_proba(s.X_test), before)
    assert twin.history == model.history


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec", [s for s in ALL_SPECS if s.split("@")[0] in ("softmax", "mlp", "cnn")]
)
def test_keras_history(fitted, spec):
    history = fitted[spec].history
    assert len(history) >= fitted[spec].epochs
    assert [row["epoch"] for row in history] == list(range(1, len(history) + 1))
    elapsed = [row["elapsed_s"] for row in history]
    assert all(b > a for a, b in zip(elapsed, elapsed[1:], strict=False))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert all(np.isfinite(row[key]) for row in history)


def test_linear_svc_has_no_probabilities(digits_split):
    model = get_model("linear_svc").fit(digits_split.X_train, digits_split.y_train)
    assert not hasattr(model, "predict_proba")
    assert model.predict_with_proba(digits_split.X_test)[1] is None


def test_keras_training_repeats_under_a_seed(digits_split):
    s = digits_split
    spec = "mlp:epochs=2,min_steps=0,hidden_units=(32,)"
    a = get_model(spec, random_state=3).fit(s.X_train, s.y_train).predict_proba(s.X_test)
    b = get_model(spec, random_state=3).fit(s.X_train, s.y_train).predict_proba(s.X_test)
    c = get_model(spec, random_state=4).fit(s.X_train, s.y_train).predict_proba(s.X_test)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert not np.allclose(a, c, atol=1e-3)


def test_steps_per_execution_changes_speed_not_results(digits_split):
    # The tuned defaults run 8 optimiser steps per call, the notebook presets 1; the comparison
    # between them is fair only if this is the same arithmetic.
    s = digits_split
    spec = "mlp:epochs=2,min_steps=0,hidden_units=(32,),batch_size=64"
    one = get_model(f"{spec},steps_per_execution=1").fit(s.X_train, s.y_train)
    eight = get_model(f"{spec},steps_per_execution=8").fit(s.X_train, s.y_train)
    np.testing.assert_allclose(
        one.predict_proba(s.X_test), eight.predict_proba(s.X_test), atol=1e-5
    )
    assert one.history[-1]["loss"] == pytest.approx(eight.history[-1]["loss"], rel=1e-4)


def test_early_stopping_stops_on_the_validation_set(digits_split):
    s = digits_split
    model = get_model(
        "softmax:epochs=200,min_steps=0,early_stopping=1,learning_rate=0.3,schedule=constant"
    )
    model.fit(s.X_train, s.y_train, validation_data=(s.X_val, s.y_val))
    assert len(model.history) < 200


def test_min_steps_lengthens_training_on_small_data(digits_split):
    s = digits_split
    model = get_model("softmax:epochs=1,min_steps=30,batch_size=512")
    model.fit(s.X_train, s.y_train)
    steps_per_epoch = -(-len(s.X_train) // 512)
    assert len(model.history) == -(-30 // steps_per_epoch)


def test_epoch_callback_sees_every_epoch(digits_split):
    seen = []
    s = digits_split
    get_model("softmax:epochs=3,min_steps=0").fit(
        s.X_train, s.y_train, epoch_callback=lambda e, n, row: seen.append((e, n, row["loss"]))
    )
    assert [(e, n) for e, n, _ in seen] == [(1, 3), (2, 3), (3, 3)]


def test_sgd_sparse_input_matches_dense(digits_split):
    """``sparse=True`` only changes the input format: same data, same model, same answers."""
    import scipy.sparse as sp

    from mnistbench.models.sklearn_base import to_csr as _to_csr

    s = digits_split
    X = s.X_test.copy()
    X[X < 0.3] = 0.0
    csr = _to_csr(X)
    assert sp.issparse(csr) and csr.dtype == np.float32 and csr.has_sorted_indices
    np.testing.assert_array_equal(csr.toarray(), X)
    np.testing.assert_array_equal(_to_csr(np.zeros((2, 4), np.float32)).toarray(), 0)
    # Empty rows between full ones: the row pointers must still line up.
    gaps = np.zeros((5, 4), np.float32)
    gaps[[0, 3]] = [[1, 0, 2, 0], [0, 3, 0, 4]]
    gaps_csr = _to_csr(gaps)
    np.testing.assert_array_equal(gaps_csr.indptr, [0, 2, 2, 2, 4, 4])
    np.testing.assert_array_equal(gaps_csr.toarray(), gaps)

    common = "sgd:scale=False,max_iter=20,n_jobs=1"
    dense = get_model(common + ",sparse=False").fit(s.X_train, s.y_train)
    sparse = get_model(common + ",sparse=True").fit(s.X_train, s.y_train)
    assert sp.issparse(sparse.pipeline_[:-1].transform(s.X_test))
    # scikit-learn damps the intercept's updates on sparse rows, so the weights differ a
    # little; the decisions must not.
    agree = np.mean(dense.predict(s.X_test) == sparse.predict(s.X_test))
    assert agree >= 0.97
    assert np.mean(sparse.predict(s.X_test) == s.y_test) >= MIN_ACCURACY
    assert sparse.weight_images().shape == (10, 8, 8)


def test_sgd_notebook_preset_is_the_notebook_classifier():
    """The notebook used ``SGDClassifier(max_iter=5000, tol=1e-3, n_jobs=-1)`` on dense,
    unscaled pixels; new options must stay off in the preset."""
    from sklearn.linear_model import SGDClassifier

    # Built outside a thread limit (inside one n_jobs=-1 means its threads: another test)
    model = get_model("sgd@notebook")
    assert (model.sparse, model.scale) == (False, False)
    clf = model.make_pipeline()
    assert [name for name, _ in clf.steps] == ["clf"]
    notebook = SGDClassifier(max_iter=5000, tol=1e-3, n_jobs=-1).get_params()
    ours = clf[-1].get_params()
    for key in notebook:
        if key != "random_state":
            assert ours[key] == notebook[key], key


def test_all_cores_means_the_runs_threads():
    from mnistbench.models.threads import limit_threads

    forest = get_model(parse_spec("random_forest"))
    assert forest.make_pipeline()[-1].n_jobs == -1  # outside a limit: joblib's own meaning
    with limit_threads(1):  # as run_task does for --threads 1
        assert forest.make_pipeline()[-1].n_jobs == 1
        assert get_model(parse_spec("knn")).make_pipeline()[-1].n_jobs == 1
        assert get_model(parse_spec("kernel_approx")).make_pipeline()[-1].n_jobs == 1
        with limit_threads(3):
            assert get_model(parse_spec("sgd")).make_pipeline()[-1].n_jobs == 3
        # an explicit job count is left alone
        assert get_model(parse_spec("random_forest@bench_mnist")).make_pipeline()[-1].n_jobs == 1
        assert get_model(parse_spec("random_forest:n_jobs=2")).make_pipeline()[-1].n_jobs == 2
    assert forest.make_pipeline()[-1].n_jobs == -1  # and nothing stays behind
