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
