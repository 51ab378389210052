"""The conformance kit: what every registered model (built-in or plug-in) must honour.

The runner, the asv suite and the report treat all models alike, so a model that bends the
contract (a ``predict`` that disagrees with ``predict_proba``, weight images of the wrong
shape, a fit that does not pickle) breaks them far from its own code. ``check_model`` fits
the model on a small data set and checks the whole contract at once, reporting every
failure rather than the first::

    from mnistbench.testing import check_model
    check_model("mymodel")            # raises ConformanceError listing what is wrong

It checks the contract, not the quality: a model may be as weak as its parameters make it.
A model whose optional packages are not installed is not checked: its report is
``skipped``, with the reason and the command that installs them (a test can
``pytest.skip(report.skipped)``).
"""

from __future__ import annotations

import math
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from mnistbench.errors import ModelSpecError
from mnistbench.harness.environment import default_threads
from mnistbench.models import BenchModel, ModelSpec, get_entry, get_model, parse_spec
from mnistbench.models.build import build_model, seeded_models
from mnistbench.models.search_space import SearchSpace, sample_many
from mnistbench.models.specs import validate_spec

# Keys a history row may carry (per epoch or iteration).
HISTORY_KEYS = frozenset(
    {"epoch", "elapsed_s", "wall_s", "cpu_s", "loss", "accuracy", "val_loss", "val_accuracy"}
)
# Two fits with one seed on one machine: scikit-learn and TensorFlow on CPU repeat exactly
# (measured: identical probabilities for every built-in, 1 and 2 threads); the slack only
# absorbs last-bit differences of reordered float32 sums, far below any seed's effect.
REPEAT_ATOL = 1e-6
# Probabilities are float32 for Keras models: rows sum to 1 within float32 rounding.
PROBA_SUM_ATOL = 1e-4
# Configurations of a model's search space the kit samples (seeded) and validates as specs;
# the first SPACE_FITS of them are also fitted (quick parameters applied over the sample).
SPACE_SAMPLES = 8
SPACE_FITS = 1


class ConformanceError(AssertionError):
    """A model failed one or more conformance checks; the message lists every one."""

    def __init__(self, report: ConformanceReport) -> None:
        self.report = report
        lines = "\n".join(f"  - {name}: {why}" for name, why in report.failures.items())
        super().__init__(
            f"{report.spec} fails {len(report.failures)} of {len(report.checks)} "
            f"conformance checks on {report.dataset}:\n{lines}"
        )


@dataclass
class ConformanceReport:
    """What ``check_model`` found: every check by name, with the reason for each failure."""

    spec: str
    dataset: str
    checks: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    fit_s: float = math.nan
    skipped: str | None = None  # why the model was not checked (it is unavailable)

    @property
    def ok(self) -> bool:
        """Every check ran and passed (a skipped model is not ok: it was not checked)."""
        return not self.failures and self.skipped is None

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.spec} skipped: {self.skipped}"
        state = "passes" if self.ok else f"fails {len(self.failures)} of"
        return f"{self.spec} {state} {len(self.checks)} conformance checks on {self.dataset}"


class _Checker:
    """Runs named checks, recording each failure (an AssertionError or any exception)."""

    def __init__(self, report: ConformanceReport) -> None:
        self.report = report

    def __call__(self, name: str, check: Callable[[], None]) -> bool:
        self.report.checks.append(name)
        try:
            check()
        except AssertionError as exc:
            self.report.failures[name] = str(exc) or "assertion failed"
            return False
        except Exception as exc:  # a crash inside a check is a failed check, not a stop
            first = (str(exc).splitlines() or [""])[0]
            self.report.failures[name] = f"raised {type(exc).__name__}: {first}"
            return False
        return True


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def quick_spec(spec: ModelSpec) -> ModelSpec:
    """``spec`` shortened by its model's ``quick_params``; the spec's own overrides win."""
    quick = dict(get_entry(spec.name).cls.quick_params)
    quick.update(spec.overrides)
    return ModelSpec(spec.name, spec.preset, tuple(sorted(quick.items())))


