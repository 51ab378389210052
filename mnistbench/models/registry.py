"""The registry: model names, their classes, presets, and the spec syntax that selects them.

A spec is ``name[@preset][:param=value,...]``; ``--set name.param=value`` adds overrides to
every spec of that name. A group name stands for many specs at once (``all``, ``default``,
``notebooks`` and one group per model family: ``classical``, ``deep``), worked out from the
registered models' families and presets. Everything is validated before a run writes
anything.
"""

from __future__ import annotations

import ast
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from mnistbench.errors import ModelSpecError
from mnistbench.models.base import BenchModel, check_value

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
    "defaults": "scikit-learn's own defaults",
}
# Group names usable in ``--models`` besides one per model family ("classical", "deep").
GROUP_ALL, GROUP_DEFAULT, GROUP_NOTEBOOKS = "all", "default", "notebooks"


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its class (tuned defaults) and named presets."""

    name: str
    cls: type[BenchModel]
    description: str
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        return next(iter(self.presets), None)

    def preset_source(self, preset: str) -> str:
        """Where a preset's configuration comes from ("" when unknown)."""
        return PRESET_SOURCES.get(preset) or PRESET_SOURCES.get(preset.split("_")[0], "")


@dataclass(frozen=True)
class ModelSpec:
    """One selected variant of a registry model."""

    name: str
    preset: str | None = None
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        """Canonical text form; results and comparisons match models by it."""
        text = self.name + (f"@{self.preset}" if self.preset else "")
        if self.overrides:
            text += ":" + ",".join(f"{k}={_format_value(v)}" for k, v in self.overrides)
        return text

    @property
    def base_label(self) -> str:
        """The spec without its preset: what an ``@notebook`` variant is compared against."""
        return ModelSpec(self.name, None, self.overrides).label

    def params(self) -> dict[str, Any]:
        entry = get_entry(self.name)
        preset = canonical_preset(entry, self.preset)
        params = dict(entry.presets.get(preset, {})) if preset else {}
        params.update(self.overrides)
        return params

    def with_overrides(self, extra: dict[str, Any]) -> ModelSpec:
        merged = dict(self.overrides)
        merged.update(extra)
        return ModelSpec(self.name, self.preset, tuple(sorted(merged.items())))

    def __str__(self) -> str:
        return self.label


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
    for preset in entry.presets.values():
        for key, value in preset.items():
            if key not in entry.cls.defaults:
                raise ValueError(f"preset of {entry.name} sets unknown parameter {key}")
            check_value(key, value, entry.cls.defaults[key])
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


def available_models() -> list[ModelEntry]:
    """The contract models in their fixed order, then the others in registration order."""
    _load_plugins()
    contract = [_REGISTRY[name] for name in DEFAULT_MODELS if name in _REGISTRY]
    return contract + [e for e in _REGISTRY.values() if e.name not in DEFAULT_MODELS]


def get_entry(name: str) -> ModelEntry:
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(e.name for e in available_models())
        raise ModelSpecError(f"unknown model {name!r}; known models: {known}") from None


def canonical_preset(entry: ModelEntry, preset: str | None) -> str | None:
    """The preset's current name: an old alias (``seed``) becomes ``notebook``, unless the
    model itself has a preset by the old name."""
    if preset is None or preset in entry.presets:
        return preset
    return PRESET_ALIASES.get(preset, preset)


#: longest parameter value accepted: Python's literal parser needs memory and recursion in
#: proportion to the text, so a runaway value is refused before it is parsed
MAX_VALUE_LENGTH = 1000


