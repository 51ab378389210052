"""``limit_threads`` really limits (BLAS/OpenMP pools, what ``n_jobs=-1`` means, TensorFlow's
pools) and leaves nothing behind; a seeded model under a limit is built one way."""

from __future__ import annotations

import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info

from mnistbench.models.build import build_model, seeded_models
from mnistbench.models.threads import current_threads, limit_threads, resolve_n_jobs


def _pool_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def test_limit_threads_limits_every_pool_and_restores_them():
    before = _pool_threads()
    assert before, "no BLAS/OpenMP pool loaded: nothing to check"
    assert current_threads() is None
    with limit_threads(1) as n:
        assert n == 1
        assert _pool_threads() == [1] * len(before)
        assert current_threads() == 1 and resolve_n_jobs(-1) == 1
        with limit_threads(2):
            assert _pool_threads() == [2] * len(before)
            assert resolve_n_jobs(-1) == 2
        assert _pool_threads() == [1] * len(before)  # the outer limit again
        assert resolve_n_jobs(-1) == 1
    assert _pool_threads() == before
    assert current_threads() is None and resolve_n_jobs(-1) == -1


def test_only_all_cores_follows_the_limit():
    with limit_threads(2):
        assert [resolve_n_jobs(j) for j in (-1, None, 1, 3)] == [2, None, 1, 3]


def test_a_limit_is_restored_when_the_block_raises():
    before = _pool_threads()
    with pytest.raises(KeyError), limit_threads(1):
        raise KeyError("inside")
    assert _pool_threads() == before and current_threads() is None


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="at least 1"), limit_threads(0):
        pass
    with pytest.raises(ValueError, match="unknown runtime"), limit_threads(1, runtimes=["jax"]):
        pass
    assert current_threads() is None


def test_an_all_cores_model_fits_with_the_limits_jobs(digits_split):
    s = digits_split
    spec = "random_forest:n_estimators=4"  # n_jobs=-1 by default
    assert build_model(spec).n_jobs == -1
    with seeded_models(spec, 3, 2) as new_model:
        model = new_model()
        assert model.get_params()["n_jobs"] == -1  # the parameter (and the record) unchanged
        model.fit(s.X_train, s.y_train)
        forest = model.pipeline_[-1]
        assert forest.n_jobs == 2 and forest.random_state == 3
        assert _pool_threads() == [2] * len(_pool_threads())
    assert build_model(spec).make_pipeline()[-1].n_jobs == -1


def test_seeded_models_builds_fresh_seeded_copies():
    with seeded_models("sgd", 7, 1) as new_model:
        a, b = new_model(), new_model()
        assert a is not b and a.random_state == b.random_state == 7
    assert build_model("sgd:random_state=5").random_state == 5  # no seed: the spec's own
    assert build_model("sgd:random_state=5", 9).random_state == 9


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_a_classical_model_under_a_limit_never_imports_tensorflow():
    out = _python(
        "import sys, mnistbench, mnistbench.models\n"
        "from mnistbench.models.build import seeded_models\n"
        "with seeded_models('sgd', 0, 1) as new_model:\n"
        "    new_model()\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_tensorflow_keeps_the_first_limit_that_starts_it():
    out = _python(
        "import sys\n"
        "from mnistbench.models.threads import (TENSORFLOW, limit_threads, "
        "tensorflow_pools)\n"
        "assert tensorflow_pools() == (None, None) and 'tensorflow' not in sys.modules\n"
        "with limit_threads(1, runtimes=(TENSORFLOW,)):\n"
        "    assert tensorflow_pools() == (1, 1), tensorflow_pools()\n"
        "with limit_threads(2):\n"
        "    assert tensorflow_pools() == (1, 1), tensorflow_pools()\n"
    )
    assert out.returncode == 0, out.stderr


def test_a_task_records_the_thread_pools_it_ran_with(digits_split):
    """The record's BLAS/OpenMP pools are read inside the task's limit, not after it."""
    from mnistbench.harness.runner import Task, run_task
    from mnistbench.models import parse_spec

    record, _ = run_task(Task(parse_spec("sgd"), 0), digits_split, threads=1)
    assert record.ok, record.error
    pools = record.environment.threads.blas
    assert pools and all(p["num_threads"] == 1 for p in pools)
