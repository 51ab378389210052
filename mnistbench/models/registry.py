"""The registry: model names, their classes, presets, and the spec syntax that selects them.

A spec is ``name[@preset][:param=value,...]``; ``--set name.param=value`` adds overrides to
every spec of that name. Everything is validated before a run writes anything.
"""

from __future__ import annotations

import ast
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
            warnings.warn(f"mnistbench: model plug-in {ep.name!r} failed to load: {exc}",
                          stacklevel=2)


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
        raise ModelSpecError(f"parameter value {text[:20]}... is too long ({len(text)} "
                             f"characters, at most {MAX_VALUE_LENGTH})")
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

    ``knn@seed`` (the preset's old name) is read as ``knn@notebook``.
    """
    head, _, tail = text.strip().partition(":")
    name, _, preset = head.partition("@")
    spec = ModelSpec(name.strip(), preset.strip() or None)
    overrides = dict(parse_assignment(p) for p in _split_top_level(tail)) if tail else {}
    return validate_spec(spec.with_overrides(overrides))


def parse_spec_list(text: str) -> list[ModelSpec]:
    """A comma-separated list where ``k=v`` items belong to the spec before them."""
    groups: list[str] = []
    for part in _split_top_level(text):
        if "=" in part and ":" not in part.split("=", 1)[0] and groups:
            groups[-1] += ("," if ":" in groups[-1] else ":") + part
        else:
            groups.append(part)
    return [parse_spec(g) for g in groups]


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
    return [validate_spec(s.with_overrides(per_model.get(s.name, {}))) for s in specs]


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
