"""The data sets mnistbench downloads from their own hosts: fetch, verify, read, keep.

Kuzushiji-MNIST, EMNIST, QMNIST and USPS each come in their own format. Their files are
fetched into a temporary folder beside the cache (see :mod:`mnistbench.data.fetch`), read
into the common uint8 images and int64 labels, and only then moved into the cache, so a
failure at any step leaves nothing behind. Verified official files already in the cache's
``downloads/`` folder (or put there by hand) are used without the network.
"""

from __future__ import annotations

import bz2
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench.data.catalogue import DatasetDescription, Host
from mnistbench.data.fetch import Mirror, downloads_dir, expected_files, fetch, verified
from mnistbench.data.idx import INT32_CODE, read_idx
from mnistbench.errors import DataError

_MAX_MEMBER_BYTES = 1 << 30  # an EMNIST zip member larger than this is not an official one


@dataclass(frozen=True, eq=False)
class HostArrays:
    """A downloaded data set: training rows, then test rows, then any second test part."""

    images: np.ndarray  # uint8 (n, height, width)
    labels: np.ndarray  # int64 (n,)
    n_train: int
    extra_tests: dict[str, tuple[int, int]]  # name -> (start, stop) rows
    source: str


def host_files_present(desc: DatasetDescription, entry: Path) -> Path | None:
    """The downloads folder when every official file of ``desc`` is in it (not yet verified)."""
    assert desc.host is not None
    folder = downloads_dir(entry, desc)
    if all((folder / f.name).is_file() for f in desc.host.files):
        return folder
    return None


