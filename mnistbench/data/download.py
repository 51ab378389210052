"""Network fallback for the full data sets: OpenML through scikit-learn, then Keras' mirror.

Only called when no local copy exists and the caller allows downloading; which mirror holds
what (names, versions, row counts) is read from the catalogue. The two fetchers are
thin module-level wrappers so that tests can replace them (no network in tests) and so that
scikit-learn's dataset machinery and TensorFlow are imported only when actually needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistbench.data.catalogue import DatasetDescription
from mnistbench.errors import DataError


class DownloadError(DataError):
    """Every mirror failed; ``reasons`` holds one short line per mirror."""

    def __init__(self, name: str, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(f"could not download {name}: " + "; ".join(reasons))


@dataclass(frozen=True)
class Downloaded:
    """Arrays fetched from a mirror, already checked and converted to the IDX dtypes."""

    images: np.ndarray  # uint8 (n, height, width)
    labels: np.ndarray  # int64 (n,)
    n_official_train: int
    source: str


def fetch_openml(name: str, *, version: int) -> tuple[Any, Any]:
    """Fetch (X, y) from OpenML; wraps scikit-learn so tests can monkeypatch it."""
    from sklearn.datasets import fetch_openml as sk_fetch_openml

    return sk_fetch_openml(name, version=version, as_frame=False, return_X_y=True, parser="auto")


def keras_load_data(module: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Fetch ((x_train, y_train), (x_test, y_test)) from Keras' mirror; monkeypatchable."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import importlib

    datasets = importlib.import_module("keras.datasets." + module)
    return datasets.load_data()


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{type(exc).__name__}: {text}"


def _to_uint8_images(x: Any, n_rows: int, what: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(x)
    height, width = shape
    if arr.shape not in ((n_rows, height * width), (n_rows, height, width)):
        raise DataError(
            f"{what} returned images of shape {arr.shape}, expected ({n_rows}, {height * width})"
        )
    arr = arr.reshape(n_rows, height, width)
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    out = np.empty(arr.shape, dtype=np.uint8)
    for start in range(0, n_rows, 10_000):  # chunked: float64 MNIST is 440 MB already
        block = np.asarray(arr[start : start + 10_000], dtype=np.float64)
        if (
            not np.all(np.isfinite(block))
            or block.min() < 0
            or block.max() > 255
            or np.any(block != np.round(block))
        ):
            raise DataError(f"{what} returned pixel values that are not integers 0..255")
        out[start : start + 10_000] = block
    return out


def _to_labels(y: Any, n_rows: int, what: str) -> np.ndarray:
    try:
        labels = np.asarray(y).astype(np.int64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} returned labels that are not integers ({_short(exc)})") from exc
    if labels.shape != (n_rows,) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{what} returned labels of shape {labels.shape} or outside 0..9")
    return labels


def download_dataset(desc: DatasetDescription) -> Downloaded:
    """Fetch a full data set from OpenML, falling back to Keras; DataError lists why both failed.

    Downloaded arrays cannot be checked against the IDX checksums (the mirrors re-encode them),
    so they are checked for shape, count and value range instead.
    """
    remote = desc.remote
    if remote is None:
        raise DownloadError(desc.name, ["no mirror is known for this data set"])
    n_train, n_total, shape = remote.n_official_train, remote.n_total, desc.image_shape
    reasons = []
    try:
        openml = f"{remote.openml_name} v{remote.openml_version}"
        x, y = fetch_openml(remote.openml_name, version=remote.openml_version)
        what = f"OpenML {openml}"
        return Downloaded(
            _to_uint8_images(x, n_total, what, shape),
            _to_labels(y, n_total, what),
            n_train,
            f"OpenML download ({openml})",
        )
    except Exception as exc:  # any failure (offline, HTTP, parse) falls through to Keras
        reasons.append(f"OpenML: {_short(exc)}")
    try:
        (x_tr, y_tr), (x_te, y_te) = keras_load_data(remote.keras_module)
        what = f"keras.datasets.{remote.keras_module}"
        x_tr, x_te = np.asarray(x_tr), np.asarray(x_te)
        if len(x_tr) != n_train:
            raise DataError(f"{what} returned {len(x_tr)} training images, expected {n_train}")
        images = _to_uint8_images(np.concatenate([x_tr, x_te]), n_total, what, shape)
        labels = _to_labels(np.concatenate([np.asarray(y_tr), np.asarray(y_te)]), n_total, what)
        return Downloaded(images, labels, n_train, f"Keras download ({what})")
    except Exception as exc:
        reasons.append(f"Keras: {_short(exc)}")
    raise DownloadError(desc.name, reasons)
