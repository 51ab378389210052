"""The data catalogue, and the promise built on it: listing and loading agree about where
each data set is, because both ask the same location lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnistbench.data import DATASET_NAMES, list_datasets, load_dataset
from mnistbench.data.catalogue import USER_SOURCES, descriptions, lookup
from mnistbench.data.idxset import IDX_PARTS
from mnistbench.errors import DataError
from tests.test_data_sources import declare_official, make_idx_set, set_system_dir


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real cache, no env data dir, no system directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MNISTBENCH_DATA_DIR", raising=False)
    set_system_dir(monkeypatch, tmp_path / "no-system-dir")


# --------------------------------------------------------------------------- the catalogue


def test_catalogue_names_and_aliases():
    assert DATASET_NAMES == tuple(d.name for d in descriptions())
    for desc in descriptions():
        assert lookup(desc.name) is desc and lookup(f" {desc.name.upper()} ") is desc
        for alias in desc.aliases:
            assert lookup(alias) is desc
    assert lookup("fashion_mnist").name == "fashion-mnist"
    assert lookup("mnist5k").name == "mnist-5k"
    assert lookup("Kuzushiji-MNIST").name == "kmnist"
    assert lookup("emnist_letters").name == "emnist-letters"
    with pytest.raises(DataError, match="unknown data set 'emnist': choose one of digits"):
        lookup("emnist")


def test_catalogue_entries_are_complete():
    for desc in (*descriptions(), *USER_SOURCES.values()):
        assert desc.description and desc.title
        assert desc.pixel_max in (16.0, 255.0)
        if desc.loader == "idx":
            assert set(desc.official_md5) == set(IDX_PARTS) and desc.subdirs
            assert desc.remote is not None and desc.n_samples is None
            assert 0 < desc.remote.n_official_train < desc.remote.n_total
        else:
            assert desc.origin and not desc.official_md5 and desc.remote is None
        if desc.loader == "host":
            host = desc.host
            assert host is not None and host.base_url.startswith("https://")
            assert host.base_url.endswith("/") and host.folder and host.files
            assert desc.n_samples == host.n_train + host.n_test
            for f in host.files:  # every file has a published checksum of the right length
                assert len(f.sha256) == 64 or (not f.sha256 and len(f.md5) == 32)
        else:
            assert desc.host is None
        if desc.loader in ("images", "npz"):
            assert desc.class_names == () and desc.image_shape == ()
        else:
            assert len(desc.class_names) in (10, 26) and len(desc.image_shape) == 2
    assert lookup("fashion-mnist").system is not None
    assert lookup("fashion-mnist").class_names[0] == "T-shirt/top"
    assert len(lookup("emnist-letters").class_names) == 26
    assert lookup("usps").image_shape == (16, 16)
    qmnist = lookup("qmnist").host
    assert qmnist is not None and (qmnist.extra_test, qmnist.n_extra) == ("qmnist-50k", 50_000)


# --------------------------------------------------------------------------- list == load


def _empty(base: Path, monkeypatch) -> None:
    base.mkdir()


def _valid(base: Path, monkeypatch) -> None:
    declare_official(monkeypatch, "mnist", make_idx_set(base))


def _partial(base: Path, monkeypatch) -> None:
    _valid(base, monkeypatch)
    next(base.glob("t10k-images*")).unlink()


def _in_subfolders(base: Path, monkeypatch) -> None:
    declare_official(monkeypatch, "mnist", make_idx_set(base / "mnist"))
    declare_official(monkeypatch, "fashion-mnist", make_idx_set(base / "fashion", seed=5))


USER_SOURCES_NAMES = [d.name for d in USER_SOURCES.values()]
SET_UPS = {"empty": _empty, "valid": _valid, "partial": _partial, "subfolders": _in_subfolders}


def _check_agreement(rows, load) -> None:
    assert [row.name for row in rows] == [*DATASET_NAMES, *USER_SOURCES_NAMES]
    for row in rows[: -len(USER_SOURCES_NAMES)]:
        try:
            ds = load(row.name)
        except DataError as exc:
            assert not row.available, f"{row.name}: listed as available, load says {exc}"
            assert row.n_samples is None
            continue
        assert row.available, f"{row.name}: loads from {ds.source}, listed as {row.source}"
        assert row.n_samples == len(ds) and row.image_shape == ds.image_shape
        # the same place: the listing names it without the detail the load adds
        assert ds.source.split(" (")[0] == row.source.split(" (")[0]


@pytest.mark.parametrize("set_up", SET_UPS.values(), ids=SET_UPS.keys())
def test_list_and_load_agree_with_data_dir(set_up, tmp_path, monkeypatch):
    base = tmp_path / "data"
    set_up(base, monkeypatch)
    for _ in range(2):  # the second round finds the cache the first one filled
        rows = list_datasets(data_dir=base)
        _check_agreement(rows, lambda name: load_dataset(name, data_dir=base, download=False))


@pytest.mark.parametrize("set_up", SET_UPS.values(), ids=SET_UPS.keys())
def test_list_and_load_agree_with_env_dir(set_up, tmp_path, monkeypatch):
    base = tmp_path / "data"
    set_up(base, monkeypatch)
    monkeypatch.setenv("MNISTBENCH_DATA_DIR", str(base))
    for _ in range(2):
        _check_agreement(list_datasets(), lambda name: load_dataset(name, download=False))


def test_list_and_load_agree_on_a_missing_folder(tmp_path):
    base = tmp_path / "missing"
    rows = list_datasets(data_dir=base)
    _check_agreement(rows, lambda name: load_dataset(name, data_dir=base, download=False))
    assert not rows[2].available and "does not exist" in rows[2].source
