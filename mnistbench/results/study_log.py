"""A tuning study's log as saved results: ``study.json``, written beside the study by
``mnistbench tune`` after every trial, read here (without Optuna) by the report and the
analysis of accuracy against budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mnistbench.errors import ResultsError

STUDY_LOG_FILE = "study.json"
STUDY_LOG_VERSION = 1


def read_study_log(path: Path) -> dict[str, Any]:
    """The log of the study in folder ``path`` (or the ``study.json`` file itself)."""
    path = Path(path)
    file = path / STUDY_LOG_FILE if path.is_dir() else path
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        raise ResultsError(
            f"no tuning study at {path} (no {STUDY_LOG_FILE}); give the folder "
            "mnistbench tune wrote (OUT/tune-<dataset>)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read the tuning study {file}: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != STUDY_LOG_VERSION:
        raise ResultsError(
            f"{file}: not a tuning study log of version {STUDY_LOG_VERSION}; tune again"
        )
    if not isinstance(data.get("models"), dict):
        raise ResultsError(f"{file}: a tuning study log without models")
    return data
