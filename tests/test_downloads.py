"""Downloads from the data sets' own hosts, tested without a network: a real HTTP server on
127.0.0.1 serves small files in each real format (IDX gz, NIST's EMNIST zip, QMNIST's int32
label tables, USPS' bz2 LIBSVM text), generated here. A good download loads and is cached; a
truncated, corrupt or wrong-checksum one is refused with one line and leaves nothing."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from mnistbench.cli import main
from mnistbench.data import list_datasets, load_dataset, make_split
from mnistbench.data.catalogue import lookup
from mnistbench.data.fetch import MIRROR_ENV, MIRROR_SUMS_ENV
from mnistbench.data.fetch import Mirror as FetchMirror
from mnistbench.data.idx import idx_bytes
from mnistbench.errors import DataError
from mnistbench.results import load_run

HOST_SETS = ("kmnist", "emnist-digits", "emnist-letters", "qmnist", "usps")


# --------------------------------------------------------------------------- the server


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        files, cut = self.server.files, self.server.cut  # type: ignore[attr-defined]
        body = files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        # counted before the body goes out: the client may read it all and go on before
        # this thread runs again (CI once saw three hits of four)
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # a cut connection: the full length is announced, part of the body sent
        self.wfile.write(body[: cut[self.path]] if self.path in cut else body)

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


class Mirror:
    """A real HTTP server on 127.0.0.1 serving ``files`` (URL path -> bytes)."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.files, self.server.cut, self.server.hits = {}, {}, []  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def files(self) -> dict[str, bytes]:
        return self.server.files  # type: ignore[attr-defined]

    @property
    def cut(self) -> dict[str, int]:
        return self.server.cut  # type: ignore[attr-defined]

    @property
    def hits(self) -> list[str]:
        return self.server.hits  # type: ignore[attr-defined]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    server = Mirror()
    monkeypatch.setenv(MIRROR_ENV, server.url)
    yield server
    server.close()


def cache_root(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "mnistbench"


def files_in(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def write_sums(tmp_path: Path, monkeypatch, sums: dict[str, str]) -> None:
    """Supply the test files' own SHA-256s the way a user would: a sha256sum file."""
    path = tmp_path / "SHA256SUMS"
    path.write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))
    monkeypatch.setenv(MIRROR_SUMS_ENV, str(path))


# --------------------------------------------------------------------------- small real files


