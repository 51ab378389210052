"""One parameterised suite over the registry models: fit time and memory, batch and
single-digit predict time, and a track benchmark for every metric the metric table marks
for asv (error rate, log loss: asv reads smaller as better for all)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from mnistbench.results.metric_table import Metric, selected

from .common import (
    fit,
    fit_and_store,
    get_profile,
    load_fitted,
    load_split,
    model_specs,
    preload,
    seeded,
    threads,
)

PROFILE = get_profile()
THREADS = threads()
# asv's default forkserver imports this module once and forks a process per benchmark:
# importing TensorFlow here (its runtime, and so its thread pools, start later in setup)
# saves every one of those processes a few seconds.
preload()


class ModelSuite:
    """``params``: the data set, every model spec of the profile, and the thread count (so
    the threads used are recorded with each result)."""

    param_names = ["dataset", "model", "threads"]
    params = ([PROFILE.dataset], model_specs(PROFILE), [THREADS])
    timeout = PROFILE.fit_timeout

    def setup_cache(self) -> dict[str, dict]:
        """Fit every model once; asv runs this in a scratch directory that the benchmarks
        then run in, so the saved models are found there."""
        return fit_and_store(model_specs(PROFILE), PROFILE.dataset, Path.cwd(), THREADS)

    setup_cache.timeout = PROFILE.cache_timeout  # type: ignore[attr-defined]

    def setup(self, cache: dict[str, dict], dataset: str, spec: str, n_threads: int) -> None:
        """Enter the spec's thread limit (left in ``teardown``), then load what to measure."""
        self._limit = ExitStack()
        try:
            self.new_model = self._limit.enter_context(seeded(spec, n_threads))
            self.split = load_split(dataset)
            entry = cache[spec]
            if entry["fingerprint"] != self.split.fingerprint:
                raise RuntimeError(f"split changed between setup_cache and setup for {spec}")
            self.entry = entry
            self.model = load_fitted(entry)
        except BaseException:
            self._limit.close()
            raise
        self.one_digit = self.split.X_test[:1]

    def teardown(self, cache: Any, dataset: str, spec: str, n_threads: int) -> None:
        self._limit.close()

    def time_fit(self, cache: Any, dataset: str, spec: str, n_threads: int) -> None:
        fit(self.new_model(), self.split)

    time_fit.number = 1  # type: ignore[attr-defined]
    time_fit.repeat = (1, 3, 60.0)  # type: ignore[attr-defined]
    time_fit.warmup_time = 0.0  # type: ignore[attr-defined]

    def peakmem_fit(self, cache: Any, dataset: str, spec: str, n_threads: int) -> None:
        fit(self.new_model(), self.split)

    def time_predict(self, cache: Any, dataset: str, spec: str, n_threads: int) -> None:
        self.model.predict(self.split.X_test)

    def time_predict_single(self, cache: Any, dataset: str, spec: str, n_threads: int) -> None:
        self.model.predict(self.one_digit)


def _tracker(metric: Metric):
    """``track_<key>`` for one row of the metric table, read from what setup_cache scored
    (NaN, shown by asv as n/a, where a model has no value, e.g. log loss without
    probabilities)."""

    def track(self: ModelSuite, cache: Any, dataset: str, spec: str, n_threads: int) -> float:
        value = self.entry["metrics"].get(metric.key)
        return float("nan") if value is None else float(value)

    track.__name__ = f"track_{metric.key}"
    track.__doc__ = f"{metric.label} ({metric.unit}); n/a where the model has none."
    track.unit = metric.unit  # type: ignore[attr-defined]
    return track


# One track benchmark per asv row of the metric table: a new metric is one row there.
for _metric in selected("asv"):
    setattr(ModelSuite, f"track_{_metric.key}", _tracker(_metric))
