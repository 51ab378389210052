"""Profiles, data and fitted models shared by the asv suites.

As scikit-learn's ``asv_benchmarks`` does, the size of a benchmark run is chosen by
configuration, here environment variables read when asv imports the suite:

``MNISTBENCH_ASV_PROFILE``
    ``quick`` (default): ``mnist-5k``, every registered model (the six contract models
    first) with its tuned defaults shortened by the model's own ``quick_params`` (the Keras
    models train ``epochs=2,min_steps=0``) so that a whole run takes minutes. ``full``: full
    MNIST (official split), the tuned defaults as they are plus each model's reference
    preset (``@notebook``, or ``@bench_mnist`` / ``@defaults`` where it has no notebook).
    ``tiny``: ``digits`` with the quick parameters, for the test suite.
``MNISTBENCH_ASV_MODELS``
    the models to benchmark, by name or group (``sgd,knn,softmax,hist_gb``; default: every
    available model). The CI smoke run proves asv's machinery on a few kinds of model; the
    test suite runs every benchmark for every model in process.
``MNISTBENCH_ASV_DATASET``
    the data set (default ``mnist-5k``; ``mnist`` for the full profile).
``MNISTBENCH_ASV_THREADS``
    BLAS and TensorFlow threads (default 2, capped by the cores available). The value is a
    benchmark parameter, so it is recorded with every asv result.
``MNISTBENCH_DATA_DIR``
    where ``mnist`` / ``fashion-mnist`` IDX files are (as for ``mnistbench run``).

Everything goes through mnistbench's own API (``load_dataset``, ``make_split``,
``get_model``, ``classification_metrics``): the benchmarks measure the package, they do not
re-implement it. Tuned defaults are never written here; the profile only shortens training.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROFILES = ("quick", "full", "tiny")


@dataclass(frozen=True)
class Profile:
    """What one benchmark run measures."""

    name: str
    dataset: str
    quick: bool  # shorten training by each model's ``quick_params`` (False: tuned as is)
    as_written: bool  # also benchmark each model's reference preset (as written)
    fit_timeout: float  # seconds per benchmark; the CNN needs the most
    cache_timeout: float  # seconds for setup_cache, which fits every model once


def get_profile(name: str | None = None) -> Profile:
    """``name``, or the profile named by ``MNISTBENCH_ASV_PROFILE`` (read at import, as asv
    discovers the benchmarks)."""
    name = name or os.environ.get("MNISTBENCH_ASV_PROFILE", "quick").strip().lower() or "quick"
    if name not in PROFILES:
        raise ValueError(f"MNISTBENCH_ASV_PROFILE={name!r}; use one of {', '.join(PROFILES)}")
    default_data = {"quick": "mnist-5k", "full": "mnist", "tiny": "digits"}[name]
    dataset = (
        os.environ.get("MNISTBENCH_ASV_DATASET") or default_data if name != "tiny" else default_data
    )
    if name == "full":
        return Profile(name, dataset, False, True, fit_timeout=3600.0, cache_timeout=4 * 3600.0)
    return Profile(name, dataset, True, False, fit_timeout=600.0, cache_timeout=1800.0)


def threads() -> int:
    """Threads for BLAS and TensorFlow: explicit, so timings mean the same thing each run."""
    from mnistbench.harness.environment import default_threads

    wanted = int(os.environ.get("MNISTBENCH_ASV_THREADS", "2"))
    return max(1, min(wanted, default_threads()))


def selected_models() -> set[str] | None:
    """The model names ``MNISTBENCH_ASV_MODELS`` keeps (names or groups, comma-separated,
    as ``--models`` takes them without presets); None: every available model."""
    from mnistbench.models import available_models
    from mnistbench.models.specs import model_groups

    text = os.environ.get("MNISTBENCH_ASV_MODELS", "").strip()
    if not text:
        return None
    groups = model_groups()
    names: set[str] = set()
    for item in (t.strip() for t in text.split(",") if t.strip()):
        names.update(label.partition("@")[0] for label in groups.get(item, [item]))
    known = {entry.name for entry in available_models()}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(
            f"MNISTBENCH_ASV_MODELS names {', '.join(unknown)}, not an available model; "
            f"available: {', '.join(sorted(known))}"
        )
    return names


def model_specs(profile: Profile) -> list[str]:
    """Spec labels for the profile: every available model, or those
    ``MNISTBENCH_ASV_MODELS`` names (and each one's reference preset)."""
    from mnistbench.models import available_models, parse_spec

    keep = selected_models()
    labels = []
    for entry in available_models():
        name = entry.name
        if keep is not None and name not in keep:
            continue
        variants = [name]
        if profile.as_written and entry.reference_preset:
            variants.append(f"{name}@{entry.reference_preset}")
        for text in variants:
            spec = parse_spec(text)
            if profile.quick:
                spec = spec.with_overrides(entry.cls.quick_params)
            labels.append(spec.label)
    return labels


def preload() -> None:
    """Import TensorFlow and Keras without starting the runtime (no thread pool yet)."""
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    except ImportError:
        pass


@cache
def load_split(dataset: str) -> Any:
    """The common split, as ``mnistbench run`` makes it (official where there is one)."""
    from mnistbench.data import load_dataset, make_split

    return make_split(load_dataset(dataset, data_dir=os.environ.get("MNISTBENCH_DATA_DIR")))


def seeded(spec: str, threads: int, seed: int = 0) -> AbstractContextManager[Callable[[], Any]]:
    """Inside: ``spec``'s thread limit, as ``mnistbench run`` sets it for a task; yields a
    function that builds a fresh model of ``spec`` seeded as a task's
    (``mnistbench.models.build.seeded_models``)."""
    from mnistbench.models.build import seeded_models

    return seeded_models(spec, seed, threads)


def fit(model: Any, split: Any) -> Any:
    """Fit exactly as the harness does (with the validation part for Keras history)."""
    return model.fit(split.X_train, split.y_train, validation_data=(split.X_val, split.y_val))


def _plain(value: Any) -> float | None:
    """A metric as asv's cache stores it: a finite float, or None where the model has none
    (or, for a time to accuracy, never reached it)."""
    return None if value is None or not math.isfinite(float(value)) else float(value)


def fit_and_store(specs: list[str], dataset: str, directory: Path, threads: int) -> dict[str, dict]:
    """Fit every spec once under ``threads``, score it, and pickle the fitted model into
    ``directory``.

    Every registry model pickles with identical predictions, so the predictions benchmarked
    later come from the very weights scored here.
    """
    from mnistbench.files import slug
    from mnistbench.harness.metrics import classification_metrics
    from mnistbench.results.metric_table import selected
    from mnistbench.results.time_to_accuracy import DEFAULT_TARGET_ACCURACY, time_to_accuracy

    split = load_split(dataset)
    labels = np.arange(split.n_classes)
    out: dict[str, dict] = {}
    for spec in specs:
        with seeded(spec, threads) as new_model:
            model = fit(new_model(), split)
            y_pred, proba = model.predict_with_proba(split.X_test)
        metrics, _ = classification_metrics(split.y_test, y_pred, proba, labels)
        # from the fit's own history, as a run's record computes it
        metrics["time_to_accuracy_s"] = time_to_accuracy(model.history, DEFAULT_TARGET_ACCURACY)
        path = (directory / slug(spec, unique=True)).with_suffix(".pkl")
        path.write_bytes(pickle.dumps(model))
        out[spec] = {
            # what the suite's track_<key> benchmarks report (None: not defined here, such
            # as log loss for a model without probabilities)
            "metrics": {m.key: _plain(metrics.get(m.key)) for m in selected("asv")},
            "fingerprint": split.fingerprint,
            "model_file": str(path.resolve()),
        }
    return out


def load_fitted(entry: dict[str, Any]) -> Any:
    """The model ``fit_and_store`` fitted, ready to predict."""
    return pickle.loads(Path(entry["model_file"]).read_bytes())