def _images(rng, labels: np.ndarray, shape=(28, 28)) -> np.ndarray:
    """Images whose pixels tell the class, so a reader that mixes rows up is caught."""
    n = len(labels)
    out = np.zeros((n, *shape), dtype=np.uint8)
    out[:, 0, :] = (labels[:, None] * 9) % 256
    out[:, 1:4, 1:5] = rng.integers(0, 256, size=(n, 3, 4))
    out[:, 5, 2] = np.arange(n) % 256  # the row number, so order is checked too
    return out


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def make_host_files(name: str, seed: int = 0) -> tuple[dict[str, bytes], dict]:
    """The files of data set ``name`` (official names) and the arrays they should load as."""
    rng = np.random.default_rng(seed)
    desc = lookup(name)
    k = len(desc.class_names)
    # ten training rows per class: the split's 10% validation part holds every class
    train_y = np.arange(10 * k) % k
    test_y = (np.arange(3 * k) + 1) % k
    if name == "kmnist":
        x_tr, x_te = _images(rng, train_y), _images(rng, test_y)
        files = {
            "train-images-idx3-ubyte.gz": _gz(idx_bytes(x_tr)),
            "train-labels-idx1-ubyte.gz": _gz(idx_bytes(train_y.astype(np.uint8))),
            "t10k-images-idx3-ubyte.gz": _gz(idx_bytes(x_te)),
            "t10k-labels-idx1-ubyte.gz": _gz(idx_bytes(test_y.astype(np.uint8))),
        }
        return files, {"images": [x_tr, x_te], "labels": [train_y, test_y]}
    if name.startswith("emnist"):
        files_in_zip: dict[str, bytes] = {}
        arrays: dict = {}
        for member in ("digits", "letters"):  # one zip holds both, as NIST's does
            n_cls = 10 if member == "digits" else 26
            offset = 0 if member == "digits" else 1
            tr_y, te_y = np.arange(10 * n_cls) % n_cls, (np.arange(3 * n_cls) + 1) % n_cls
            x_tr, x_te = _images(rng, tr_y), _images(rng, te_y)
            for part, x, y in (("train", x_tr, tr_y), ("test", x_te, te_y)):
                stem = f"gzip/emnist-{member}-{part}"
                # stored transposed, labels from 1 for letters, as NIST publishes them
                files_in_zip[f"{stem}-images-idx3-ubyte.gz"] = _gz(
                    idx_bytes(np.ascontiguousarray(x.transpose(0, 2, 1)))
                )
                files_in_zip[f"{stem}-labels-idx1-ubyte.gz"] = _gz(
                    idx_bytes((y + offset).astype(np.uint8))
                )
            if f"emnist-{member}" == name:
                arrays = {"images": [x_tr, x_te], "labels": [tr_y, te_y]}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for member_name, data in files_in_zip.items():
                zf.writestr(member_name, data)
        return {"gzip.zip": buf.getvalue()}, arrays
    if name == "qmnist":
        n_extra = 25
        extra_y = np.arange(n_extra) % 10
        main_test_y = np.arange(10_000) % 10  # MNIST's 10,000 come first in the test file
        test_all_y = np.concatenate([main_test_y, extra_y])
        x_tr = _images(rng, train_y)
        x_te = _images(rng, test_all_y)

        def table(y: np.ndarray) -> np.ndarray:
            t = np.zeros((len(y), 8), dtype=np.int32)
            t[:, 0] = y
            t[:, 2] = 1000 + np.arange(len(y))  # the writer id column, as in QMNIST
            return t

        files = {
            "qmnist-train-images-idx3-ubyte.gz": _gz(idx_bytes(x_tr)),
            "qmnist-train-labels-idx2-int.gz": _gz(idx_bytes(table(train_y))),
            "qmnist-test-images-idx3-ubyte.gz": _gz(idx_bytes(x_te)),
            "qmnist-test-labels-idx2-int.gz": _gz(idx_bytes(table(test_all_y))),
        }
        arrays = {
            "images": [x_tr, x_te[:10_000]],
            "labels": [train_y, main_test_y],
            "extra": (x_te[10_000:], extra_y),
        }
        return files, arrays
    assert name == "usps"

    def libsvm(y: np.ndarray) -> tuple[bytes, np.ndarray]:
        grey = rng.integers(0, 256, size=(len(y), 256))
        grey[:, 0] = y * 20
        grey[:, 7] = 128  # exactly 0.0 in [-1, 1]: LIBSVM files may leave such values out
        values = grey / 255.0 * 2.0 - 1.0
        lines = []
        for label, row in zip(y, values, strict=True):
            cells = " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row) if v != 0.0)
            lines.append(f"{label + 1} {cells}")
        return bz2.compress(("\n".join(lines) + "\n").encode()), grey.reshape(-1, 16, 16)

    (train, x_tr), (test, x_te) = libsvm(train_y), libsvm(test_y)
    arrays = {"images": [x_tr, x_te], "labels": [train_y, test_y]}
    return {"usps.bz2": train, "usps.t.bz2": test}, arrays


def serve(mirror: Mirror, tmp_path: Path, monkeypatch, name: str, seed: int = 0) -> dict:
    """Put ``name``'s small files on the mirror with their sums; returns the expected arrays."""
    files, arrays = make_host_files(name, seed)
    folder = lookup(name).host.folder
    sums = {}
    for file_name, data in files.items():
        mirror.files[f"/{folder}/{file_name}"] = data
        sums[f"{folder}/{file_name}"] = hashlib.sha256(data).hexdigest()
    write_sums(tmp_path, monkeypatch, sums)
    return arrays


# --------------------------------------------------------------------------- good downloads


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_good_download_loads_and_is_cached(name, mirror, tmp_path, monkeypatch):
    want = serve(mirror, tmp_path, monkeypatch, name)
    ds = load_dataset(name)
    desc = lookup(name)
    n_train = len(want["labels"][0])
    assert ds.name == name and ds.n_official_train == n_train
    assert ds.image_shape == desc.image_shape and ds.class_names == desc.class_names
    np.testing.assert_array_equal(ds.images, np.concatenate(want["images"]))
    np.testing.assert_array_equal(ds.labels, np.concatenate(want["labels"]))
    assert ds.labels.dtype == np.int64 and ds.images.dtype == np.uint8
    assert mirror.url in ds.source
    if name == "qmnist":
        x_extra, y_extra = ds.extra_tests["qmnist-50k"]
        np.testing.assert_array_equal(x_extra, want["extra"][0])
        np.testing.assert_array_equal(y_extra, want["extra"][1])
    else:
        assert dict(ds.extra_tests) == {}
    # kept: the parsed arrays and the verified official files; no temporary left behind
    root = cache_root(tmp_path)
    assert (root / name / "meta.json").is_file()
    kept = {p.name for p in (root / "downloads" / desc.host.folder).iterdir()}
    assert kept == {f.name for f in desc.host.files}
    assert not [p for p in root.iterdir() if p.name.startswith(".")]
    # a second load is served by the cache: the server is not asked again
    n_hits = len(mirror.hits)
    again = load_dataset(name, download=False)
    assert len(mirror.hits) == n_hits and "cache" in again.source
    np.testing.assert_array_equal(again.images, ds.images)
    np.testing.assert_array_equal(again.labels, ds.labels)
    if name == "qmnist":
        np.testing.assert_array_equal(again.extra_tests["qmnist-50k"][1], want["extra"][1])


