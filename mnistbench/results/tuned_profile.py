"""Tuned profiles: what ``mnistbench tune`` ends in and what ``@tuned`` specs run with.

A profile holds, per model, the best parameters a study found on one data set's
validation part, with the budget spent and the study's provenance. It lives here, with the
other saved results, so that a run (the harness) resolves ``@tuned`` and the report reads
a study without either importing the tuning code above them.

A profile is refused (one line) when it was made for another data set or split, or for
another version of a model's parameters (its names, defaults or search space changed):
parameters tuned against one would be silently misread by the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnistbench.errors import ResultsError
from mnistbench.files import atomic_write, slug
from mnistbench.models import ModelSpec, get_entry
from mnistbench.models.base import check_value
from mnistbench.models.specs import SHIPPED_PROFILES, TUNED_PRESET, tuning_target

PROFILE_VERSION = 1
PROFILE_FILE = "profile.json"


class ProfileError(ResultsError):
    """A tuned profile is missing, unreadable, or made for something else."""


def study_dir(out: Path, dataset: str) -> Path:
    """Where ``mnistbench tune --out OUT`` keeps a data set's study and profile."""
    return Path(out) / f"tune-{slug(dataset)}"


def parameter_version(name: str) -> str:
    """A short hash of a model's parameter names, defaults and search space (and, for a
    study of a preset, ``name@best``, the preset's values and its space): a profile tuned
    for one version of them is refused by another. Execution settings
    (``execution_params``: how the same arithmetic runs, such as XLA) are left out: they
    change no tuned value."""
    entry, preset = tuning_target(name)
    cls = entry.cls
    payload: dict[str, Any] = {
        "defaults": {
            k: repr(v) for k, v in sorted(cls.defaults.items()) if k not in cls.execution_params
        },
        "space": repr(entry.search_space(preset)),
    }
    if preset is not None:
        payload["preset"] = {k: repr(v) for k, v in sorted(entry.presets[preset].items())}
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class ModelProfile:
    """One model's best configuration and what finding it cost."""

    params: dict[str, Any]
    val_accuracy: float
    parameter_version: str
    trials: int  # finished trials (complete, pruned or failed by the model)
    compute_s: float  # wall seconds x threads over those trials
    best_trial: int | None = None
    # the tune command that ran this model's study (a folder's models may come from
    # several: the provenance's command is the latest); None in profiles that predate it
    command: list[str] | None = None


@dataclass
class TunedProfile:
    """The profile of one data set (and split): a ``ModelProfile`` per tuned model."""

    dataset: str
    split_fingerprint: str
    budget: dict[str, Any]  # kind ("trials" or "compute_s"), amount, text as given
    models: dict[str, ModelProfile] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    version: int = PROFILE_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "dataset": self.dataset,
            "split_fingerprint": self.split_fingerprint,
            "budget": self.budget,
            "models": {
                name: {**vars(m), "params": _plain(m.params)} for name, m in self.models.items()
            },
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> TunedProfile:
        try:
            if data.get("version") != PROFILE_VERSION:
                raise ProfileError(
                    f"{where}: tuned profile version {data.get('version')!r}, this mnistbench "
                    f"reads version {PROFILE_VERSION}; tune again"
                )
            return cls(
                dataset=str(data["dataset"]),
                split_fingerprint=str(data["split_fingerprint"]),
                budget=dict(data["budget"]),
                models={k: ModelProfile(**v) for k, v in data["models"].items()},
                provenance=dict(data.get("provenance", {})),
            )
        except ProfileError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"{where}: not a tuned profile ({exc})") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def write_profile(path: Path, profile: TunedProfile) -> Path:
    """Replace ``path`` atomically (a tune killed while writing leaves the last one)."""
    text = json.dumps(profile.to_json(), indent=2, sort_keys=True) + "\n"
    atomic_write(Path(path), text.encode())
    return Path(path)


def read_profile(path: Path) -> TunedProfile:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"no tuned profile at {path}") from None
    except (OSError, ValueError) as exc:
        raise ProfileError(f"cannot read tuned profile {path}: {exc}") from None
    return TunedProfile.from_json(data, str(path))


