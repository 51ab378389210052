"""What a task is called, in one place.

The words, from the model up (the record's JSON keys keep their schema names):

- *spec* (``ModelSpec``, text ``knn@notebook:n_neighbors=3``): a registry model, a preset
  and parameter overrides; ``ModelSpec.label`` is its canonical text.
- *tuned label* (``ModelSpec.tuned_label``, the record's ``base_spec``): the same spec
  without its preset, the tuned default a preset is set beside.
- *task label* (:func:`task_label`, the record's ``spec``): the spec's label and, for a
  point of a training-size curve, its size (``knn [n=1000]``). Results, compare and the
  report match tasks by it.
- the record's ``model_spec``: a curve point's spec label without the size (the curve it
  belongs to); absent on a task that trained on the whole training part.
"""

from __future__ import annotations

import math


def task_label(spec_label: str, train_size: int | None) -> str:
    """The spec's label, with ``[n=SIZE]`` for a subset; the whole training part keeps the
    plain label, so a curve's last point is the very task a run without a curve makes."""
    return spec_label if train_size is None else f"{spec_label} [n={train_size}]"


def size_key(train_size: int | None) -> float:
    """Sort key of a size: the whole training part after every subset."""
    return math.inf if train_size is None else float(train_size)
