"""The registry: model names, their classes and presets, and plug-ins.

Models register themselves (``mnistbench.models.builtin``) or arrive through the
``mnistbench.models`` entry-point group. The text that selects models (specs, groups,
sweeps) is ``mnistbench.models.specs``.

An entry may need optional packages (``requires``): importing mnistbench never imports
them, and while one is missing the model is registered but unavailable: listed with the
command that installs it, refused when selected by name, left out of groups.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from importlib.util import find_spec
from typing import Any

from mnistbench.errors import ModelSpecError
from mnistbench.models.base import BenchModel, check_value
from mnistbench.models.search_space import SearchSpace

ENTRY_POINT_GROUP = "mnistbench.models"
# The contract models, in the order listings, runs and reports show them.
DEFAULT_MODELS = ("linear_svc", "sgd", "knn", "softmax", "mlp", "cnn")
# Old preset names, still accepted wherever a spec is read; labels carry the new name.
PRESET_ALIASES = {"seed": "notebook"}
# Where each preset's configuration comes from, for listings (a name ``x_y`` not in this
# table borrows ``x``'s source).
PRESET_SOURCES = {
    "notebook": "the scikit-learn vs TensorFlow notebook this suite grew from",
    "notebook_48": "the scikit-learn vs TensorFlow notebook (its 48-unit L1 network)",
    "notebook_deep": "the scikit-learn vs TensorFlow notebook (its deeper CNN)",
    "mlcc": "Google Machine Learning Crash Course (TensorFlow estimators)",
    "mlcc_julia": "the Julia port of the ML Crash Course notebook",
    "bern": "the Bern winter school notebook",
    "flux": "the Flux model zoo (Julia) MNIST MLP",
    "bench_mnist": "scikit-learn's benchmarks/bench_mnist.py",
    "defaults": "the library's own defaults (scikit-learn, XGBoost, LightGBM: as the model wraps)",
    "best": "aimed at the family's best published result without augmentation",
    "augment": "@best trained on shifted digits (augmented)",
    "virtual": "@best refitted with virtual support vectors (DeCoste & Schölkopf 2002)",
}
# Presets that are this suite's own aims at published results, not configurations written
# somewhere else: never a reference preset, and outside the ``notebooks`` group.
AIMED_PRESETS = frozenset({"best", "augment", "virtual"})
# Group names usable in ``--models`` besides one per model family ("classical", "deep").
GROUP_ALL, GROUP_DEFAULT, GROUP_NOTEBOOKS = "all", "default", "notebooks"


@dataclass(frozen=True)
class PublishedResult:
    """The best published test accuracy of a model's family without data augmentation,
    with where it was published: what the ``@best`` preset aims at. It was measured on one
    data set's split (full MNIST's official one by default), and means nothing elsewhere:
    reports set a run against it only on that data set and split."""

    accuracy: float
    source: str
    dataset: str = "mnist"
    split: str = "official"

    def applies_to(self, dataset: str | None, split: str | None) -> bool:
        """Whether a result on ``dataset``'s ``split`` is measured as this one was (a
        record without its split scheme, from an older run, is taken at its data set)."""
        return dataset == self.dataset and split in (None, self.split)


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its class (tuned defaults) and named presets.

    ``requires`` names the optional packages the model imports (top-level import names,
    such as ``xgboost``; the model imports them inside its own methods); ``install`` is
    the command that brings them (``pip install "mnistbench[boosting]"``; default: ``pip
    install`` and the names).
    """

    name: str
    cls: type[BenchModel]
    description: str
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    install: str = ""
    published: PublishedResult | None = None  # the family's published best (no augmentation)
    # Where a study of a preset looks (``mnistbench tune --models NAME@PRESET``): the
    # presets aimed at a published result tune other parameters than the model's own
    # space; only a preset with a space here can be tuned.
    preset_spaces: dict[str, SearchSpace] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        """The required packages that are not installed (found without importing them)."""
        return tuple(name for name in self.requires if find_spec(name) is None)

    @property
    def available(self) -> bool:
        return not self.missing

    @property
    def install_command(self) -> str:
        return self.install or "pip install " + " ".join(self.missing or self.requires)

    @property
    def unavailable_reason(self) -> str | None:
        """One line on what is missing and how to install it (None: available)."""
        missing = self.missing
        if not missing:
            return None
        return f"needs {', '.join(missing)}, not installed: {self.install_command}"

    @property
    def family(self) -> str:
        return self.cls.family

    @property
    def defaults(self) -> dict[str, Any]:
        return dict(self.cls.defaults)

    @property
    def reference_preset(self) -> str | None:
        """The as-written preset its tuned default is measured against: ``notebook`` where
        the model has it, else its first preset (None: no presets)."""
        if "notebook" in self.presets:
            return "notebook"
        return next((p for p in self.presets if p not in AIMED_PRESETS), None)

    def is_augmented(self, params: dict[str, Any] | None = None) -> bool:
        """Whether the model with ``params`` (over its defaults) trains on copies of its
        digits it makes itself: the model class decides, from its parameters."""
        return bool(self.cls(**(params or {})).augmented)

    def search_space(self, preset: str | None = None) -> SearchSpace | None:
        """Where a study of the model, or of one of its presets, looks (None: untuned)."""
        return self.cls.search_space if preset is None else self.preset_spaces.get(preset)

    def tuning_base(self, preset: str | None = None) -> dict[str, Any]:
        """The configuration a study starts from (its first trial) and samples over: the
        tuned defaults, under the preset's values when it tunes a preset."""
        return {**self.cls.defaults, **(self.presets[preset] if preset else {})}

    def preset_source(self, preset: str) -> str:
        """Where a preset's configuration comes from ("" when unknown)."""
        return PRESET_SOURCES.get(preset) or PRESET_SOURCES.get(preset.split("_")[0], "")