def test_usps_pixels_map_minus_one_to_one_onto_the_unit_interval(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "usps")
    split = make_split(load_dataset("usps"))
    assert split.image_shape == (16, 16) and split.X_train.shape[1] == 256
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
    # a pixel of 0.0 in [-1, 1], left out of the LIBSVM line, is mid-grey
    assert np.allclose(split.X_train[:, 7], 128 / 255)


def test_emnist_letters_are_26_classes_from_0(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "emnist-letters")
    ds = load_dataset("emnist-letters")
    assert ds.labels.min() == 0 and ds.labels.max() == 25 and ds.class_names[0] == "a"
    assert make_split(ds).n_classes == 26


def test_both_emnist_sets_share_one_download(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "emnist-digits")
    load_dataset("emnist-digits")
    load_dataset("emnist-letters")
    assert mirror.hits == ["/emnist/gzip.zip"]


def test_qmnist_second_test_part_reaches_the_split(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "qmnist")
    split = make_split(load_dataset("qmnist"))
    assert len(split.y_test) == 10_000  # MNIST's test digits, as reconstructed
    x_extra, y_extra = split.extra_tests["qmnist-50k"]
    assert x_extra.shape == (25, 784) and x_extra.dtype == np.float32 and len(y_extra) == 25
    assert split.describe()["extra_tests"] == {"qmnist-50k": 25}
    # the second part is part of what the fingerprint says was measured
    assert "extra_tests" not in make_split(load_dataset("digits")).describe()


def test_the_listing_agrees_with_the_load_after_a_download(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "qmnist")
    before = {row.name: row for row in list_datasets()}["qmnist"]
    assert not before.available and f"{mirror.url}qmnist/" in before.source
    ds = load_dataset("qmnist")
    row = {row.name: row for row in list_datasets()}["qmnist"]
    assert row.available and row.n_samples == len(ds) and row.image_shape == ds.image_shape
    assert row.source.split(" (")[0] == str(cache_root(tmp_path) / "qmnist")


