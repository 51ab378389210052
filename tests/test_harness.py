"""The harness: metrics agree with scikit-learn, a task yields a complete record."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

from mnistbench.harness.metrics import classification_metrics, most_confident_mistakes
from mnistbench.harness.runner import Task, run_task, run_tasks
from mnistbench.harness.timing import measure, single_sample_latency
from mnistbench.models import parse_spec
from mnistbench.models.builtin.knn import KNNModel


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 500)
    proba = rng.dirichlet(np.ones(10), 500)
    y_pred = proba.argmax(axis=1)
    labels = np.arange(10)
    metrics, cm = classification_metrics(y_true, y_pred, proba, labels)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert metrics["error_rate"] == pytest.approx(1 - accuracy_score(y_true, y_pred))
    assert metrics["log_loss"] == pytest.approx(log_loss(y_true, proba, labels=labels))
    assert metrics["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    np.testing.assert_allclose(metrics["per_class"]["f1"], f1_score(y_true, y_pred, average=None))
    np.testing.assert_array_equal(cm, confusion_matrix(y_true, y_pred))
    assert sum(metrics["per_class"]["support"]) == 500


def test_metrics_without_probabilities_have_no_log_loss():
    metrics, _ = classification_metrics(np.array([0, 1]), np.array([0, 0]), None, np.arange(2))
    assert metrics["log_loss"] is None
    assert metrics["accuracy"] == 0.5


def test_most_confident_mistakes_come_first():
    y_true = np.array([0, 0, 0, 0])
    y_pred = np.array([1, 0, 1, 1])
    proba = np.array([[0.4, 0.6], [1, 0], [0.1, 0.9], [0.3, 0.7]])
    np.testing.assert_array_equal(most_confident_mistakes(y_true, y_pred, proba), [2, 3, 0])
    np.testing.assert_array_equal(most_confident_mistakes(y_true, y_pred, None, 2), [0, 2])


def test_measure_records_wall_cpu_and_memory():
    with measure() as m:
        block = np.ones((4000, 4000))  # 128 MB
        time.sleep(0.05)
        del block
    assert m.wall_s >= 0.05
    assert m.cpu_s >= 0
    assert m.rss_increase_mb > 60


def test_latency_percentiles():
    calls = []
    out = single_sample_latency(
        lambda x: calls.append(len(x)), np.zeros((50, 4)), n_samples=20, warmup=3
    )
    assert calls == [1] * 23
    assert out["latency_samples"] == 20
    assert 0 <= out["latency_p50_s"] <= out["latency_p95_s"]


def test_task_record_is_complete(digits_split):
    task = Task(parse_spec("knn"), seed=1)
    record, arrays = run_task(task, digits_split, threads=1)
    assert record.status == "ok", record.error
    assert record.task_id == "knn--seed1"
    assert record.split_fingerprint == digits_split.fingerprint
    assert record.params["random_state"] == 1
    assert record.metrics.accuracy > 0.9
    timing = record.timing
    for key in (
        "fit_wall_s",
        "fit_cpu_s",
        "predict_s",
        "predict_throughput",
        "latency_p50_s",
        "latency_p95_s",
        "fit_peak_rss_mb",
    ):
        assert getattr(timing, key) > 0, key
    env = record.environment
    assert env.cores_logical >= 1 and env.cpu and env.versions["scikit-learn"] and env.host
    assert env.threads.requested == 1
    assert record.weights.per_class and "class means" in record.weights.caption
    assert arrays["confusion"].sum() == len(digits_split.y_test)
    assert arrays["proba"].shape == (len(digits_split.y_test), 10)
    wrong = arrays["mistake_index"]
    assert (arrays["mistake_true"] != arrays["mistake_pred"]).all()
    np.testing.assert_array_equal(arrays["mistake_true"], digits_split.y_test[wrong])
    assert arrays["mistake_image"].shape == (len(wrong), 8, 8)


def test_keras_task_records_history_and_tensorflow_threads(digits_split):
    record, _ = run_task(
        Task(parse_spec("softmax:epochs=2,min_steps=0"), 0), digits_split, threads=2
    )
    assert record.status == "ok", record.error
    assert len(record.history) == 2
    assert record.environment.threads.tensorflow_intra_op is not None


def test_a_failing_model_gives_an_error_record(digits_split, monkeypatch):
    def broken_fit(self, *args, **kwargs):
        raise RuntimeError("out of patience\nsecond line")

    monkeypatch.setattr(KNNModel, "fit", broken_fit)
    record, arrays = run_task(Task(parse_spec("knn"), 0), digits_split, threads=1)
    assert record.status == "error"
    assert record.error == "RuntimeError: out of patience"
    assert "broken_fit" in record.traceback
    assert arrays == {}


def test_suite_runs_on_a_joblib_backend(digits_split):
    tasks = [Task(parse_spec("linear_svc"), 0), Task(parse_spec("sgd"), 0)]
    out = list(run_tasks(tasks, digits_split, threads=2, n_jobs=2, backend="loky"))
    assert sorted(t.task_id for t, _, _ in out) == ["linear_svc--seed0", "sgd--seed0"]
    for _, record, _ in out:
        assert record.status == "ok"
        assert record.parallel_jobs == 2
        assert record.threads == 1


def test_more_jobs_than_tasks_start_no_idle_workers(digits_split):
    """--jobs 1000 over one task: it runs here, alone, and says so (no thousand workers)."""
    out = list(run_tasks([Task(parse_spec("sgd"), 0)], digits_split, threads=2, n_jobs=1000))
    [(_, record, _)] = out
    assert record.status == "ok"
    assert record.parallel_jobs == 1 and record.threads == 2
    assert record.worker is None


def test_memory_is_warmed_once_per_process_for_the_largest_data_yet(monkeypatch):
    from mnistbench.harness import timing

    touched = []
    real_ones = np.ones

    def counting_ones(n, dtype=None):
        touched.append(n * np.dtype(dtype).itemsize)
        return real_ones(min(n, 16), dtype=dtype)  # the count, not the gigabyte

    monkeypatch.setattr(timing, "_warmed_bytes", 0)
    monkeypatch.setattr(timing.np, "ones", counting_ones)
    timing.warm_memory(100 * 2**20)
    assert touched == [timing.WARM_FACTOR * 100 * 2**20]
    timing.warm_memory(100 * 2**20)  # the same data again: nothing
    timing.warm_memory(1)  # smaller data: nothing
    assert len(touched) == 1
    timing.warm_memory(200 * 2**20)  # larger data: warm that much
    assert touched[-1] == timing.WARM_FACTOR * 200 * 2**20
