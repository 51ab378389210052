"""Text into values, at the edge: what the command line and the Python API share to turn
what a user typed (``--seeds 0,1``, ``seeds="0,1"``) into the values the core takes.

Every error names the value by its field (``seeds``); the command line says ``--seeds``,
the API ``seeds``. Model specs have their grammar in ``mnistbench.models.specs``; this
module only applies it to a comma list.
"""

from __future__ import annotations

import re

from mnistbench.data import DATASET_NAMES
from mnistbench.errors import RequestError
from mnistbench.harness.cluster import LOCAL_PREFIX, MAX_LOCAL_WORKERS, SchedulerAddress
from mnistbench.harness.subsets import TrainSize
from mnistbench.models import (
    ModelSelection,
    ModelSpec,
    available_models,
    select_models,
)
from mnistbench.models.registry import GROUP_ALL, check_available
from mnistbench.models.specs import tuning_target
from mnistbench.tuning.budget import COMPUTE_S, TRIALS, Budget

#: what a training-size curve calls the whole training part
ALL = "all"
#: fields whose flag is not ``--<field-name>``
_FLAGS = {"settings": "--set"}


def flag(field: str) -> str:
    """The flag of ``mnistbench run`` that gives a field of the core's request
    (``train_sizes``: ``--train-sizes``)."""
    return _FLAGS.get(field, "--" + field.replace("_", "-"))


def parse_model_selection(text: str) -> ModelSelection:
    """``knn,sgd@notebook:max_iter=5,deep``: specs, groups and sweeps expanded, with a note
    for each unavailable model a group left out."""
    selection = select_models(text)
    if not selection.specs:  # say why when a group's models are all unavailable
        raise RequestError("models", "; ".join(["selected no model", *selection.notes]))
    return selection


def parse_models(text: str) -> list[ModelSpec]:
    """The specs of ``parse_model_selection``."""
    return parse_model_selection(text).specs


def parse_datasets(text: str) -> list[str]:
    """``mnist-5k,digits``: one data set name or several (a run over each).

    A path data set (``csv:PATH`` and the other ``kind:PATH`` forms) may hold commas: a
    piece after it that is neither a data set name nor a ``kind:PATH`` of its own belongs
    to its path (``csv:a,b.csv,digits`` is ``csv:a,b.csv`` and ``digits``)."""
    names: list[str] = []
    for piece in text.split(","):
        item = piece.strip()
        glued = names and ":" in names[-1] and ":" not in item and item not in DATASET_NAMES
        if glued:
            names[-1] += "," + piece
        elif item:
            names.append(item)
    if not names:
        raise RequestError("dataset", "is empty; give a data set name, or several with commas")
    return names


def parse_seeds(text: str) -> list[int]:
    """``0,1,2``: comma-separated integers (range and distinctness are the core's)."""
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise RequestError("seeds", f"expects comma-separated integers, got {text!r}") from None


def parse_train_sizes(text: str) -> list[TrainSize]:
    """``500,1000,0.5,all``: row counts, fractions of the training part, and ``all``
    (None); the split they apply to settles the rest."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise RequestError("train_sizes", "is empty; give counts, fractions or 'all'")
    return [parse_train_size(item) for item in items]


def parse_train_size(item: str) -> TrainSize:
    if item.lower() == ALL:
        return None
    if re.fullmatch(r"\d+", item):
        return int(item)
    if re.fullmatch(r"\d*\.\d+(e-?\d+)?|\d+e-?\d+", item.lower()):
        return float(item)
    raise RequestError(
        "train_sizes", f"{item!r}: give a row count (1000), a fraction (0.1) or 'all'"
    )


def parse_scheduler(text: str) -> SchedulerAddress:
    """``local:N`` (N worker processes here) or a Dask scheduler's address."""
    if text.startswith(LOCAL_PREFIX):
        count = text[len(LOCAL_PREFIX) :]
        if not count.isdigit():
            raise RequestError(
                "scheduler",
                f"{text}: use local:N with N worker processes (1 to {MAX_LOCAL_WORKERS}), "
                "or tcp://HOST:PORT",
            )
        return SchedulerAddress(workers=int(count))
    return SchedulerAddress(address=text.strip())


def parse_target_accuracy(text: str) -> float:
    """``0.99`` or ``99%``: a validation accuracy (its range is the core's)."""
    item = text.strip()
    try:
        return float(item[:-1]) / 100 if item.endswith("%") else float(item)
    except ValueError:
        raise RequestError(
            "target_accuracy", f"{text!r}: give a fraction (0.99) or a percentage (99%)"
        ) from None


#: seconds per unit of a compute-seconds budget
_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_budget(text: str) -> Budget:
    """``40``: trials per model; ``900s``, ``30m``, ``2h``: compute seconds per model
    (wall x threads)."""
    item = text.strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", item)
    if match is None or float(match[1]) <= 0 or (not match[2] and "." in match[1]):
        raise RequestError(
            "budget",
            f"{text!r}: give a number of trials (40) or compute seconds per model (900s, 30m, 2h)",
        )
    if not match[2]:
        return Budget(TRIALS, int(match[1]), text.strip())
    return Budget(COMPUTE_S, float(match[1]) * _UNITS[match[2]], text.strip())


def parse_tune_models(text: str) -> list[str]:
    """model names, ``name@best``: a preset (its study starts from the
    preset's values and searches the space it declares), or ``all``: every available model
    that declares a search space."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == [GROUP_ALL]:
        names = [e.name for e in available_models() if e.cls.search_space is not None]
    if not names:
        raise RequestError("models", "selected no model to tune")
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*(@[A-Za-z_][A-Za-z0-9_\-]*)?", name):
            raise RequestError(
                "models",
                f"{name!r}: tune takes model names or presets (NAME@PRESET), not parameters",
            )
        entry, _ = tuning_target(name)
        check_available(entry)
    return list(dict.fromkeys(names))
