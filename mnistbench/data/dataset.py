"""The values the data package hands out: a whole data set, and one row of its listing.

Every source (embedded, IDX, CSV, download, cache) ends as the same :class:`Dataset`, so the
split and the models never care where the pixels came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


def readonly(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only and return it.

    The arrays are shared by every model of a run: an in-place edit must fail loudly rather
    than skew the others.
    """
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole data set as raw pixels and int64 labels; the split does the scaling."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    pixel_max: float
    n_official_train: int | None
    source: str
    class_names: tuple[str, ...]
    #: second test parts scored beside the test part, never trained on: name -> (images,
    #: labels), e.g. QMNIST's 50,000 lost test digits as "qmnist-50k"
    extra_tests: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: validation rows the official split carves from the training part (None: 5,000)
    official_val_size: int | None = None

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"images {self.images.shape} and labels {self.labels.shape} "
                "do not describe the same number of 2-D images"
            )
        if self.labels.dtype != np.int64:
            raise ValueError(f"labels must be int64, got {self.labels.dtype}")
        if self.n_official_train is not None and not 0 < self.n_official_train < len(self):
            raise ValueError(
                f"n_official_train={self.n_official_train} is outside 1..{len(self) - 1}"
            )
        for name, (images, labels) in self.extra_tests.items():
            if images.shape[1:] != self.images.shape[1:] or labels.shape != (len(images),):
                raise ValueError(f"extra test part {name!r} does not match the data set's images")

    @property
    def image_shape(self) -> tuple[int, int]:
        return (int(self.images.shape[1]), int(self.images.shape[2]))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n={len(self)}, image_shape={self.image_shape}, "
            f"pixel_max={self.pixel_max}, n_official_train={self.n_official_train}, "
            f"source={self.source!r})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    """One row of `mnistbench datasets`: what a name means and whether it is usable here."""

    name: str
    description: str
    available: bool
    n_samples: int | None
    image_shape: tuple[int, ...]  # () where the data decide (a user's folder or NPZ)
    source: str