def _proba_or_none(model: BenchModel, X: np.ndarray) -> np.ndarray | None:
    return model.predict_proba(X) if hasattr(model, "predict_proba") else None


def check_model(
    spec: str | ModelSpec,
    *,
    dataset: str = "digits",
    quick: bool = True,
    threads: int | None = None,
) -> ConformanceReport:
    """Fit ``spec`` on ``dataset`` and check the BenchModel contract.

    ``quick`` applies the model's ``quick_params`` (fewer epochs) so that the check takes
    seconds. The model is built and fitted as a run builds it, under a thread limit of
    ``threads`` (default: every core this process may use). Returns the report when every
    check passes; raises ``ConformanceError`` (an AssertionError) listing all failed checks
    otherwise. An unavailable model (optional packages missing) gives a ``skipped`` report.
    """
    name = spec.name if isinstance(spec, ModelSpec) else spec.partition(":")[0]
    reason = get_entry(name.partition("@")[0].strip()).unavailable_reason
    if reason:
        label = spec.label if isinstance(spec, ModelSpec) else spec.strip()
        return ConformanceReport(label, dataset, skipped=f"unavailable: {reason}")
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if quick:
        spec = quick_spec(spec)
    with seeded_models(spec, 0, threads or default_threads()) as new_model:
        return _check(spec, dataset, new_model)


