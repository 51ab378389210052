"""The common split: disjoint, covering, stratified, deterministic, validation from train."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mnistbench.data import Dataset, Split, load_dataset, make_split
from mnistbench.data.split import split_fingerprint
from mnistbench.errors import DataError


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset("digits")


def synthetic(n_train: int = 1_000, n_test: int = 200, *, official: bool = True) -> Dataset:
    rng = np.random.default_rng(7)
    n = n_train + n_test
    images = rng.integers(0, 256, (n, 4, 4), dtype=np.uint8)
    images[0] = 255
    labels = (np.arange(n) % 10).astype(np.int64)
    return Dataset(
        "synthetic",
        images,
        labels,
        255.0,
        n_train if official else None,
        "test",
        tuple("0123456789"),
    )


def check_partition(split: Split, n: int) -> None:
    parts = [split.train_idx, split.val_idx, split.test_idx]
    for idx in parts:
        assert idx.dtype == np.int64 and np.all(np.diff(idx) > 0)  # sorted, no repeats
    joined = np.concatenate(parts)
    assert len(joined) == len(np.unique(joined)) == n  # disjoint and covering
    np.testing.assert_array_equal(np.sort(joined), np.arange(n))


def check_arrays(split: Split, ds: Dataset) -> None:
    for X, y, idx in (
        (split.X_train, split.y_train, split.train_idx),
        (split.X_val, split.y_val, split.val_idx),
        (split.X_test, split.y_test, split.test_idx),
    ):
        assert X.dtype == np.float32 and X.flags.c_contiguous and not X.flags.writeable
        assert X.shape == (len(idx), ds.image_shape[0] * ds.image_shape[1])
        assert y.dtype == np.int64 and not y.flags.writeable
        expected = ds.images[idx].reshape(len(idx), -1).astype(np.float32) / ds.pixel_max
        assert X.tobytes() == expected.tobytes()
        np.testing.assert_array_equal(y, ds.labels[idx])
        if len(X):
            assert X.min() >= 0.0 and X.max() <= 1.0


def test_stratified_default_on_digits(digits):
    split = make_split(digits)
    assert split.scheme == "stratified" and split.dataset == "digits"
    assert (len(split.train_idx), len(split.val_idx), len(split.test_idx)) == (1293, 144, 360)
    check_partition(split, len(digits))
    check_arrays(split, digits)
    assert split.X_train.max() == 1.0  # digits scaled by 16, not 255
    assert split.image_shape == (8, 8) and split.n_classes == 10
    assert split.test_size == 0.2 and split.val_size == 0.1


def test_stratified_class_proportions(digits):
    split = make_split(digits, test_size=0.25, seed=3)
    overall = np.bincount(digits.labels, minlength=10) / len(digits)
    for y in (split.y_train, split.y_val, split.y_test):
        counts = np.bincount(y, minlength=10)
        assert np.all(np.abs(counts - overall * len(y)) <= 1.0)


def test_integer_sizes(digits):
    split = make_split(digits, test_size=300, val_size=100)
    assert len(split.test_idx) == 300 and len(split.val_idx) == 100
    assert len(split.train_idx) == len(digits) - 400
    assert split.describe()["test_size"] == 300
    from_cli = make_split(digits, test_size=300.0, val_size=100.0)  # argparse gives floats
    assert from_cli.fingerprint == split.fingerprint and from_cli.test_size == 300


def test_deterministic_and_seed_sensitive(digits):
    a, b = make_split(digits, seed=5), make_split(digits, seed=5)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 16
    for name in ("X_train", "X_val", "X_test", "y_train", "y_val", "y_test", "test_idx"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    c = make_split(digits, seed=6)
    assert c.fingerprint != a.fingerprint
    assert not np.array_equal(c.test_idx, a.test_idx)


def test_fingerprint_recipe(digits):
    split = make_split(digits, seed=1)
    parts = [(i, digits.labels[i]) for i in (split.train_idx, split.val_idx, split.test_idx)]
    assert split.fingerprint == split_fingerprint("digits", "stratified", parts)
    assert split.fingerprint != split_fingerprint("digits", "official", parts)


def test_official_scheme_keeps_file_order():
    ds = synthetic()
    split = make_split(ds, val_size=100)
    assert split.scheme == "official" and split.test_size is None
    np.testing.assert_array_equal(split.test_idx, np.arange(1_000, 1_200))
    assert len(split.val_idx) == 100 and split.val_idx.max() < 1_000  # from train only
    assert np.bincount(split.y_val).tolist() == [10] * 10
    check_partition(split, len(ds))
    check_arrays(split, ds)


def test_official_default_validation_is_5000():
    split = make_split(synthetic(n_train=6_000, n_test=500))
    assert (len(split.train_idx), len(split.val_idx), len(split.test_idx)) == (1_000, 5_000, 500)


def test_validation_never_from_test(digits):
    split = make_split(digits, val_size=0.3, seed=2)
    assert not set(split.val_idx) & set(split.test_idx)
    again = make_split(digits, val_size=0.1, seed=2)
    np.testing.assert_array_equal(split.test_idx, again.test_idx)  # val size leaves test alone


def test_stratified_scheme_on_official_dataset():
    ds = synthetic()
    split = make_split(ds, "stratified", test_size=0.1)
    assert split.scheme == "stratified" and len(split.test_idx) == 120
    check_partition(split, len(ds))


def test_no_validation_part(digits):
    split = make_split(digits, val_size=0)
    assert split.X_val.shape == (0, 64) and split.y_val.shape == (0,)
    check_partition(split, len(digits))


def test_official_without_official_part_is_an_error(digits):
    with pytest.raises(DataError, match="digits has no official train/test split"):
        make_split(digits, "official")


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"scheme": "random"}, "unknown split scheme"),
        ({"test_size": 1.5}, "strictly between 0 and 1"),
        ({"test_size": float("nan")}, "strictly between 0 and 1"),
        ({"test_size": 0}, "impossible"),
        ({"test_size": 5_000}, "impossible"),
        ({"test_size": "0.2"}, "must be a fraction"),
        ({"test_size": 3}, "cannot carve test_size=3"),  # fewer rows than classes
        ({"val_size": -0.1}, "strictly between 0 and 1"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments(digits, kwargs, pattern):
    with pytest.raises(DataError, match=pattern) as err:
        make_split(digits, **kwargs)
    assert "\n" not in str(err.value)


def test_describe_is_json(digits):
    split = make_split(digits, seed=np.int64(4), test_size=np.int64(200))
    info = json.loads(json.dumps(split.describe()))
    assert info == {
        "dataset": "digits",
        "scheme": "stratified",
        "seed": 4,
        "test_size": 200,
        "val_size": 0.1,
        "n_train": len(split.train_idx),
        "n_val": len(split.val_idx),
        "n_test": 200,
        "image_shape": [8, 8],
        "n_classes": 10,
        "class_names": list("0123456789"),
        "fingerprint": split.fingerprint,
    }


def test_memmapped_images(tmp_path, digits):
    path = tmp_path / "images.npy"
    np.save(path, np.asarray(digits.images))
    mapped = Dataset(
        "digits", np.load(path, mmap_mode="r"), digits.labels, 16.0, None, "x", digits.class_names
    )
    a, b = make_split(mapped), make_split(digits)
    assert a.fingerprint == b.fingerprint and a.X_train.tobytes() == b.X_train.tobytes()
    assert type(a.X_train) is np.ndarray


@pytest.mark.slow
def test_official_mnist_sizes(tmp_path):
    data_dir = os.environ.get("MNISTBENCH_DATA_DIR")
    if not data_dir or not Path(data_dir).is_dir():
        pytest.skip(
            "full MNIST not available: set MNISTBENCH_DATA_DIR to a folder of MNIST IDX files"
        )
    ds = load_dataset("mnist", data_dir=data_dir, cache_dir=tmp_path, download=False)
    split = make_split(ds)
    assert split.scheme == "official"
    assert (len(split.train_idx), len(split.val_idx), len(split.test_idx)) == (
        55_000,
        5_000,
        10_000,
    )
    np.testing.assert_array_equal(split.test_idx, np.arange(60_000, 70_000))
    assert split.X_train.shape == (55_000, 784) and split.X_train.dtype == np.float32
    assert 0.0 <= split.X_test.min() and split.X_test.max() == 1.0
    counts = np.bincount(split.y_val, minlength=10)
    expected = np.bincount(ds.labels[:60_000], minlength=10) / 60_000 * 5_000
    assert np.all(np.abs(counts - expected) <= 1.0)
    assert make_split(ds).fingerprint == split.fingerprint
    assert make_split(ds, seed=1).fingerprint != split.fingerprint
