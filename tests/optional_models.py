"""A registered model whose optional package is genuinely not installed, for the tests of
unavailable models (no import machinery is mocked: the package does not exist)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mnistbench.models import ModelEntry, register, unregister
from mnistbench.models.builtin.knn import KNNModel

#: a top-level module name no one installs
ABSENT = "mnistbench_absent_package_for_tests"
INSTALL = 'pip install "mnistbench[absent]"'
REASON = f"needs {ABSENT}, not installed: {INSTALL}"


class NeedsAbsentKNN(KNNModel):
    """k-NN standing for a model built on an optional library (it would import the library
    inside its own methods, never at import)."""


@contextmanager
def absent_model(
    name: str = "needs_absent", cls: type[KNNModel] = NeedsAbsentKNN
) -> Iterator[ModelEntry]:
    """``name`` registered for the block: a model (classical) that requires ``ABSENT``."""
    entry = register(
        ModelEntry(
            name,
            cls,
            "k-NN needing a package that is not installed",
            {"small": {"n_neighbors": 1}},
            requires=(ABSENT,),
            install=INSTALL,
        )
    )
    try:
        yield entry
    finally:
        unregister(name)
