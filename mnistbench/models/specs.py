"""The spec grammar: the text that selects models, turned into ``ModelSpec`` values.

A spec is ``name[@preset][:param=value,...]``; a list value is a sweep (one spec per
combination); ``--set name.param=value`` adds overrides to every spec of that name. A
group name stands for many specs at once (``all``, ``default``, ``notebooks`` and one group
per model family: ``classical``, ``deep``), worked out from the registered models'
families and presets. Everything is validated before a run writes anything. A model whose
optional packages are missing is refused when named and left out of groups, and the
selection says so (``ModelSelection.notes``) for the edge to print.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnistbench.errors import ModelSpecError
from mnistbench.models.base import BenchModel, check_value
from mnistbench.models.registry import (
    AIMED_PRESETS,
    DEFAULT_MODELS,
    GROUP_ALL,
    GROUP_DEFAULT,
    GROUP_NOTEBOOKS,
    ModelEntry,
    available_models,
    canonical_preset,
    check_available,
    get_entry,
    registered_models,
)

#: the preset a model with a search space has without declaring it: its tuned profile's
#: parameters for the run's data set (``svc@tuned``; the run resolves them)
TUNED_PRESET = "tuned"
#: the tuned profiles shipped with the package, one per data set (``<dataset>.json``): the
#: models' own knowledge of their best parameters there, so they live with the models
SHIPPED_PROFILES = Path(__file__).resolve().parent / "profiles"


def is_reference_preset(preset: str | None) -> bool:
    """Whether ``preset`` is a configuration written somewhere else (a notebook, a
    library's defaults), which a tuned default's speed-up is measured against; the suite's
    own aims (``@best``...) and ``@tuned`` are not."""
    return bool(preset) and preset not in AIMED_PRESETS and preset != TUNED_PRESET


@dataclass(frozen=True)
class ModelSpec:
    """One selected variant of a registry model. ``resolved`` holds the parameters an
    ``@tuned`` spec took from its profile: they are not part of its label."""

    name: str
    preset: str | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    resolved: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def label(self) -> str:
        """Canonical text form; results and comparisons match models by it."""
        text = self.name + (f"@{self.preset}" if self.preset else "")
        if self.overrides:
            text += ":" + ",".join(f"{k}={_format_value(v)}" for k, v in self.overrides)
        return text

    @property
    def tuned_label(self) -> str:
        """The spec without its preset: what an ``@notebook`` variant is compared against."""
        return ModelSpec(self.name, None, self.overrides).label

    def params(self) -> dict[str, Any]:
        entry = get_entry(self.name)
        preset = canonical_preset(entry, self.preset)
        params = dict(entry.presets.get(preset, {})) if preset else {}
        params.update(self.resolved)
        params.update(self.overrides)
        return params

    def with_overrides(self, extra: dict[str, Any]) -> ModelSpec:
        merged = dict(self.overrides)
        merged.update(extra)
        return ModelSpec(self.name, self.preset, tuple(sorted(merged.items())), self.resolved)

    def with_resolved(self, params: dict[str, Any]) -> ModelSpec:
        """This spec running with ``params`` under its own overrides, label unchanged."""
        return ModelSpec(self.name, self.preset, self.overrides, tuple(sorted(params.items())))

    def __str__(self) -> str:
        return self.label


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
    parts: list[str] = []
    current: list[str] = []
    depth = 0
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


#: most specs one sweep, and one run in all, may expand into: a runaway product is refused
#: before validation
MAX_SWEEP = 1000


def check_run_size(total: int, what: str) -> None:
    """The limit is on the run's total: two sweeps in one ``--models``, or ``--set`` over
    several specs, count together."""
    if total > MAX_SWEEP:
        raise ModelSpecError(
            f"{what}: the run would have {total} specs, at most {MAX_SWEEP}; "
            "sweep fewer values or split it into several runs"
        )


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


def model_groups(entries: list[ModelEntry] | None = None) -> dict[str, list[str]]:
    """Every group name and the spec labels it stands for, in listing order.

    ``all``: every model's tuned default followed by each of its presets; one group per
    family (``classical``, ``deep``) likewise for the models of that family; ``notebooks``:
    every preset that is a configuration as written somewhere else (not ``@best`` and the
    suite's other aims at published results); ``default``: the
    contract models' tuned defaults (what ``mnistbench run`` runs with no ``--models``).
    Groups hold the available models (``entries``: these models instead).
    """
    entries = available_models() if entries is None else entries
    every = {e.name: [e.name, *(f"{e.name}@{p}" for p in e.presets)] for e in entries}
    groups = {
        GROUP_ALL: [label for e in entries for label in every[e.name]],
        GROUP_DEFAULT: [name for name in DEFAULT_MODELS if name in every],
        GROUP_NOTEBOOKS: [
            label
            for e in entries
            for label in every[e.name][1:]
            if label.partition("@")[2] not in AIMED_PRESETS
        ],
    }
    for entry in entries:
        if entry.family and entry.family not in groups:
            groups[entry.family] = [
                label for e in entries if e.family == entry.family for label in every[e.name]
            ]
    return groups


@dataclass(frozen=True)
class ModelSelection:
    """What a list of specs and groups selects, and the unavailable models its groups left
    out (name: why, one line)."""

    specs: list[ModelSpec]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """One line per model a group left out, for the edge to print."""
        return [f"{name} skipped (unavailable): {why}" for name, why in self.skipped.items()]


def parse_spec_list(text: str) -> list[ModelSpec]:
    """A comma-separated list where ``k=v`` items belong to the spec before them; a group
    name (see ``model_groups``) stands for its specs. A spec selected twice runs once."""
    return select_models(text).specs


def select_models(text: str) -> ModelSelection:
    """``parse_spec_list``, also saying which unavailable models its groups left out."""
    items: list[str] = []
    for part in _split_top_level(text):
        if "=" in part and ":" not in part.split("=", 1)[0] and items:
            items[-1] += ("," if ":" in items[-1] else ":") + part
        else:
            items.append(part)
    everything = registered_models()
    groups, every_group = model_groups(), model_groups(everything)
    registered = {e.name for e in everything}
    unavailable = {e.name: e.unavailable_reason for e in everything if not e.available}
    specs: dict[str, ModelSpec] = {}
    skipped: dict[str, str] = {}
    for item in items:
        head = item.partition(":")[0].partition("@")[0].strip()
        if head in every_group and head not in registered:
            if item.strip() != head:
                raise ModelSpecError(
                    f"{item!r}: a group ({head}) takes no preset or "
                    f"parameters; use --set model.param=value"
                )
            selected = [parse_spec(label) for label in groups.get(head, [])]
            for label in every_group[head]:
                name = label.partition("@")[0]
                if unavailable.get(name):
                    skipped.setdefault(name, str(unavailable[name]))
        else:
            selected = expand_spec(item)
        for spec in selected:
            specs.setdefault(spec.label, spec)
        check_run_size(len(specs), "--models")
    return ModelSelection(list(specs.values()), skipped)


#: overrides per model name: ``{"knn": {"n_neighbors": [3, 5]}}`` (a list value sweeps)
Settings = dict[str, dict[str, Any]]


def parse_settings(settings: Iterable[str]) -> Settings:
    """``name.param=value`` texts (``--set``) as overrides per model."""
    per_model: Settings = {}
    for text in settings:
        target, eq, _ = text.partition("=")
        name, dot, _ = target.partition(".")
        if not eq or not dot:
            raise ModelSpecError(f"--set expects model.param=value, got {text!r}")
        get_entry(name.strip())
        key, value = parse_assignment(text.split(".", 1)[1])
        per_model.setdefault(name.strip(), {})[key] = value
    return per_model


def apply_settings(specs: Iterable[ModelSpec], settings: Iterable[str]) -> list[ModelSpec]:
    """Apply ``--set name.param=value`` to every spec of that model."""
    return apply_overrides(specs, parse_settings(settings))


def apply_overrides(specs: Iterable[ModelSpec], per_model: Settings) -> list[ModelSpec]:
    """Every spec of a model in ``per_model`` with that model's overrides, validated; a
    list value sweeps every spec of that model."""
    for name in per_model:
        get_entry(name)
    specs = list(specs)
    total = 0
    for s in specs:  # counted before any is built
        total += len(sweep_combinations(per_model.get(s.name, {}), f"--set {s.name}"))
    check_run_size(total, "--models with --set")
    out: dict[str, ModelSpec] = {}
    for s in specs:  # a list value sweeps every spec of that model
        settings_of = per_model.get(s.name, {})
        for combo in sweep_combinations(settings_of, f"--set {s.name}"):
            spec = _validate_swept(s.with_overrides(combo), settings_of)
            out.setdefault(spec.label, spec)
    return list(out.values())


def tuning_target(label: str) -> tuple[ModelEntry, str | None]:
    """What a study named ``svc`` or ``svc@best`` tunes: the model, and the preset it
    starts from (``ModelEntry.search_space`` and ``tuning_base`` say where it looks). Only
    a preset with a space of its own is tuned: another's values may lie outside the
    model's space."""
    name, at, preset = label.partition("@")
    entry = get_entry(name)
    if not at:
        return entry, None
    preset = canonical_preset(entry, preset) or ""
    if preset not in entry.preset_spaces:
        raise ModelSpecError(
            f"{label}: a study tunes a model, or a preset its model declares a search space "
            f"for ({', '.join(f'{name}@{p}' for p in entry.preset_spaces) or 'none of its'})"
        )
    return entry, preset


def validate_spec(spec: ModelSpec) -> ModelSpec:
    """Fail early on an unknown model, preset or parameter, or a value of the wrong kind."""
    entry = check_available(get_entry(spec.name))
    preset = canonical_preset(entry, spec.preset)
    tunable = entry.cls.search_space is not None
    if preset and preset not in entry.presets and not (preset == TUNED_PRESET and tunable):
        presets = ", ".join([*entry.presets, *([TUNED_PRESET] if tunable else [])]) or "none"
        raise ModelSpecError(f"model {spec.name} has no preset {spec.preset!r}; presets: {presets}")
    checked = []
    for key, value in spec.overrides:
        if key not in entry.cls.defaults:
            raise ModelSpecError(
                f"model {spec.name} has no parameter {key!r}; "
                f"see `mnistbench models` for its parameters"
            )
        checked.append((key, check_value(f"{spec.name}.{key}", value, entry.cls.defaults[key])))
    spec = ModelSpec(spec.name, preset, tuple(checked), spec.resolved)
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
    return check_available(get_entry(spec.name)).cls(**params)
