"""The study's log: every finished trial of every model as plain JSON (``study.json``
beside the study), with each model's budget spent and parameter importances, rewritten
atomically after every trial. The report reads it (``mnistbench.results.study_log``)
without Optuna; the tuned profile is made from it (``mnistbench.tuning.profile``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnistbench.errors import RequestError
from mnistbench.files import atomic_write, timestamp
from mnistbench.results.study_log import STUDY_LOG_FILE, STUDY_LOG_VERSION
from mnistbench.results.tuned_profile import PROFILE_FILE, write_profile
from mnistbench.tuning.budget import Budget
from mnistbench.tuning.method import PRUNER_STEPS, sampler_text
from mnistbench.tuning.trial import RECORD

#: Optuna's trial states as the log names them
STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


def counted(trial: Any) -> bool:
    """A finished trial, counted in the budget: complete, pruned, or failed by the model
    (a trial killed with its tune is not: it is run again on resume)."""
    state = trial.state.name
    error = trial.user_attrs.get(RECORD, {}).get("error")
    return state in ("COMPLETE", "PRUNED") or (state == "FAIL" and error is not None)


def trial_row(trial: Any) -> dict[str, Any]:
    """One trial as the log keeps it."""
    attrs = {**trial.user_attrs, **trial.user_attrs.get(RECORD, {})}
    value = trial.value if trial.state.name == "COMPLETE" else None
    return {
        "number": trial.number,
        "state": STATES.get(trial.state.name, trial.state.name.lower()),
        "defaults": bool(attrs.get("defaults")),
        "params": attrs.get("params", {}),
        "val_accuracy": None if value is None or math.isnan(value) else float(value),
        "fit_s": attrs.get("fit_s"),
        "score_s": attrs.get("score_s"),
        "compute_s": attrs.get("compute_s"),
        "threads": attrs.get("threads"),
        "verdict": attrs.get("verdict"),
        "reasons": attrs.get("reasons", []),
        "steps": attrs.get("steps", []),
        "error": attrs.get("error"),
        "budget_stop": bool(attrs.get("budget_stop")),
        "finished": trial.datetime_complete.isoformat(timespec="seconds")
        if trial.datetime_complete
        else None,
    }


def importances(study: Any, seed: int) -> dict[str, float]:
    """Optuna's fANOVA importance of each parameter over the complete trials ({} while
    fewer than two differ)."""
    import optuna

    try:
        found = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed)
        )
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return {k: float(v) for k, v in found.items()}


@dataclass
class StudyLog:
    """What ``study.json`` holds, and the folder it lives in."""

    path: Path
    dataset: str
    split_fingerprint: str
    budget: Budget
    seed: int
    threads: int
    storage: str
    command: list[str]
    started: str = field(default_factory=timestamp)
    finished: str | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def start(
        cls, path: Path, dataset: str, fingerprint: str, request: Any, threads: int, url: str
    ) -> StudyLog:
        log = cls(
            path,
            dataset,
            fingerprint,
            request.budget,
            request.seed,
            threads,
            url,
            list(request.command),
        )
        previous = path / STUDY_LOG_FILE
        if previous.is_file():  # the models tuned here before stay in the log and profile
            try:
                data = json.loads(previous.read_text())
                stated = Budget.from_json(data["budget"])
                models = dict(data["models"])
            except (OSError, ValueError, KeyError, TypeError):
                raise RequestError(
                    "out",
                    f"holds an unreadable {previous}; remove it or tune into another {{out}}",
                    ("out",),
                ) from None
            if models and (stated.kind, stated.amount) != (
                request.budget.kind,
                request.budget.amount,
            ):
                raise RequestError(
                    "budget",
                    f"{request.budget.text!r} differs from the {stated.text!r} the models in "
                    f"{path} were tuned with; every model of a study gets the same budget: "
                    "use that one, or tune into another {out}",
                    ("out",),
                )
            if data.get("split_fingerprint") != fingerprint:
                raise RequestError(
                    "out",
                    f"holds a study of {data.get('dataset')} on split "
                    f"{data.get('split_fingerprint')}, not this one ({fingerprint}); tune into "
                    "another {out}",
                    ("out",),
                )
            # models logged before each one recorded its own command get the log's
            # command of then, the one that tuned them (not this tune's)
            earlier = data.get("command")
            for entry in models.values():
                if entry.get("command") is None and isinstance(earlier, list):
                    entry["command"] = ["mnistbench", *earlier]
            log.models = models  # the models tuned now are rewritten as they run
            log.started = data.get("started", log.started)
        return log

    @property
    def invocation(self) -> list[str]:
        """The tune command as typed (``command`` holds its arguments)."""
        return ["mnistbench", *self.command]

    def update(self, name: str, study: Any, *, final: bool) -> None:
        """Record ``name``'s finished trials (and, when ``final``, its importances), then
        rewrite the log and the profile."""
        rows = [trial_row(t) for t in study.get_trials(deepcopy=False) if counted(t)]
        complete = [r for r in rows if r["val_accuracy"] is not None]
        best = max(complete, key=lambda r: r["val_accuracy"], default=None)
        entry = self.models.get(name, {})
        killed = sum(1 for t in study.get_trials(deepcopy=False) if t.user_attrs.get("killed"))
        self.models[name] = {
            "trials": rows,
            "spent": {
                "trials": len(rows),
                "compute_s": float(sum(r["compute_s"] or 0.0 for r in rows)),
            },
            "killed": killed,
            "best": best,
            "pruner": f"median, on the validation accuracy at {PRUNER_STEPS}"
            if any(r["steps"] for r in rows)
            else "none: the model reports no validation accuracy per epoch",
            "importances": importances(study, self.seed) if final else entry.get("importances", {}),
            "done": final,
            "command": self.invocation,
        }
        self.save()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STUDY_LOG_VERSION,
            "dataset": self.dataset,
            "split_fingerprint": self.split_fingerprint,
            "budget": self.budget.to_json(),
            "objective": "validation accuracy (maximised; the test part is never used)",
            "sampler": sampler_text(self.seed),
            "seed": self.seed,
            "threads": self.threads,
            "storage": self.storage,
            "command": self.command,
            "started": self.started,
            "finished": self.finished,
            "models": self.models,
        }

    def save(self) -> None:
        from mnistbench.tuning.profile import make_profile

        text = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        atomic_write(self.path / STUDY_LOG_FILE, text.encode())
        write_profile(self.path / PROFILE_FILE, make_profile(self))
