"""The one train / validation / test split that every model of a run shares.

Comparisons between models are only fair when they see the same rows, so the split is fully
determined by (data set, scheme, sizes, seed) and carries a fingerprint that results record:
two results with equal fingerprints were measured on identical arrays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mnistbench.data.dataset import Dataset
from mnistbench.errors import DataError

SCHEMES: tuple[str, ...] = ("official", "stratified")
OFFICIAL_VAL_SIZE = 5_000
STRATIFIED_VAL_FRACTION = 0.1
_CHUNK_ROWS = 8_192  # rows converted at a time: bounds the uint8 temporary to ~6 MB


@dataclass(frozen=True, eq=False)
class Split:
    """Scaled float32 feature matrices, int64 labels and the row indices they came from."""

    dataset: str
    scheme: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    seed: int
    test_size: float | int | None
    val_size: float | int
    fingerprint: str
    #: second test parts, scaled as X_test: name -> (X, y); empty for most data sets
    extra_tests: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def describe(self) -> dict:
        """JSON-serialisable summary, stored with every result to identify the data used."""
        out = {
            "dataset": self.dataset,
            "scheme": self.scheme,
            "seed": int(self.seed),
            "test_size": self.test_size,
            "val_size": self.val_size,
            "n_train": int(len(self.train_idx)),
            "n_val": int(len(self.val_idx)),
            "n_test": int(len(self.test_idx)),
            "image_shape": [int(d) for d in self.image_shape],
            "n_classes": self.n_classes,
            "class_names": list(self.class_names),
            "fingerprint": self.fingerprint,
        }
        if self.extra_tests:
            out["extra_tests"] = {name: int(len(y)) for name, (_, y) in self.extra_tests.items()}
        return out

    def __repr__(self) -> str:
        return (
            f"Split(dataset={self.dataset!r}, scheme={self.scheme!r}, seed={self.seed}, "
            f"n_train={len(self.train_idx)}, n_val={len(self.val_idx)}, "
            f"n_test={len(self.test_idx)}, fingerprint={self.fingerprint!r})"
        )


def split_fingerprint(
    dataset: str,
    scheme: str,
    parts: list[tuple[np.ndarray, np.ndarray]],
    extra: Mapping[str, np.ndarray] | None = None,
) -> str:
    """First 16 hex chars of SHA-256 over name, scheme and each (indices, labels) pair.

    Recipe: name and scheme as UTF-8, each followed by a NUL byte; then for train, val and
    test in that order: the row count as 8-byte little-endian int, the indices and then their
    labels as little-endian int64 bytes. Second test parts (``extra``: name -> labels), when
    there are any, follow in name order: the name and a NUL byte, the count and the labels.
    """
    digest = hashlib.sha256()
    for text in (dataset, scheme):
        digest.update(text.encode("utf-8") + b"\0")
    for idx, labels in parts:
        digest.update(np.int64(len(idx)).astype("<i8").tobytes())
        digest.update(np.ascontiguousarray(idx, dtype="<i8").tobytes())
        digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    for name in sorted(extra or {}):
        labels = np.asarray((extra or {})[name])
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(np.int64(len(labels)).astype("<i8").tobytes())
        digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()[:16]


def _normalize_size(value: float | int, what: str, n: int) -> float | int:
    """A fraction in (0, 1) or a row count; a whole float >= 1 (e.g. from a CLI) is a count."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DataError(f"{what} must be a fraction in (0, 1) or a row count, got {value!r}")
    if isinstance(value, np.generic):  # a NumPy scalar (float64, int64) as its Python number
        value = value.item()
    if isinstance(value, float) and value >= 1.0 and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not 0 < value < n:
            raise DataError(
                f"{what}={value} rows is impossible with {n} rows to split; "
                f"use a count between 1 and {n - 1} or a fraction"
            )
    elif not 0.0 < value < 1.0:
        raise DataError(
            f"{what}={value} must be a fraction strictly between 0 and 1, or a whole number of rows"
        )
    return value


