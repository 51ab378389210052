"""What a task is called, in one place.

The words, from the model up (the record's JSON keys keep their schema names):

- *spec* (``ModelSpec``, text ``knn@notebook:n_neighbors=3``): a registry model, a preset
  and parameter overrides; ``ModelSpec.label`` is its canonical text.
- *tuned label* (``ModelSpec.tuned_label``, the record's ``base_spec``): the same spec
  without its preset, the tuned default a preset is set beside.
- *task label* (:func:`task_label`, the record's ``spec``): the spec's label and, for a
  point of a training-size curve, its size (``knn [n=1000]``); in a run over several data
  sets, the data set too (``knn [digits]``, ``knn [digits, n=1000]``). Results, compare and
  the report match tasks by it, so they never mix two data sets.
- the record's ``model_spec``: a curve point's task label without the size (the curve it
  belongs to); absent on a task that trained on the whole training part.
- the record's ``spec_label``: the spec's own label, without data set or size; written only
  in a run over several data sets (:func:`spec_of` reads it from any record).
"""

from __future__ import annotations

import math


def task_label(spec_label: str, train_size: int | None, dataset: str | None = None) -> str:
    """The spec's label, with ``[n=SIZE]`` for a subset; the whole training part keeps the
    plain label, so a curve's last point is the very task a run without a curve makes. A
    task of a run over several data sets names its data set first: ``[digits, n=SIZE]``."""
    parts = [p for p in (dataset, None if train_size is None else f"n={train_size}") if p]
    return f"{spec_label} [{', '.join(parts)}]" if parts else spec_label


def spec_of(spec: str, model_spec: str | None, spec_label: str | None) -> str:
    """The spec's own label from a record's ``spec``, ``model_spec`` and ``spec_label``
    fields: what a model is called across data sets."""
    return spec_label or model_spec or spec


def size_key(train_size: int | None) -> float:
    """Sort key of a size: the whole training part after every subset."""
    return math.inf if train_size is None else float(train_size)