_REGISTRY: dict[str, ModelEntry] = {}
_plugins_loaded = False


def register(entry: ModelEntry, *, replace: bool = False) -> ModelEntry:
    """Add a model to the registry (third parties call this from their entry point)."""
    if entry.name in _REGISTRY and not replace:
        raise ValueError(f"model {entry.name!r} is already registered")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", entry.name):
        raise ValueError(f"model name {entry.name!r} must be an identifier")
    if (
        entry.name in (GROUP_ALL, GROUP_DEFAULT, GROUP_NOTEBOOKS)
        or entry.name in {e.family for e in _REGISTRY.values()}
        or entry.name == entry.cls.family
    ):
        raise ValueError(f"model name {entry.name!r} is a group name in --models")
    for package in entry.requires:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", package):
            raise ValueError(
                f"{entry.name} requires {package!r}: give a top-level import name (xgboost)"
            )
    for preset in entry.presets.values():
        for key, value in preset.items():
            if key not in entry.cls.defaults:
                raise ValueError(f"preset of {entry.name} sets unknown parameter {key}")
            check_value(key, value, entry.cls.defaults[key])
    for aimed, space in entry.preset_spaces.items():
        if aimed not in entry.presets:
            raise ValueError(f"{entry.name} declares a search space for unknown preset {aimed}")
        stray = sorted(set(space.names) - set(entry.cls.defaults))
        if stray:
            raise ValueError(f"{entry.name}@{aimed}'s space tunes unknown {', '.join(stray)}")
    _REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> ModelEntry:
    """Remove a model (tests and notebooks that register one for a while clean up so)."""
    try:
        return _REGISTRY.pop(name)
    except KeyError:
        raise ModelSpecError(f"model {name!r} is not registered") from None


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
            produced = loaded
            if callable(loaded) and not isinstance(loaded, ModelEntry):
                produced = loaded()
            if isinstance(produced, ModelEntry):
                produced = [produced]
            for entry in produced or ():
                if entry.name not in _REGISTRY:
                    register(entry)
        except Exception as exc:  # a broken plug-in must not break the suite
            warnings.warn(
                f"mnistbench: model plug-in {ep.name!r} failed to load: {exc}", stacklevel=2
            )


def registered_models() -> list[ModelEntry]:
    """Every registered model, available or not: the contract models in their fixed order,
    then the others in registration order."""
    _load_plugins()
    contract = [_REGISTRY[name] for name in DEFAULT_MODELS if name in _REGISTRY]
    return contract + [e for e in _REGISTRY.values() if e.name not in DEFAULT_MODELS]


def available_models() -> list[ModelEntry]:
    """The registered models whose optional packages are installed, in listing order."""
    return [e for e in registered_models() if e.available]


def get_entry(name: str) -> ModelEntry:
    """A registered model's entry, available or not (``check_available`` says which)."""
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(e.name for e in registered_models())
        raise ModelSpecError(f"unknown model {name!r}; known models: {known}") from None


def check_available(entry: ModelEntry) -> ModelEntry:
    """``entry``, or a one-line error saying which package it needs and how to install it."""
    reason = entry.unavailable_reason
    if reason:
        raise ModelSpecError(f"model {entry.name} is unavailable: it {reason}")
    return entry


def canonical_preset(entry: ModelEntry, preset: str | None) -> str | None:
    """The preset's current name: an old alias (``seed``) becomes ``notebook``, unless the
    model itself has a preset by the old name."""
    if preset is None or preset in entry.presets:
        return preset
    return PRESET_ALIASES.get(preset, preset)