def obtain(
    desc: DatasetDescription, entry: Path, *, mirror: Mirror | None, network: bool
) -> HostArrays:
    """Read ``desc`` from its verified files, fetching the missing ones when ``network``.

    Nothing is written to the cache unless every file verified and read cleanly.
    """
    host = desc.host
    assert host is not None
    kept = downloads_dir(entry, desc)
    wanted = expected_files(host, mirror)
    have = {want.name for want in wanted if verified(kept / want.name, want)}
    if not network and len(have) < len(wanted):
        raise DataError(
            f"{desc.title} is not downloaded and downloading is off: allow it "
            f"(--download), or put the official files in {kept}"
        )
    root = entry.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=root, prefix=".download-"))
    except OSError as exc:
        raise DataError(
            f"{desc.title}: cannot write to the cache {root} ({exc.strerror}); "
            "pass --cache-dir or set XDG_CACHE_HOME to a writable folder"
        ) from exc
    try:
        paths = {want.name: kept / want.name for want in wanted if want.name in have}
        fetched = [want.name for want in wanted if want.name not in have]
        for want in wanted:
            if want.name not in have:
                fetch(want, work / want.name, desc.title)
                paths[want.name] = work / want.name
        unpacked = work / "unpacked"
        unpacked.mkdir()
        try:
            arrays = read_host_files(desc, paths, unpacked)
        except DataError as exc:  # name the file, not the temporary folder that held it
            text = str(exc).replace(f"{unpacked}{os.sep}", "").replace(f"{work}{os.sep}", "")
            if not text.startswith(desc.title):
                text = f"{desc.title}: {text}"
            raise DataError(text) from None
        kept.mkdir(parents=True, exist_ok=True)
        for name in fetched:
            os.replace(work / name, kept / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    where = mirror.base_url if mirror is not None else host.base_url
    return HostArrays(
        arrays.images, arrays.labels, arrays.n_train, arrays.extra_tests, f"download ({where})"
    )


# --------------------------------------------------------------------------- formats


def _labels(raw: np.ndarray, desc: DatasetDescription, host: Host, what: str) -> np.ndarray:
    labels = raw.astype(np.int64) - host.label_offset
    n_classes = len(desc.class_names)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        lo, hi = host.label_offset, host.label_offset + n_classes - 1
        raise DataError(
            f"{desc.title}: {what} holds labels outside {lo}..{hi}; "
            "it is not the official file, remove it and download again"
        )
    return labels


def _pair(
    desc: DatasetDescription,
    images_path: Path,
    labels_path: Path,
    n_max: int,
    *,
    label_columns: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one IDX pair, checked to match; at most ``n_max`` rows each."""
    height, width = desc.image_shape
    images = read_idx(images_path, ndim=3, max_shape=(n_max, height, width)).array
    if label_columns:  # QMNIST: an int32 table, the class in column 0
        table = read_idx(labels_path, ndim=2, max_shape=(n_max, 8), element=INT32_CODE).array
        raw = table[:, 0]
    else:
        raw = read_idx(labels_path, ndim=1, max_shape=(n_max,)).array
    if images.shape[1:] != (height, width):
        raise DataError(
            f"{desc.title}: {images_path.name} holds {images.shape[1]}x{images.shape[2]} "
            f"images, the data set's are {height}x{width}; remove it and download again"
        )
    if len(images) != len(raw):
        raise DataError(
            f"{desc.title}: {images_path.name} holds {len(images)} images but "
            f"{labels_path.name} holds {len(raw)} labels; remove both and download again"
        )
    assert desc.host is not None
    return images, _labels(raw, desc, desc.host, labels_path.name)


def _extract(zf: zipfile.ZipFile, member: str, dest: Path, zip_name: str) -> Path:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise DataError(
            f"{zip_name} has no {member}; it is not the official EMNIST zip, "
            "remove it and download again"
        ) from None
    if info.file_size > _MAX_MEMBER_BYTES:
        raise DataError(f"{zip_name}: {member} declares {info.file_size:,} bytes; not EMNIST's")
    out = dest / Path(member).name
    with zf.open(info) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return out


def _idx_gz(desc: DatasetDescription, paths: dict[str, Path], prefix: str = "") -> list:
    host = desc.host
    assert host is not None
    train = _pair(
        desc,
        paths[f"{prefix}train-images-idx3-ubyte.gz"],
        paths[f"{prefix}train-labels-idx1-ubyte.gz"],
        host.n_train,
    )
    test_prefix = "test-" if prefix else "t10k-"
    test = _pair(
        desc,
        paths[f"{prefix}{test_prefix}images-idx3-ubyte.gz"],
        paths[f"{prefix}{test_prefix}labels-idx1-ubyte.gz"],
        host.n_test,
    )
    return [train, test]


def _emnist(desc: DatasetDescription, paths: dict[str, Path], work: Path) -> list:
    host = desc.host
    assert host is not None
    zip_path = paths[host.files[0].name]
    prefix = f"emnist-{host.member}-"
    members = [
        f"{prefix}{part}-{kind}-ubyte.gz"
        for part in ("train", "test")
        for kind in ("images-idx3", "labels-idx1")
    ]
    try:
        with zipfile.ZipFile(zip_path) as zf:
            found = {m: _extract(zf, "gzip/" + m, work, zip_path.name) for m in members}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise DataError(
            f"{desc.title}: {zip_path.name} is not a readable zip ({exc}); "
            "remove it and download again"
        ) from None
    parts = _idx_gz(desc, found, prefix)
    # EMNIST stores each image transposed (column-major): turn them upright
    return [(np.ascontiguousarray(x.transpose(0, 2, 1)), y) for x, y in parts]


def _qmnist(desc: DatasetDescription, paths: dict[str, Path]) -> list:
    host = desc.host
    assert host is not None
    train = _pair(
        desc,
        paths["qmnist-train-images-idx3-ubyte.gz"],
        paths["qmnist-train-labels-idx2-int.gz"],
        host.n_train,
        label_columns=True,
    )
    n_test_file = host.n_test + host.n_extra
    images, labels = _pair(
        desc,
        paths["qmnist-test-images-idx3-ubyte.gz"],
        paths["qmnist-test-labels-idx2-int.gz"],
        n_test_file,
        label_columns=True,
    )
    if len(labels) <= host.n_test:
        raise DataError(
            f"{desc.title}: the test file holds {len(labels):,} digits, the official one "
            f"{n_test_file:,} (MNIST's {host.n_test:,} first); remove it and download again"
        )
    # the first 10,000 are MNIST's test digits, reconstructed; the rest the lost 50,000
    n = host.n_test
    return [train, (images[:n], labels[:n]), (images[n:], labels[n:])]


def _usps_file(desc: DatasetDescription, path: Path, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_svmlight_file  # lazy: keeps `import` quick

    height, width = desc.image_shape
    try:
        with bz2.open(path, "rb") as fh:
            x, y = load_svmlight_file(fh, n_features=height * width, zero_based=False)
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        text = " ".join(str(exc).split())[:120]
        raise DataError(
            f"{desc.title}: {path.name} is not bz2 LIBSVM text ({text}); "
            "remove it and download again"
        ) from None
    pixels = np.asarray(x.toarray(), dtype=np.float64)
    if len(pixels) == 0 or len(pixels) > n_max:
        raise DataError(
            f"{desc.title}: {path.name} holds {len(pixels):,} rows, the official file at "
            f"most {n_max:,}; remove it and download again"
        )
    if not np.all(np.isfinite(pixels)) or pixels.min() < -1 or pixels.max() > 1:
        raise DataError(
            f"{desc.title}: {path.name} holds pixel values outside [-1, 1]; "
            "remove it and download again"
        )
    if np.any(y != np.round(y)):
        raise DataError(f"{desc.title}: {path.name} holds labels that are not integers")
    assert desc.host is not None
    images = np.rint((pixels + 1.0) / 2.0 * 255.0).astype(np.uint8).reshape(-1, height, width)
    return images, _labels(y, desc, desc.host, path.name)


def read_host_files(desc: DatasetDescription, paths: dict[str, Path], work: Path) -> HostArrays:
    """Read verified files (``paths`` by official name) into one HostArrays."""
    host = desc.host
    assert host is not None
    if host.format == "idx-gz":
        parts = _idx_gz(desc, paths)
    elif host.format == "emnist-zip":
        parts = _emnist(desc, paths, work)
    elif host.format == "qmnist":
        parts = _qmnist(desc, paths)
    else:
        train_file, test_file = (f.name for f in host.files)
        parts = [
            _usps_file(desc, paths[train_file], host.n_train),
            _usps_file(desc, paths[test_file], host.n_test),
        ]
    images = np.concatenate([x for x, _ in parts])
    labels = np.concatenate([y for _, y in parts]).astype(np.int64)
    n_train = len(parts[0][1])
    extra: dict[str, tuple[int, int]] = {}
    if len(parts) == 3:
        start = n_train + len(parts[1][1])
        extra[host.extra_test] = (start, start + len(parts[2][1]))
    return HostArrays(images, labels, n_train, extra, "")
