"""Text into values, at the edge: what the command line and the Python API share to turn
what a user typed (``--seeds 0,1``, ``seeds="0,1"``) into the values the core takes.

Every error names the value by its field (``seeds``); the command line says ``--seeds``,
the API ``seeds``. Model specs have their grammar in ``mnistbench.models.specs``; this
module only applies it to a comma list.
"""

from __future__ import annotations

import re

from mnistbench.errors import RequestError
from mnistbench.harness.cluster import LOCAL_PREFIX, MAX_LOCAL_WORKERS, SchedulerAddress
from mnistbench.harness.subsets import TrainSize
from mnistbench.models import ModelSpec, select_models

#: what a training-size curve calls the whole training part
ALL = "all"
#: fields whose flag is not ``--<field-name>``
_FLAGS = {"settings": "--set"}


def flag(field: str) -> str:
    """The flag of ``mnistbench run`` that gives a field of the core's request
    (``train_sizes``: ``--train-sizes``)."""
    return _FLAGS.get(field, "--" + field.replace("_", "-"))


def parse_models(text: str) -> list[ModelSpec]:
    """``knn,sgd@notebook:max_iter=5,deep``: specs, groups and sweeps expanded."""
    selection = select_models(text)
    if not selection.specs:  # say why when a group's models are all unavailable
        raise RequestError("models", "; ".join(["selected no model", *selection.notes]))
    return selection.specs


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
