"""The parsed-array cache: a data set's images and labels as ``.npy`` files.

Parsing and verifying 70,000 gzip'd images on every benchmark run would dominate start-up,
so the result is kept once and later loads memory-map it. ``meta.json`` is written last and
is the commit marker: an entry without it (a run killed mid-write) is simply not there.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnistbench.data.dataset import readonly
from mnistbench.files import atomic_write

CACHE_FORMAT = 1


@dataclass(frozen=True, eq=False)
class CachedArrays:
    """An opened, checked cache entry (images memory-mapped, labels read-only)."""

    images: np.ndarray
    labels: np.ndarray
    meta: dict[str, Any]

    @property
    def n_samples(self) -> int:
        return int(self.meta["n_samples"])

    @property
    def n_official_train(self) -> int:
        return int(self.meta["n_official_train"])

    @property
    def extra_tests(self) -> dict[str, tuple[int, int]]:
        """Second test parts kept after the main rows: name -> (start, stop)."""
        return {k: (int(a), int(b)) for k, (a, b) in self.meta.get("extra_tests", {}).items()}

    @property
    def n_main(self) -> int:
        """Rows of the data set proper (training then test part), before any second test part."""
        starts = [a for a, _ in self.extra_tests.values()]
        return min(starts) if starts else self.n_samples


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mnistbench``, else ``~/.cache/mnistbench`` (XDG base-dir rules)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mnistbench"


def cache_entry(cache_dir: str | Path | None, name: str) -> Path:
    """The folder that holds data set ``name`` in ``cache_dir`` (default: the user cache)."""
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return root / name


def save_cache(
    entry: Path,
    images: np.ndarray,
    labels: np.ndarray,
    n_official_train: int,
    source: str,
    sources: list[dict[str, object]],
    *,
    n_classes: int = 10,
    extra_tests: dict[str, tuple[int, int]] | None = None,
) -> bool:
    """Write images.npy, labels.npy, then meta.json (the commit marker); False if unwritable.

    ``sources`` are the file stats the arrays were parsed from ([] for a download), so a
    later load can tell whether the entry still matches those files. ``extra_tests`` names
    rows at the end that form a second test part (QMNIST's 50,000).
    """
    meta = {
        "format": CACHE_FORMAT,
        "name": entry.name,
        "n_samples": int(len(labels)),
        "image_shape": list(images.shape[1:]),
        "n_official_train": int(n_official_train),
        "source": source,
        "sources": sources,
        "created": time.time(),
    }
    if n_classes != 10:
        meta["n_classes"] = int(n_classes)
    if extra_tests:
        meta["extra_tests"] = {k: [int(a), int(b)] for k, (a, b) in extra_tests.items()}
    try:
        entry.mkdir(parents=True, exist_ok=True)
        (entry / "meta.json").unlink(missing_ok=True)  # never leave old meta over new arrays
        atomic_write(entry / "images.npy", lambda fh: np.save(fh, images))
        atomic_write(entry / "labels.npy", lambda fh: np.save(fh, labels))
        atomic_write(entry / "meta.json", json.dumps(meta, indent=1).encode("utf-8"))
    except OSError:
        return False
    return True


def open_cache(entry: Path, sources: list[dict[str, object]] | None = None) -> CachedArrays | None:
    """Memory-map a cache entry if it is complete and (when ``sources`` given) from those files."""
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(meta, dict)
        or meta.get("format") != CACHE_FORMAT
        or meta.get("name") != entry.name
    ):
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
    n_classes = meta.get("n_classes", 10)
    extra = meta.get("extra_tests", {})
    if not isinstance(extra, dict) or not all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(i, int) for i in v)
        for v in extra.values()
    ):
        return None
    if (
        images.dtype != np.uint8
        or images.ndim != 3
        or images.shape[0] != n
        or labels.dtype != np.int64
        or labels.shape != (n,)
        or not isinstance(n_train, int)
        or not 0 < n_train < n
        or not isinstance(n_classes, int)
        or labels.min() < 0
        or labels.max() >= n_classes
        or any(not n_train < a < b <= n for a, b in extra.values())
    ):
        return None
    return CachedArrays(images, readonly(labels), meta)
