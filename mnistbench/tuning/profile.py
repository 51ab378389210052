"""The tuned profile a study ends in (and keeps up to date as it goes): per model, the
best parameters on validation, their score, the budget spent and the parameters' version,
with the study's provenance (command, date, machine, library versions, split)."""

from __future__ import annotations

from typing import Any

from mnistbench.files import timestamp
from mnistbench.harness.environment import environment
from mnistbench.results.tuned_profile import ModelProfile, TunedProfile, parameter_version


def make_profile(log: Any) -> TunedProfile:
    """``log`` (a ``StudyLog``) as a profile: the models with at least one complete trial."""
    models = {}
    for name, study in log.models.items():
        best = study.get("best")
        if best is None:
            continue
        models[name] = ModelProfile(
            params=dict(best["params"]),
            val_accuracy=float(best["val_accuracy"]),
            parameter_version=parameter_version(name),
            trials=int(study["spent"]["trials"]),
            compute_s=float(study["spent"]["compute_s"]),
            best_trial=int(best["number"]),
            command=study.get("command"),
        )
    return TunedProfile(
        dataset=log.dataset,
        split_fingerprint=log.split_fingerprint,
        budget=log.budget.to_json(),
        models=models,
        provenance=_provenance(log),
    )


def _provenance(log: Any) -> dict[str, Any]:
    env = environment(log.threads).to_json()
    return {
        "command": log.invocation,
        "written": timestamp(),
        "study_started": log.started,
        "storage": log.storage,
        "seed": log.seed,
        "threads": log.threads,
        "machine": {k: env.get(k) for k in ("host", "cpu", "cores_logical", "platform")},
        "python": env.get("python"),
        "versions": env.get("versions", {}),
        "commit": env.get("commit"),
    }
