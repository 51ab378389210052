"""A set of four IDX files in a folder: finding it, and verifying it against the catalogue.

Users unpack MNIST in many ways (dashed or dotted names, raw or gzip'd, one folder per data
set or all in one), so finding is lenient; a half-present set or a file that is not the
official one is an error naming the file, because silently training on the wrong pixels
would spoil every result of the run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnistbench.data.catalogue import DatasetDescription, descriptions
from mnistbench.data.idx import inspect_idx, read_idx
from mnistbench.errors import DataError

#: The four files of an IDX data set, in the order train images/labels, test images/labels.
IDX_PARTS: tuple[str, ...] = ("train-images", "train-labels", "t10k-images", "t10k-labels")
_IDX_KIND = {
    "train-images": "idx3",
    "train-labels": "idx1",
    "t10k-images": "idx3",
    "t10k-labels": "idx1",
}


def _spellings(part: str) -> list[str]:
    stem, kind = part, _IDX_KIND[part]
    names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]
    return [n + ext for n in names for ext in ("", ".gz")]


#: the file names messages ask for
EXPECTED_FILES = ", ".join(_spellings(p)[0] for p in IDX_PARTS) + " (optionally .gz)"


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


def find_idx_set(base: Path, desc: DatasetDescription) -> tuple[Path, dict[str, Path]] | None:
    """Look in ``base/<name>`` (or an alias) then ``base``; a partial set is an error."""
    for directory in (*(base / sub for sub in desc.subdirs), base):
        if not directory.is_dir():
            continue
        files = find_idx_files(directory)
        if files:
            missing = [_spellings(p)[0] for p in IDX_PARTS if p not in files]
            if missing:
                raise DataError(
                    f"{directory} holds only part of the IDX files: "
                    f"{', '.join(missing)} (or .gz) missing; "
                    "add them or remove the rest"
                )
            return directory, files
    return None


def file_stats(files: dict[str, Path]) -> list[dict[str, object]]:
    """Path, size and modification time of each file: what a cache entry is keyed on."""
    stats = []
    for part in IDX_PARTS:
        path = files[part].resolve()
        st = path.stat()
        stats.append(
            {"part": part, "path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        )
    return stats


def max_shape(desc: DatasetDescription, part: str) -> tuple[int | None, ...]:
    """The most each dimension of ``part`` may declare for ``desc``: its image shape and,
    when known, its size. A header past it is refused before anything is decompressed,
    so a small gzip bomb cannot claim gigabytes."""
    n_max = desc.remote.n_total if desc.remote is not None else desc.n_samples
    return (n_max, *desc.image_shape) if part.endswith("images") else (n_max,)


def check_idx_set(desc: DatasetDescription, files: dict[str, Path]) -> int:
    """Every check of the four files that needs no pixel (headers, sizes, matching counts
    and image shapes): what listing and loading both run. Returns the number of images."""
    headers = {
        part: inspect_idx(
            files[part], ndim=3 if part.endswith("images") else 1, max_shape=max_shape(desc, part)
        )
        for part in IDX_PARTS
    }
    for prefix in ("train", "t10k"):
        img, lab = files[f"{prefix}-images"], files[f"{prefix}-labels"]
        n_img = headers[f"{prefix}-images"].shape[0]
        n_lab = headers[f"{prefix}-labels"].shape[0]
        if n_img != n_lab:
            raise DataError(
                f"{img} holds {n_img} images but {lab} holds {n_lab} labels; "
                "the pair must come from the same release, re-download both"
            )
    train_shape = headers["train-images"].shape[1:]
    if headers["t10k-images"].shape[1:] != train_shape:
        raise DataError(
            f"{files['t10k-images']}: images are "
            f"{headers['t10k-images'].shape[1:]}, the training images are "
            f"{train_shape}; re-download the files"
        )
    return sum(headers[p].shape[0] for p in IDX_PARTS[::2])


def owner_of(files: dict[str, Path], wanted: DatasetDescription) -> DatasetDescription | None:
    """Which catalogued data set these files are, judged by the (small) training-label file."""
    md5 = read_idx(files["train-labels"], ndim=1, max_shape=max_shape(wanted, "train-labels")).md5
    if wanted.official_md5.get("train-labels") == md5:
        return wanted
    for entry in descriptions():
        if entry.official_md5.get("train-labels") == md5:
            return entry
    return None


def read_idx_set(
    desc: DatasetDescription, files: dict[str, Path]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse and verify the four files: structure, matching counts, then official MD5.

    Returns all images (training part first), int64 labels, and the training-part size.
    """
    check_idx_set(desc, files)
    parsed = {
        part: read_idx(
            files[part], ndim=3 if part.endswith("images") else 1, max_shape=max_shape(desc, part)
        )
        for part in IDX_PARTS
    }
    for part in IDX_PARTS:
        got, want = parsed[part].md5, desc.official_md5[part]
        if got != want:
            others = [
                o for o in descriptions() if o.name != desc.name and o.official_md5.get(part) == got
            ]
            what = (
                f"it is the {others[0].title} file, not {desc.title}"
                if others
                else f"MD5 of the uncompressed data is {got}, the official file's is {want}"
            )
            raise DataError(
                f"{files[part]}: not the official {desc.title} {part} file "
                f"({what}); re-download it or remove it"
            )
    train_images = parsed["train-images"].array
    images = np.concatenate([train_images, parsed["t10k-images"].array])
    labels = np.concatenate([parsed["train-labels"].array, parsed["t10k-labels"].array]).astype(
        np.int64
    )
    return images, labels, int(train_images.shape[0])
