"""The asv suite, run in-process on the tiny profile (digits, one epoch), and its config."""

from __future__ import annotations

import importlib
import json
import math
import re
from pathlib import Path

import pytest

from mnistbench.models import available_models
from mnistbench.models.threads import current_threads

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """``benchmarks.bench_models`` imported under MNISTBENCH_ASV_PROFILE=tiny."""
    mp = pytest.MonkeyPatch()
    mp.setenv("MNISTBENCH_ASV_PROFILE", "tiny")
    mp.setenv("MNISTBENCH_ASV_THREADS", "1")
    import benchmarks.bench_models as module

    module = importlib.reload(module)
    cache_dir = tmp_path_factory.mktemp("asv-cache")
    mp.chdir(cache_dir)  # asv runs setup_cache in a scratch directory, as here
    cache = module.ModelSuite().setup_cache()
    yield module, cache, cache_dir
    mp.undo()


def test_profiles():
    from benchmarks.common import get_profile, model_specs

    quick, full = get_profile("quick"), get_profile("full")
    assert quick.dataset == "mnist-5k" and full.dataset == "mnist"
    assert model_specs(quick)[:3] == ["linear_svc", "sgd", "knn"]
    assert "cnn:epochs=2,min_steps=0" in model_specs(quick)
    specs = model_specs(full)
    assert "cnn" in specs and "cnn@notebook" in specs and "knn@notebook" in specs
    assert "hist_gb@defaults" in specs and "logreg@bench_mnist" in specs
    assert "cnn@notebook_deep" not in specs  # one reference preset per model
    with pytest.raises(ValueError, match="MNISTBENCH_ASV_PROFILE"):
        get_profile("huge")


def test_suite_parameters(bench):
    module, cache, _ = bench
    suite = module.ModelSuite
    assert suite.param_names == ["dataset", "model", "threads"]
    datasets, specs, threads = suite.params
    assert datasets == ["digits"] and threads == [1]
    names = [e.name for e in available_models()]  # the contract six first, then the field
    assert [s.split(":")[0] for s in specs] == names and names[:3] == ["linear_svc", "sgd", "knn"]
    assert set(cache) == set(specs)
    assert suite.track_error_rate.unit == "error rate"
    assert suite.setup_cache.timeout >= suite.timeout >= 600
    names = {n for n in dir(suite) if re.match(r"(time|peakmem|track)_", n)}
    assert names == {
        "time_fit",
        "peakmem_fit",
        "time_predict",
        "time_predict_single",
        "track_error_rate",
        "track_log_loss",
        "track_time_to_accuracy_s",
    }


def test_every_benchmark_runs_for_every_model(bench):
    module, cache, cache_dir = bench
    import pickle

    pickle.dumps(cache)  # what asv stores between processes
    datasets, specs, threads = module.ModelSuite.params
    for spec in specs:
        args = (cache, datasets[0], spec, threads[0])
        suite = module.ModelSuite()
        suite.setup(*args)
        assert current_threads() == threads[0]  # what runs is under the benchmark's threads
        suite.time_predict(*args)
        suite.time_predict_single(*args)
        error = suite.track_error_rate(*args)
        assert 0 <= error < 1
        loss = suite.track_log_loss(*args)
        assert (
            loss > 0
            if spec.split(":")[0] in ("softmax", "mlp", "cnn")
            else (math.isnan(loss) or loss > 0)
        )  # n/a for models without probabilities
        # n/a (NaN) for models without a history and where the target was never reached
        reach = suite.track_time_to_accuracy_s(*args)
        assert math.isnan(reach) or reach > 0
        # the reloaded model predicts what was scored in setup_cache
        y_pred = suite.model.predict(suite.split.X_test)
        assert (y_pred != suite.split.y_test).mean() == pytest.approx(error)
        suite.teardown(*args)  # leaves the thread limit setup entered
        assert current_threads() is None
    # fitting is the slow part: once for a classical and once for a Keras model
    for spec in (specs[0], specs[3]):
        args = (cache, datasets[0], spec, threads[0])
        suite = module.ModelSuite()
        suite.setup(*args)
        suite.time_fit(*args)
        suite.peakmem_fit(*args)
        suite.teardown(*args)
    assert len(list(cache_dir.glob("*.pkl"))) == len(specs)  # Keras networks pickle too


def test_asv_conf():
    from asv.util import load_json

    conf = load_json(str(ROOT / "asv.conf.json"), js_comments=True)
    assert conf["environment_type"] == "virtualenv"
    assert conf["branches"] == ["main"] and conf["repo"] == "."
    for key in ("results_dir", "html_dir", "env_dir"):
        assert conf[key].startswith(".asv/")
    assert ".asv/" in (ROOT / ".gitignore").read_text()


def test_committed_baseline_matches_the_gate():
    """The baseline holds gate specs only (a model added since is run as "new, not judged",
    no refresh needed), JSON only, on the gate's data and seed."""
    from benchmarks.gate import BASELINE, DATASET, gate_specs
    from mnistbench.results import load_run

    run = load_run(BASELINE)
    assert run.meta.dataset == DATASET
    assert {r.record.spec for r in run.results} <= set(gate_specs())
    assert all(r.ok for r in run.results)
    assert not list(BASELINE.rglob("*.npz"))
    assert sum(p.stat().st_size for p in BASELINE.rglob("*")) < 200_000
    json.loads((BASELINE / "run.json").read_text())


def test_asv_models_selects_by_name_or_group_and_refuses_unknown_names(monkeypatch):
    from benchmarks.common import get_profile, model_specs

    monkeypatch.setenv("MNISTBENCH_ASV_MODELS", "sgd, knn")
    assert [s.partition(":")[0] for s in model_specs(get_profile("quick"))] == ["sgd", "knn"]
    monkeypatch.setenv("MNISTBENCH_ASV_MODELS", "default")
    assert len(model_specs(get_profile("quick"))) == 6
    monkeypatch.setenv("MNISTBENCH_ASV_MODELS", "sgd,forest")
    with pytest.raises(ValueError, match="forest, not an available model"):
        model_specs(get_profile("quick"))
