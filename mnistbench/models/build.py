"""A fresh, seeded model under a thread limit: written once for everything that fits one
(the runner, the asv suite, the conformance kit, the tuning search), so that a model is
seeded and given its threads the same way wherever it is timed or checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mnistbench.models.base import BenchModel
from mnistbench.models.registry import get_entry
from mnistbench.models.specs import ModelSpec, get_model, parse_spec
from mnistbench.models.threads import limit_threads


def build_model(spec: ModelSpec | str, seed: int | None = None) -> BenchModel:
    """A fresh, unfitted model of ``spec`` with ``random_state=seed`` where it has one
    (``seed=None`` keeps the spec's own)."""
    model = get_model(spec)
    if seed is not None and "random_state" in model.get_params():
        model.set_params(random_state=seed)
    return model


@contextmanager
def seeded_models(
    spec: ModelSpec | str, seed: int | None, threads: int
) -> Iterator[Callable[[], BenchModel]]:
    """Inside: ``limit_threads(threads)`` with the runtimes ``spec``'s model declares
    already started, so their start-up is charged to no clock. Yields a function that
    builds a fresh model of ``spec`` seeded with ``seed`` (each call a new copy, for
    repeated fits); fit, predict and time it inside the block."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    runtimes = get_entry(spec.name).cls.thread_runtimes
    with limit_threads(threads, runtimes=runtimes):
        yield lambda: build_model(spec, seed)