def find_profile(dataset: str, explicit: Path | None, out: Path | None) -> Path | None:
    """The profile ``@tuned`` uses: the one given, else the one ``mnistbench tune --out``
    wrote under the results folder, else the one shipped for the data set."""
    if explicit is not None:
        return Path(explicit)
    candidates = [] if out is None else [study_dir(out, dataset) / PROFILE_FILE]
    candidates.append(SHIPPED_PROFILES / f"{slug(dataset)}.json")
    return next((p for p in candidates if p.is_file()), None)


def tuned_params(profile: TunedProfile, name: str, dataset: str, fingerprint: str) -> dict:
    """The parameters ``name@tuned`` runs with on this data set and split, or a one-line
    refusal saying why the profile does not apply."""
    where = profile.provenance.get("path", "the profile")
    if profile.dataset != dataset:
        raise ProfileError(
            f"{name}@{TUNED_PRESET}: {where} was tuned on {profile.dataset}, not {dataset}; "
            f"tune on {dataset} (mnistbench tune --dataset {dataset}) or pass its profile"
        )
    if profile.split_fingerprint != fingerprint:
        raise ProfileError(
            f"{name}@{TUNED_PRESET}: {where} was tuned on another split of {dataset} "
            f"(fingerprint {profile.split_fingerprint}, this run's {fingerprint}): its "
            "validation rows may be this run's test rows; use the split it was tuned on"
        )
    model = profile.models.get(name)
    if model is None:
        raise ProfileError(
            f"{name}@{TUNED_PRESET}: {where} has no {name} (it has "
            f"{', '.join(profile.models) or 'no model'}); tune it with mnistbench tune"
        )
    if model.parameter_version != parameter_version(name):
        raise ProfileError(
            f"{name}@{TUNED_PRESET}: {where} was tuned for another version of {name}'s "
            "parameters (names, defaults or search space changed); tune it again"
        )
    defaults = get_entry(name).cls.defaults
    unknown = sorted(set(model.params) - set(defaults))
    if unknown:
        raise ProfileError(f"{name}@{TUNED_PRESET}: {where} sets unknown {', '.join(unknown)}")
    return {k: check_value(k, v, defaults[k]) for k, v in model.params.items()}


def profile_digest(path: Path) -> str:
    """The SHA-256 of a profile file: what a run records of the profile it used, so a
    resume can tell the same profile from one tuned again in between."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise ProfileError(f"cannot read tuned profile {path}: {exc.strerror or exc}") from None


def resolve_tuned(
    specs: Iterable[ModelSpec],
    dataset: str,
    fingerprint: str,
    *,
    profile: Path | None = None,
    out: Path | None = None,
    used: dict[str, Any] | None = None,
) -> tuple[list[ModelSpec], dict[str, Any] | None]:
    """Every ``@tuned`` spec with its profile's parameters (its label unchanged, its own
    overrides still winning), the other specs as they are; and which profile that was
    (path, SHA-256, when written), for the run to record. ``used`` is what a run being
    resumed recorded: its profile is used again, and refused if it changed since."""
    specs = list(specs)
    if not any(s.preset == TUNED_PRESET for s in specs):
        return specs, None
    if used and profile is None and isinstance(used.get("path"), str):
        profile = Path(used["path"])
    path = find_profile(dataset, profile, out)
    if path is None:
        looked = f"{study_dir(out, dataset) / PROFILE_FILE} or " if out is not None else ""
        raise ProfileError(
            f"@{TUNED_PRESET}: no tuned profile for {dataset} ({looked}a shipped one); run "
            f"mnistbench tune --dataset {dataset} first, or pass --profile FILE"
        )
    digest = profile_digest(path)
    if used and used.get("sha256") != digest:
        raise ProfileError(
            f"@{TUNED_PRESET}: {path} changed since this run began (it was tuned again or "
            "edited): its finished tasks ran with the old parameters; start a new run"
        )
    loaded = read_profile(path)
    loaded.provenance["path"] = str(path)
    resolved = [
        s.with_resolved(tuned_params(loaded, s.name, dataset, fingerprint))
        if s.preset == TUNED_PRESET
        else s
        for s in specs
    ]
    record = {"path": str(path), "sha256": digest, "written": loaded.provenance.get("written")}
    return resolved, record