def _parse_value(text: str) -> Any:
    if len(text) > MAX_VALUE_LENGTH:
        raise ModelSpecError(
            f"parameter value {text[:20]}... is too long ({len(text)} "
            f"characters, at most {MAX_VALUE_LENGTH})"
        )
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _format_value(value: Any) -> str:
    if isinstance(value, tuple):
        inner = ",".join(_format_value(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    return str(value) if not isinstance(value, str) else value


def _split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets, so ``hidden_units=(256,128)`` stays whole."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_assignment(text: str) -> tuple[str, Any]:
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        raise ModelSpecError(f"expected param=value, got {text!r}")
    return key.strip(), _parse_value(value.strip())


def parse_spec(text: str) -> ModelSpec:
    """``knn``, ``knn@notebook``, ``knn:n_neighbors=5``, ``knn@notebook:weights=uniform``.

    ``knn@seed`` (the preset's old name) is read as ``knn@notebook``. A sweep (a list
    value) is refused here: it stands for several specs (``expand_spec``).
    """
    specs = expand_spec(text)
    if len(specs) != 1:
        raise ModelSpecError(
            f"{text.strip()!r} is a sweep of {len(specs)} specs where one "
            "is expected; write a tuple (64,32) for one value"
        )
    return specs[0]


#: most specs one sweep may expand into: a runaway product is refused before validation
MAX_SWEEP = 1000


def expand_spec(text: str) -> list[ModelSpec]:
    """A spec whose list values are sweeps: one spec per combination (the cartesian
    product, in the order written), each with its own canonical label. Tuples are values
    (``hidden_units=(64,32)``), lists are sweeps (``n_neighbors=[1,3,5,10]``)."""
    head, _, tail = text.strip().partition(":")
    name, _, preset = head.partition("@")
    spec = ModelSpec(name.strip(), preset.strip() or None)
    overrides = dict(parse_assignment(p) for p in _split_top_level(tail)) if tail else {}
    return [
        _validate_swept(spec.with_overrides(combo), overrides)
        for combo in sweep_combinations(overrides, text.strip())
    ]


def sweep_combinations(overrides: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """Every combination of the list-valued overrides, the others held fixed."""
    swept = {k: v for k, v in overrides.items() if isinstance(v, list)}
    for key, values in swept.items():
        if not values:
            raise ModelSpecError(f"{what}: {key}=[] sweeps over no value")
    total = 1
    for values in swept.values():
        total *= len(values)
    if total > MAX_SWEEP:
        raise ModelSpecError(f"{what}: the sweep has {total} combinations, at most {MAX_SWEEP}")
    fixed = {k: v for k, v in overrides.items() if k not in swept}
    return [
        {**fixed, **dict(zip(swept, values, strict=True))}
        for values in itertools.product(*swept.values())
    ]


def _validate_swept(spec: ModelSpec, overrides: dict[str, Any]) -> ModelSpec:
    """``validate_spec``, with a hint when a swept value was meant as one tuple."""
    try:
        return validate_spec(spec)
    except ModelSpecError as exc:
        if any(isinstance(v, list) for v in overrides.values()) and "should be a tuple" in str(exc):
            raise ModelSpecError(
                f"{exc}; a list is a sweep over its items: write a tuple (64,32) for one value"
            ) from None
        raise


def model_groups() -> dict[str, list[str]]:
    """Every group name and the spec labels it stands for, in listing order.

    ``all``: every model's tuned default followed by each of its presets; one group per
    family (``classical``, ``deep``) likewise for the models of that family; ``notebooks``:
    every preset (each a configuration as written somewhere else); ``default``: the
    contract models' tuned defaults (what ``mnistbench run`` runs with no ``--models``).
    """
    entries = available_models()
    every = {e.name: [e.name, *(f"{e.name}@{p}" for p in e.presets)] for e in entries}
    groups = {
        GROUP_ALL: [label for e in entries for label in every[e.name]],
        GROUP_DEFAULT: [name for name in DEFAULT_MODELS if name in every],
        GROUP_NOTEBOOKS: [label for e in entries for label in every[e.name][1:]],
    }
    for entry in entries:
        if entry.family and entry.family not in groups:
            groups[entry.family] = [
                label for e in entries if e.family == entry.family for label in every[e.name]
            ]
    return groups


def parse_spec_list(text: str) -> list[ModelSpec]:
    """A comma-separated list where ``k=v`` items belong to the spec before them; a group
    name (see ``model_groups``) stands for its specs. A spec selected twice runs once."""
    items: list[str] = []
    for part in _split_top_level(text):
        if "=" in part and ":" not in part.split("=", 1)[0] and items:
            items[-1] += ("," if ":" in items[-1] else ":") + part
        else:
            items.append(part)
    groups = model_groups()
    specs: dict[str, ModelSpec] = {}
    for item in items:
        head = item.partition(":")[0].partition("@")[0].strip()
        if head in groups and head not in _REGISTRY:
            if item.strip() != head:
                raise ModelSpecError(
                    f"{item!r}: a group ({head}) takes no preset or "
                    f"parameters; use --set model.param=value"
                )
            selected = [parse_spec(label) for label in groups[head]]
        else:
            selected = expand_spec(item)
        for spec in selected:
            specs.setdefault(spec.label, spec)
    return list(specs.values())


def apply_settings(specs: Iterable[ModelSpec], settings: Iterable[str]) -> list[ModelSpec]:
    """Apply ``--set name.param=value`` to every spec of that model."""
    per_model: dict[str, dict[str, Any]] = {}
    for text in settings:
        target, eq, _ = text.partition("=")
        name, dot, _ = target.partition(".")
        if not eq or not dot:
            raise ModelSpecError(f"--set expects model.param=value, got {text!r}")
        get_entry(name.strip())
        key, value = parse_assignment(text.split(".", 1)[1])
        per_model.setdefault(name.strip(), {})[key] = value
    out: dict[str, ModelSpec] = {}
    for s in specs:  # a list value sweeps every spec of that model
        settings_of = per_model.get(s.name, {})
        for combo in sweep_combinations(settings_of, f"--set {s.name}"):
            spec = _validate_swept(s.with_overrides(combo), settings_of)
            out.setdefault(spec.label, spec)
    return list(out.values())


def validate_spec(spec: ModelSpec) -> ModelSpec:
    """Fail early on an unknown model, preset or parameter, or a value of the wrong kind."""
    entry = get_entry(spec.name)
    preset = canonical_preset(entry, spec.preset)
    if preset and preset not in entry.presets:
        presets = ", ".join(entry.presets) or "none"
        raise ModelSpecError(f"model {spec.name} has no preset {spec.preset!r}; presets: {presets}")
    checked = []
    for key, value in spec.overrides:
        if key not in entry.cls.defaults:
            raise ModelSpecError(
                f"model {spec.name} has no parameter {key!r}; "
                f"see `mnistbench models` for its parameters"
            )
        checked.append((key, check_value(f"{spec.name}.{key}", value, entry.cls.defaults[key])))
    spec = ModelSpec(spec.name, preset, tuple(checked))
    try:
        get_model(spec).check_params()
    except ModelSpecError:
        raise
    except Exception as exc:  # scikit-learn's InvalidParameterError and friends
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ModelSpecError(f"{spec.label}: {first_line}") from None
    return spec


def get_model(spec: ModelSpec | str, **overrides: Any) -> BenchModel:
    """A fresh, unfitted model for a spec (text or parsed)."""
    if isinstance(spec, str):
        spec = parse_spec(spec)
    params = spec.params()
    params.update(overrides)
    return get_entry(spec.name).cls(**params)
