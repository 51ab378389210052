"""Training-set size as an axis: nested, stratified subsets of a run's training part.

A learning curve is only a curve when its points differ in nothing but the amount of data,
so every size is drawn from one seeded order of the training rows whose every prefix keeps
the class balance: the 500 rows are inside the 1,000, those inside the 2,000, and every
model (and every model seed) at one size trains on the same rows. Validation and test
parts stay whole, so every point is scored on the same test digits. Everything here is
computed from the split alone, so a cluster worker that rebuilt the split by name rebuilds
the very same subsets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import numbers
from collections.abc import Sequence

import numpy as np

from mnistbench.data import Split
from mnistbench.errors import MnistbenchError, RequestError

#: a point of a training-size curve: a row count, a fraction of the training part in
#: (0, 1], or None for the whole training part
TrainSize = int | float | None
#: mixed into the split seed so the subset order is not the split's own random stream
_SUBSET_STREAM = 0x5EED


def resolve_train_sizes(
    sizes: Sequence[TrainSize], n_train: int, n_classes: int
) -> list[int | None]:
    """Sizes as the training part of this split has them: ascending distinct row counts,
    None for the whole part (a count equal to it, a fraction of 1 or None). Only the split
    knows ``n_train``, so fractions and bounds are settled here; each size holds at least
    one row per class."""
    if not sizes:
        raise RequestError("train_sizes", "is empty; give counts, fractions or 'all'")
    rows = {_rows(size, n_train, n_classes) for size in sizes}
    return [None if n == n_train else n for n in sorted(rows)]


def _rows(size: TrainSize, n_train: int, n_classes: int) -> int:
    if size is None:
        return n_train
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise RequestError(
            "train_sizes",
            f"{size!r}: give a row count (1000), a fraction (0.1) or 'all'",
        )
    if isinstance(size, numbers.Integral):
        n = int(size)
    else:
        if not 0 < size <= 1:
            raise RequestError(
                "train_sizes",
                f"{size}: a fraction must lie in (0, 1]; write a whole number for a count",
            )
        n = max(1, round(float(size) * n_train))
    if n > n_train:
        raise RequestError("train_sizes", f"{size}: the training part has only {n_train:,} rows")
    if n < n_classes:
        raise RequestError(
            "train_sizes", f"{size}: at least {n_classes} rows are needed, one per class"
        )
    return n


def nested_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """Positions into ``labels`` in an order whose every prefix is stratified.

    Each class is shuffled on its own, its j-th member (of N) gets the key (j + 0.5) / N,
    and rows are taken by key: any prefix of n rows holds within one row of n × N / total
    from each class, and a shorter prefix is inside a longer one by construction.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng([int(seed), _SUBSET_STREAM])
    keys = np.empty(len(labels), dtype=float)
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        keys[members] = (np.arange(len(members)) + 0.5) / len(members)
    return np.lexsort((rng.random(len(labels)), keys))


def subset_positions(split: Split, train_size: int) -> np.ndarray:
    """Positions into the split's training part of the first ``train_size`` rows of its
    nested order, ascending (the rows keep their order in the training part)."""
    if not 0 < train_size <= len(split.y_train):
        raise MnistbenchError(f"training size {train_size} is outside 1..{len(split.y_train)}")
    return np.sort(nested_order(split.y_train, split.seed)[:train_size])


def subset_fingerprint(split: Split, positions: np.ndarray) -> str:
    """16 hex digits of SHA-256 over the split's fingerprint and the subset's data-set row
    indices: two records with equal values trained on the same rows."""
    digest = hashlib.sha256(split.fingerprint.encode() + b"\0")
    digest.update(np.ascontiguousarray(split.train_idx[positions], dtype="<i8").tobytes())
    return digest.hexdigest()[:16]


def subset_split(split: Split, train_size: int | None) -> tuple[Split, str | None]:
    """The split with its training part cut to ``train_size`` rows (None: unchanged), and
    the subset's fingerprint. Validation, test and the split's fingerprint stay as they
    are: the fingerprint still names the split every point of the curve shares."""
    if train_size is None:
        return split, None
    positions = subset_positions(split, train_size)
    X, y, idx = (_frozen(a[positions]) for a in (split.X_train, split.y_train, split.train_idx))
    return dataclasses.replace(split, X_train=X, y_train=y, train_idx=idx), subset_fingerprint(
        split, positions
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
