"""Shared fixtures. Tests never touch the user's cache and never use the network."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# A private cache for the whole session, so tests never read or fill ~/.cache/mnistbench.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="mnistbench-test-cache-")

# Keras settings that keep tests quick: tiny epoch counts, no step floor.
QUICK_KERAS = "epochs=2,min_steps=0"


def mnist_dir() -> Path | None:
    """Full MNIST from MNISTBENCH_DATA_DIR, when CI or the developer points at it."""
    value = os.environ.get("MNISTBENCH_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


requires_mnist = pytest.mark.skipif(
    mnist_dir() is None, reason="full MNIST not available: set MNISTBENCH_DATA_DIR to its IDX files"
)


@pytest.fixture(scope="session")
def digits_split():
    from mnistbench.data import load_dataset, make_split

    return make_split(load_dataset("digits"))


# The report's tests: one real run (2 seeds, the six contract models plus an @seed pair),
# made once per session through the CLI, and the report built from it.
REPORT_MODELS = (
    "linear_svc,linear_svc@seed,sgd,knn,softmax:epochs=2,min_steps=0,"
    "mlp:epochs=2,min_steps=0,cnn:epochs=1,min_steps=0"
)


@pytest.fixture(scope="session")
def report_run(tmp_path_factory) -> Path:
    from mnistbench.cli import main

    out = tmp_path_factory.mktemp("report-results")
    status = main(
        [
            "run",
            "--dataset",
            "digits",
            "--models",
            REPORT_MODELS,
            "--seeds",
            "0,1",
            "--out",
            str(out),
            "--run-id",
            "base",
            "--quiet",
        ]
    )
    assert status == 0
    return out / "base"


@pytest.fixture(scope="session")
def report_html(report_run, tmp_path_factory) -> Path:
    from mnistbench.report import write_report

    return write_report([report_run], tmp_path_factory.mktemp("report") / "report.html")