def test_a_mirror_given_in_python(tmp_path, monkeypatch):
    """load_dataset(mirror=Mirror(url, sha256=...)): the same override without settings."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    monkeypatch.delenv(MIRROR_SUMS_ENV, raising=False)
    server = Mirror()
    try:
        files, want = make_host_files("kmnist")
        for name, data in files.items():
            server.files[f"/kmnist/{name}"] = data
        sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        ds = load_dataset("kmnist", mirror=FetchMirror(server.url, sha256=sums))
        np.testing.assert_array_equal(ds.labels, np.concatenate(want["labels"]))
        assert len(server.hits) == 4
    finally:
        server.close()


# --------------------------------------------------------------------------- refused downloads


def _refused(name: str, tmp_path: Path, match: str) -> str:
    with pytest.raises(DataError, match=match) as info:
        load_dataset(name)
    message = str(info.value)
    assert "\n" not in message and message.startswith(lookup(name).title)
    assert files_in(cache_root(tmp_path)) == [], "a refused download must leave nothing"
    return message


def _first(name: str) -> str:
    desc = lookup(name)
    return f"/{desc.host.folder}/{desc.host.files[0].name}"


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_cut_connection_is_refused(name, mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, name)
    path = _first(name)
    mirror.cut[path] = len(mirror.files[path]) // 2
    message = _refused(name, tmp_path, "truncated")
    assert mirror.url in message


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_truncated_file_is_refused(name, mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, name)
    path = _first(name)
    mirror.files[path] = mirror.files[path][:-100]  # served whole, but short
    _refused(name, tmp_path, "not the official file .SHA-256")


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_corrupt_file_is_refused(name, mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, name)
    path = _first(name)
    data = bytearray(mirror.files[path])
    data[len(data) // 2] ^= 0xFF
    mirror.files[path] = bytes(data)
    _refused(name, tmp_path, "not the official file .SHA-256")


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_wrong_checksum_is_refused(name, mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, name)
    desc = lookup(name)
    sums = {
        f"{desc.host.folder}/{f.name}": hashlib.sha256(
            mirror.files[f"/{desc.host.folder}/{f.name}"]
        ).hexdigest()
        for f in desc.host.files
    }
    sums[f"{desc.host.folder}/{desc.host.files[-1].name}"] = "0" * 64
    write_sums(tmp_path, monkeypatch, sums)
    _refused(name, tmp_path, "not the official file .SHA-256 .*expected 0000")


@pytest.mark.parametrize("name", HOST_SETS)
def test_a_corrupt_file_with_a_matching_checksum_is_refused_when_read(
    name, mirror, tmp_path, monkeypatch
):
    """Should a checksum ever match a broken file, reading it still refuses it."""
    serve(mirror, tmp_path, monkeypatch, name)
    desc = lookup(name)
    path = _first(name)
    data = bytearray(mirror.files[path])
    data[len(data) // 2 :] = b"\x00" * (len(data) - len(data) // 2)
    mirror.files[path] = bytes(data)
    sums = {
        f"{desc.host.folder}/{f.name}": hashlib.sha256(
            mirror.files[f"/{desc.host.folder}/{f.name}"]
        ).hexdigest()
        for f in desc.host.files
    }
    write_sums(tmp_path, monkeypatch, sums)
    message = _refused(name, tmp_path, "download again|re-download it|not a readable zip|not bz2")
    assert ".download-" not in message  # names the file, not a temporary folder


def test_a_missing_file_is_refused(mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, "kmnist")
    del mirror.files["/kmnist/t10k-labels-idx1-ubyte.gz"]
    message = _refused("kmnist", tmp_path, "could not download .*404")
    assert "t10k-labels-idx1-ubyte.gz" in message


def test_without_own_sums_a_mirror_is_held_to_the_official_files(mirror, tmp_path, monkeypatch):
    """The official size and checksum apply to any file the sums file does not name."""
    serve(mirror, tmp_path, monkeypatch, "kmnist")
    monkeypatch.delenv(MIRROR_SUMS_ENV)
    message = _refused("kmnist", tmp_path, "not the official file")
    assert "the official file has 18,165,135" in message


def test_own_sums_need_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    write_sums(tmp_path, monkeypatch, {"kmnist/x": "0" * 64})
    with pytest.raises(DataError, match="MNISTBENCH_MIRROR_SHA256SUMS is set but"):
        load_dataset("kmnist")


def test_download_off_names_where_to_put_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(DataError, match="downloading is off.*downloads/kmnist"):
        load_dataset("kmnist", download=False)
    assert files_in(cache_root(tmp_path)) == []


def test_official_files_put_in_the_downloads_folder_are_used_offline(mirror, tmp_path, monkeypatch):
    want = serve(mirror, tmp_path, monkeypatch, "usps")
    folder = cache_root(tmp_path) / "downloads" / "usps"
    folder.mkdir(parents=True)
    for name in ("usps.bz2", "usps.t.bz2"):
        (folder / name).write_bytes(mirror.files[f"/usps/{name}"])
    ds = load_dataset("usps", download=False)
    assert mirror.hits == []
    np.testing.assert_array_equal(ds.labels, np.concatenate(want["labels"]))


# --------------------------------------------------------------------------- the CLI


def test_datasets_lists_the_new_sets_and_where_they_come_from(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for text in (*HOST_SETS, "images:FOLDER", "npz:PATH", "codh.rois.ac.jp", "www.itl.nist.gov"):
        assert text in out


@pytest.mark.parametrize("name", ["usps", "qmnist"])
def test_a_run_on_a_downloaded_set_through_the_cli(name, mirror, tmp_path, monkeypatch):
    serve(mirror, tmp_path, monkeypatch, name)
    out = tmp_path / "r"
    assert (
        main(["run", "--dataset", name, "--models", "sgd,knn", "--out", str(out), "--quiet"]) == 0
    )
    assert (cache_root(tmp_path) / name / "meta.json").is_file()
    (run,) = list(out.iterdir())
    saved = load_run(run)
    frame = saved.to_frame()
    assert sorted(frame["spec"]) == ["knn", "sgd"] and (frame["status"] == "ok").all()
    if name == "qmnist":  # the run records the second test part with the split
        assert saved.meta.split["extra_tests"] == {"qmnist-50k": 25}


def test_a_refused_download_through_the_cli_is_one_line_and_exit_2(
    mirror, tmp_path, monkeypatch, capsys
):
    serve(mirror, tmp_path, monkeypatch, "kmnist")
    mirror.cut[_first("kmnist")] = 100
    out = tmp_path / "r"
    assert main(["run", "--dataset", "kmnist", "--models", "sgd", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mnistbench: error: Kuzushiji-MNIST") and "\n" not in err
    assert "truncated" in err and files_in(cache_root(tmp_path)) == []