def _check(spec: ModelSpec, dataset: str, new_model: Callable[[], BenchModel]) -> ConformanceReport:
    """``check_model``'s checks, inside its thread limit (``new_model``: a fresh model
    seeded with 0)."""
    from mnistbench.data import load_dataset, make_split

    entry = get_entry(spec.name)
    cls = entry.cls
    split = make_split(load_dataset(dataset))
    report = ConformanceReport(spec.label, dataset)
    check = _Checker(report)
    X, y, X_test = split.X_train, split.y_train, split.X_test
    classes = np.unique(y)
    n_classes = len(classes)

    # --- declarations and scikit-learn's estimator API, before any fit ----------------
    def declarations() -> None:
        _require(isinstance(cls.family, str), "family must be a str")
        _require(
            isinstance(cls.weight_caption, str) and cls.weight_caption.strip() != "",
            "weight_caption must be a non-empty str",
        )
        _require(isinstance(cls.weights_per_class, bool), "weights_per_class must be a bool")
        unknown = set(cls.quick_params) - set(cls.defaults)
        _require(not unknown, f"quick_params sets unknown parameters {sorted(unknown)}")
        _require(
            not hasattr(cls, "configure_threads"),
            "configure_threads is never called: declare thread_runtimes, and read the "
            "thread limit from mnistbench.models.threads",
        )

    def params() -> None:
        model = get_model(spec)
        got = model.get_params()
        _require(
            set(got) == set(cls.defaults),
            f"get_params keys {sorted(got)} differ from defaults {sorted(cls.defaults)}",
        )
        expected = {**cls.defaults, **spec.params()}
        for key, value in expected.items():
            _require(got[key] == value, f"get_params()[{key!r}] is {got[key]!r}, not {value!r}")
        twin = get_model(ModelSpec(spec.name)).set_params(**got)
        _require(twin.get_params() == got, "set_params(**get_params()) does not round-trip")
        fresh = clone(model)
        _require(fresh.get_params() == got, "clone() changes the parameters")
        model.check_params()

    def presets() -> None:
        for name, values in entry.presets.items():
            model = get_model(ModelSpec(spec.name, name))
            model.check_params()
            got = model.get_params()
            for key, value in values.items():
                _require(got[key] == value, f"preset {name!r}: {key}={got[key]!r}, not {value!r}")

    def search_space() -> None:
        # the model's own space, then each preset's (its study starts from the preset)
        for preset in (None, *entry.preset_spaces):
            space = entry.search_space(preset)
            if space is None:  # the model is not tuned
                continue
            where = f"@{preset}'s space: " if preset else ""
            _require(isinstance(space, SearchSpace), f"{where}must be a SearchSpace or None")
            outside = space.outside(entry.tuning_base(preset))
            start = "the preset's values" if preset else "the tuned defaults"
            _require(not outside, f"{where}{start} of {', '.join(outside)} lie outside it")
            for i, sampled in enumerate(sample_many(space, SPACE_SAMPLES)):
                try:
                    valid = validate_spec(
                        ModelSpec(spec.name, preset, tuple(sorted(sampled.items())))
                    )
                except ModelSpecError as exc:
                    raise AssertionError(f"{where}sample {i} is not a valid spec: {exc}") from None
                if i < SPACE_FITS and preset is None:
                    quick = valid.with_overrides(dict(cls.quick_params))
                    fitted = build_model(quick, 0).fit(
                        X, y, validation_data=(split.X_val, split.y_val)
                    )
                    stray = set(np.unique(fitted.predict(X_test)).tolist()) - set(classes.tolist())
                    _require(not stray, f"{quick.label} predicts labels {sorted(stray)}")
                else:
                    get_model(valid)

    check("declarations", declarations)
    check("get_params/set_params/clone", params)
    check("presets build and pass check_params", presets)
    check("search space holds the defaults and samples valid specs", search_space)

    # --- fit -----------------------------------------------------------------------------
    model = new_model()
    calls: list[tuple[int, int, dict]] = []
    fitted: list[Any] = []

    def fit() -> None:
        start = time.perf_counter()
        out = model.fit(
            X,
            y,
            validation_data=(split.X_val, split.y_val),
            epoch_callback=lambda e, n, row: calls.append((e, n, row)),
        )
        report.fit_s = time.perf_counter() - start
        fitted.append(out)
        _require(out is model, "fit must return self")

    outputs: list[Any] = []

    def predicts() -> None:
        outputs.append(np.asarray(model.predict(X_test)))
        outputs.append(_proba_or_none(model, X_test))

    fit_ran = check("fit(X, y, validation_data=, epoch_callback=) returns self", fit)
    if not (fit_ran or fitted) or not check("predict and predict_proba run", predicts):
        raise ConformanceError(report)  # nothing further can be checked
    pred, proba = outputs

    def fitted_attributes() -> None:
        _require(
            np.array_equal(np.asarray(model.classes_), classes),
            f"classes_ {model.classes_!r} are not the training labels {classes!r}",
        )
        unfitted = clone(model)
        _require(unfitted.get_params() == model.get_params(), "clone() changes the parameters")
        _require(not hasattr(unfitted, "classes_"), "clone() of a fitted model is fitted")

    def predict() -> None:
        _require(
            pred.shape == (len(X_test),),
            f"predict gives shape {pred.shape}, expected ({len(X_test)},)",
        )
        stray = set(np.unique(pred).tolist()) - set(classes.tolist())
        _require(not stray, f"predict gives labels {sorted(stray)} not in classes_")

    def probabilities() -> None:
        if proba is None:
            return
        _require(
            proba.shape == (len(X_test), n_classes),
            f"predict_proba gives shape {proba.shape}, expected {(len(X_test), n_classes)}",
        )
        _require(
            bool(np.isfinite(proba).all()) and proba.min() >= 0 and proba.max() <= 1,
            "predict_proba values must be finite and in [0, 1]",
        )
        worst = float(np.abs(proba.sum(axis=1) - 1).max())
        _require(worst <= PROBA_SUM_ATOL, f"predict_proba rows sum to 1 +- {worst:.2g}")
        agree = float(np.mean(model.classes_[np.argmax(proba, axis=1)] == pred))
        _require(
            agree == 1.0,
            f"predict agrees with argmax(predict_proba) on only {agree:.1%} of the test digits",
        )

    def with_proba() -> None:
        labels, both = model.predict_with_proba(X_test)
        _require(
            np.array_equal(np.asarray(labels), pred),
            "predict_with_proba labels differ from predict",
        )
        if proba is None:
            _require(both is None, "predict_with_proba gives probabilities without predict_proba")
        else:
            _require(
                both is not None and np.allclose(both, proba, atol=REPEAT_ATOL),
                "predict_with_proba probabilities differ from predict_proba",
            )

    def repeatable() -> None:
        again = new_model().fit(X, y, validation_data=(split.X_val, split.y_val))
        same = float(np.mean(np.asarray(again.predict(X_test)) == pred))
        _require(
            same == 1.0,
            f"a second fit with the same random_state agrees on only {same:.1%} of the predictions",
        )
        if proba is not None:
            diff = float(np.abs(again.predict_proba(X_test) - proba).max())
            _require(
                diff <= REPEAT_ATOL,
                f"a second fit with the same random_state moves probabilities by {diff:.2g}",
            )

    def history() -> None:
        rows = model.history
        _require(isinstance(rows, list), "history must be a list of dicts")
        epochs, elapsed = [], []
        for i, row in enumerate(rows):
            _require(isinstance(row, dict), f"history row {i} is not a dict")
            unknown = set(row) - HISTORY_KEYS
            _require(not unknown, f"history row {i} has unknown keys {sorted(unknown)}")
            _require(
                {"epoch", "elapsed_s"} <= set(row), f"history row {i} lacks epoch or elapsed_s"
            )
            for key, value in row.items():
                _require(
                    isinstance(value, int | float) and math.isfinite(value),
                    f"history row {i}: {key}={value!r} is not a finite number",
                )
            epochs.append(row["epoch"])
            elapsed.append(row["elapsed_s"])
        _require(
            all(isinstance(e, int) and e >= 1 for e in epochs),
            "history epochs must be integers from 1",
        )
        _require(
            all(b > a for a, b in zip(epochs, epochs[1:], strict=False)),
            f"history epochs {epochs} do not increase",
        )
        _require(
            all(e >= 0 for e in elapsed)
            and all(b >= a for a, b in zip(elapsed, elapsed[1:], strict=False)),
            "history elapsed_s must be non-negative and non-decreasing",
        )
        if calls:
            _require(
                len(calls) == len(rows),
                f"epoch_callback called {len(calls)} times for {len(rows)} history rows",
            )

    def weight_images() -> None:
        images = model.weight_images()
        _require(
            isinstance(images, np.ndarray) and images.ndim == 3,
            f"weight_images must be an array (k, h, w), got "
            f"{getattr(images, 'shape', type(images).__name__)}",
        )
        _require(images.shape[0] >= 1 and images.size > 0, "weight_images is empty")
        _require(bool(np.isfinite(images).all()), "weight_images has non-finite values")
        if cls.weights_per_class:
            expected = (n_classes, *split.image_shape)
            _require(
                images.shape == expected,
                f"weights_per_class: weight_images shape {images.shape}, "
                f"expected {expected} (one image per class)",
            )

    def n_parameters() -> None:
        n = model.n_parameters
        _require(
            isinstance(n, int | np.integer) and not isinstance(n, bool) and n > 0,
            f"n_parameters must be a positive int, got {n!r}",
        )

    def pickles() -> None:
        twin = pickle.loads(pickle.dumps(model))
        _require(
            np.array_equal(np.asarray(twin.predict(X_test)), pred),
            "a pickled copy predicts differently",
        )
        if proba is not None:
            _require(
                np.array_equal(twin.predict_proba(X_test), proba),
                "a pickled copy gives different probabilities",
            )
        _require(
            np.array_equal(np.asarray(model.predict(X_test)), pred),
            "pickling changed the original model",
        )

    check("classes_ and clone of a fitted model", fitted_attributes)
    check("predict shape and labels", predict)
    check("predict_proba rows sum to 1 and agree with predict", probabilities)
    check("predict_with_proba agrees with predict and predict_proba", with_proba)
    check("same random_state, same predictions", repeatable)
    check("history rows", history)
    check("weight_images", weight_images)
    check("n_parameters", n_parameters)
    check("pickle round trip", pickles)
    if report.failures:
        raise ConformanceError(report)
    return report
