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
import re
from collections.abc import Sequence

import numpy as np

from mnistbench.data import Split
from mnistbench.errors import MnistbenchError

#: what ``--train-sizes`` calls the whole training part
ALL = "all"
#: mixed into the split seed so the subset order is not the split's own random stream
_SUBSET_STREAM = 0x5EED


def parse_train_sizes(
    text: str | Sequence[int | float | str], n_train: int, n_classes: int
) -> list[int | None]:
    """``500,1000,0.5,all`` -> ascending distinct row counts, None for the whole training
    part (a count equal to it, a fraction of 1 or ``all``). Counts are whole numbers,
    fractions lie in (0, 1]; each size holds at least one row per class."""
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    items = [t.strip() for t in items if t.strip()]
    if not items:
        raise MnistbenchError("--train-sizes is empty; give counts, fractions or 'all'")
    sizes: set[int] = set()
    for item in items:
        sizes.add(_one_size(item, n_train, n_classes))
    return [None if n == n_train else n for n in sorted(sizes)]


def _one_size(item: str, n_train: int, n_classes: int) -> int:
    if item.lower() == ALL:
        return n_train
    if re.fullmatch(r"\d+", item):
        n = int(item)
    elif re.fullmatch(r"\d*\.\d+(e-?\d+)?|\d+e-?\d+", item.lower()):
        fraction = float(item)
        if not 0 < fraction <= 1:
            raise MnistbenchError(
                f"--train-sizes {item}: a fraction must lie in (0, 1]; "
                "write a whole number for a count"
            )
        n = max(1, round(fraction * n_train))
    else:
        raise MnistbenchError(
            f"--train-sizes {item!r}: give a row count (1000), a fraction (0.1) or 'all'"
        )
    if n > n_train:
        raise MnistbenchError(f"--train-sizes {item}: the training part has only {n_train:,} rows")
    if n < n_classes:
        raise MnistbenchError(
            f"--train-sizes {item}: at least {n_classes} rows are needed, one per class"
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