def _stratified(
    pool: np.ndarray, labels: np.ndarray, size: float | int, seed: int, what: str, dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split  # lazy: keeps `import` and CLI quick

    try:
        keep, held = train_test_split(
            pool, test_size=size, stratify=labels[pool], random_state=seed, shuffle=True
        )
    except ValueError as exc:
        text = " ".join(str(exc).split())
        raise DataError(
            f"cannot carve {what}={size!r} out of {len(pool)} rows of {dataset} "
            f"with every class represented ({text}); choose a larger or smaller "
            f"{what}"
        ) from exc
    return np.sort(keep).astype(np.int64), np.sort(held).astype(np.int64)


def _features(images: np.ndarray, idx: np.ndarray, pixel_max: float) -> np.ndarray:
    """images[idx] flattened and divided by pixel_max in float32, converted chunk by chunk."""
    n_pixels = int(np.prod(images.shape[1:]))
    out = np.empty((len(idx), n_pixels), dtype=np.float32)
    scale = np.float32(pixel_max)
    for start in range(0, len(idx), _CHUNK_ROWS):
        rows = idx[start : start + _CHUNK_ROWS]
        block = np.asarray(images[rows]).reshape(len(rows), n_pixels)
        np.divide(block, scale, out=out[start : start + len(rows)], dtype=np.float32)
    out.flags.writeable = False
    return out


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def make_split(
    dataset: Dataset,
    scheme: str | None = None,
    *,
    test_size: float | int = 0.2,
    val_size: float | int | None = None,
    seed: int = 0,
) -> Split:
    """Split a data set into train / validation / test, deterministically for a given seed.

    ``scheme`` None means "official" when the data set has an official training part, else
    "stratified". ``test_size`` (scikit-learn semantics) is used by "stratified" only. The
    validation part always comes out of the training part, stratified with the same seed;
    ``val_size`` None means 5,000 rows (official; the data set may give another count, and a
    training part not larger than it gets 10%) or 10% of the training part; 0 means none.
    """
    if scheme is None:
        scheme = "official" if dataset.n_official_train is not None else "stratified"
    if scheme not in SCHEMES:
        raise DataError(f"unknown split scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    labels = np.asarray(dataset.labels, dtype=np.int64)
    n = len(labels)
    classes = np.unique(labels)
    if len(classes) < 2:  # every model would fail or score a meaningless 1.0
        only = f" (label {classes[0]})" if len(classes) else ""
        raise DataError(
            f"{dataset.name} holds a single class{only}; a classifier needs at least two "
            "classes: add images of other classes"
        )
    recorded_test_size: float | int | None
    if scheme == "official":
        if dataset.n_official_train is None:
            raise DataError(
                f"{dataset.name} has no official train/test split; use the 'stratified' scheme"
            )
        pool = np.arange(dataset.n_official_train, dtype=np.int64)
        test_idx = np.arange(dataset.n_official_train, n, dtype=np.int64)
        recorded_test_size = None
    else:
        test_size = _normalize_size(test_size, "test_size", n)
        pool, test_idx = _stratified(
            np.arange(n, dtype=np.int64), labels, test_size, seed, "test_size", dataset.name
        )
        recorded_test_size = test_size
    if val_size is None:
        val_size = STRATIFIED_VAL_FRACTION
        if scheme == "official":
            # 5,000 rows (MNIST's custom) unless the data set says otherwise (USPS' training
            # part is 7,291); 10% when the training part is not larger than that
            official_val = dataset.official_val_size or OFFICIAL_VAL_SIZE
            if official_val < len(pool):
                val_size = official_val
    if (
        not isinstance(val_size, bool)
        and isinstance(val_size, int | float | np.number)
        and val_size == 0
    ):
        val_size = 0
        train_idx, val_idx = pool, np.empty(0, dtype=np.int64)
    else:
        val_size = _normalize_size(val_size, "val_size", len(pool))
        train_idx, val_idx = _stratified(pool, labels, val_size, seed, "val_size", dataset.name)
    parts = [
        (train_idx, labels[train_idx]),
        (val_idx, labels[val_idx]),
        (test_idx, labels[test_idx]),
    ]
    extra_labels = {
        name: np.asarray(y, dtype=np.int64) for name, (_, y) in dataset.extra_tests.items()
    }
    fingerprint = split_fingerprint(dataset.name, scheme, parts, extra_labels)
    arrays = [
        (_features(dataset.images, idx, dataset.pixel_max), _frozen(y.copy())) for idx, y in parts
    ]
    extra_tests = {
        name: (
            _features(images, np.arange(len(images), dtype=np.int64), dataset.pixel_max),
            _frozen(extra_labels[name].copy()),
        )
        for name, (images, _) in dataset.extra_tests.items()
    }
    return Split(
        dataset=dataset.name,
        scheme=scheme,
        X_train=arrays[0][0],
        y_train=arrays[0][1],
        X_val=arrays[1][0],
        y_val=arrays[1][1],
        X_test=arrays[2][0],
        y_test=arrays[2][1],
        train_idx=_frozen(train_idx),
        val_idx=_frozen(val_idx),
        test_idx=_frozen(test_idx),
        image_shape=dataset.image_shape,
        class_names=tuple(dataset.class_names),
        seed=seed,
        test_size=recorded_test_size,
        val_size=val_size,
        fingerprint=fingerprint,
        extra_tests=extra_tests,
    )
