"""Users' own data: a folder of images (one subfolder per class) and an NPZ of X and y.

Both are generated here as real files (PNG and JPEG through Pillow, .npz through NumPy) and
run end to end through the CLI on 16x16 images and 26 classes; every hostile variant is
refused with one line and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnistbench.cli import main
from mnistbench.data import list_datasets, load_dataset, make_split
from mnistbench.errors import DataError
from mnistbench.results import load_run


def _pattern(label: int, i: int, side: int) -> np.ndarray:
    """A grey image whose bright square's place tells the class (learnable, not noise)."""
    img = np.full((side, side), 10, dtype=np.uint8)
    r, c = divmod(label % 9, 3)
    img[r * 5 : r * 5 + 4, c * 5 : c * 5 + 4] = 200 + (label * 7) % 50
    img[side - 1, i % side] = 90  # each image differs a little
    return img


def make_folder(
    root: Path, classes=("a", "b", "c", "d"), per_class=20, side=16, jpeg_every=4
) -> Path:
    for label, name in enumerate(classes):
        sub = root / name
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = _pattern(label, i, side)
            if jpeg_every and i % jpeg_every == 0:  # some JPEG, in colour: turned to grey
                rgb = np.stack([pixels] * 3, axis=-1)
                Image.fromarray(rgb, "RGB").save(sub / f"{i}.jpg", quality=95)
            else:
                Image.fromarray(pixels, "L").save(sub / f"{i}.png")
    return root


def make_npz(path: Path, n_classes=26, per_class=20, side=16, flat=False, **extra) -> Path:
    labels = np.repeat(np.arange(n_classes), per_class)
    images = np.stack([_pattern(int(y), i, side) for i, y in enumerate(labels)])
    x = images.reshape(len(images), -1) if flat else images
    np.savez(path, X=x, y=labels, **extra)
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "xdg")}
    return subprocess.run(
        [sys.executable, "-m", "mnistbench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def _one_run(out: Path):
    (run,) = list(out.iterdir())
    return load_run(run)


# --------------------------------------------------------------------------- end to end


def test_an_image_folder_runs_end_to_end_through_the_cli(tmp_path):
    folder = make_folder(tmp_path / "imgs")
    done = _cli(
        "run", "--dataset", f"images:{folder}", "--models", "sgd,knn", "--out", "tmp",
        "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = _one_run(tmp_path / "tmp")
    assert run.meta.split["image_shape"] == [16, 16]
    assert run.meta.split["class_names"] == ["a", "b", "c", "d"]
    frame = run.to_frame()
    assert sorted(frame["spec"]) == ["knn", "sgd"] and (frame["status"] == "ok").all()


def test_a_26_class_npz_runs_end_to_end_through_the_cli(tmp_path):
    make_npz(tmp_path / "letters.npz")
    done = _cli(
        "run", "--dataset", "npz:letters.npz", "--models", "sgd,knn", "--out", "tmp",
        "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = _one_run(tmp_path / "tmp")
    assert run.meta.split["n_classes"] == 26 and run.meta.split["image_shape"] == [16, 16]
    frame = run.to_frame()
    assert sorted(frame["spec"]) == ["knn", "sgd"] and (frame["status"] == "ok").all()
    assert frame["accuracy"].min() > 1 / 26  # learnt something, on 26 classes


# --------------------------------------------------------------------------- loading


def test_folder_classes_grayscale_and_resizing(tmp_path):
    folder = make_folder(tmp_path / "imgs")
    ds = load_dataset(f"images:{folder}")
    assert ds.image_shape == (16, 16) and ds.class_names == ("a", "b", "c", "d")
    assert len(ds) == 80 and ds.images.dtype == np.uint8 and ds.pixel_max == 255.0
    np.testing.assert_array_equal(np.bincount(ds.labels), [20] * 4)
    np.testing.assert_array_equal(ds.images[1], _pattern(0, 1, 16))  # a PNG, exactly
    small = load_dataset(f"images:{folder}?size=8x12")
    assert small.image_shape == (8, 12)
    split = make_split(small)
    assert split.X_train.shape[1] == 96 and split.n_classes == 4


def test_mixed_sizes_are_fine_once_resized(tmp_path):
    folder = make_folder(tmp_path / "imgs")
    Image.fromarray(_pattern(0, 0, 20), "L").save(folder / "a" / "big.png")
    assert load_dataset(f"images:{folder}?size=16x16").image_shape == (16, 16)


def test_npz_flat_rows_labels_and_float_pixels(tmp_path):
    path = make_npz(tmp_path / "flat.npz", n_classes=3, flat=True)
    ds = load_dataset(f"npz:{path}")  # 256 columns: a 16x16 square, found without ?shape
    assert ds.image_shape == (16, 16) and ds.class_names == ("0", "1", "2")
    labels = np.repeat([3, 5, 7], 4)
    x = np.random.default_rng(0).random((12, 6 * 4))
    np.savez(tmp_path / "f.npz", X=x, y=labels)
    ds = load_dataset(f"npz:{tmp_path / 'f.npz'}?shape=6x4")
    assert ds.image_shape == (6, 4) and ds.pixel_max == 1.0
    assert ds.class_names == ("3", "5", "7") and list(ds.labels[:5]) == [0, 0, 0, 0, 1]
    split = make_split(ds, val_size=0)
    assert split.X_train.max() <= 1.0 and split.X_train.dtype == np.float32


def test_listing_names_the_user_sources_and_counts_a_folder(tmp_path):
    rows = {row.name: row for row in list_datasets()}
    assert rows["images:FOLDER"].available and rows["npz:PATH"].available
    assert "?size=" in rows["images:FOLDER"].description


# --------------------------------------------------------------------------- hostile variants


def _unreadable(folder: Path) -> None:
    (folder / "b" / "5.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a PNG")


def _mixed(folder: Path) -> None:
    Image.fromarray(_pattern(2, 0, 20), "L").save(folder / "c" / "odd.png")


def _empty_class(folder: Path) -> None:
    (folder / "e").mkdir()
    (folder / "e" / "notes.txt").write_text("no images here")


def _single_class(folder: Path) -> None:
    for name in ("b", "c", "d"):
        for f in (folder / name).iterdir():
            f.unlink()
        (folder / name).rmdir()


def _too_few(folder: Path) -> None:
    for f in sorted((folder / "d").iterdir())[2:]:
        f.unlink()


def _no_subfolders(folder: Path) -> None:
    for sub in list(folder.iterdir()):
        for f in sub.iterdir():
            f.rename(folder / f"{sub.name}-{f.name}")
        sub.rmdir()


FOLDER_CASES = {
    "unreadable": (_unreadable, "5.png cannot be read as an image"),
    "mixed sizes": (_mixed, r"images of different sizes: .* is 16x16, .*odd.png is 20x20"),
    "empty class": (_empty_class, r"class folder .*e holds no PNG or JPEG"),
    "single class": (_single_class, "holds a single class .a.; a classifier needs at least two"),
    "too few": (_too_few, "class 'd' has 2 images, too few"),
    "no subfolders": (_no_subfolders, "has no class subfolders"),
}


def _refused_by_cli(dataset: str, tmp_path: Path, capsys, match: str) -> None:
    out = tmp_path / "results"
    code = main(["run", "--dataset", dataset, "--models", "sgd", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("mnistbench: error: ") and "\n" not in err and "Traceback" not in err
    import re

    assert re.search(match, err), err
    with pytest.raises(DataError, match=match):
        load_dataset(dataset)


@pytest.mark.parametrize("case", FOLDER_CASES, ids=list(FOLDER_CASES))
def test_hostile_image_folders(case, tmp_path, capsys):
    folder = make_folder(tmp_path / "imgs")
    spoil, match = FOLDER_CASES[case]
    spoil(folder)
    _refused_by_cli(f"images:{folder}", tmp_path, capsys, match)


@pytest.mark.parametrize(
    ("suffix", "match"),
    [
        ("?size=big", "size='big' is not HEIGHTxWIDTH"),
        ("?size=0x16", "each side must be between 1 and 512"),
        ("?colour=grey", "unknown option 'colour=grey'"),
    ],
)
def test_hostile_image_options(suffix, match, tmp_path, capsys):
    folder = make_folder(tmp_path / "imgs")
    _refused_by_cli(f"images:{folder}{suffix}", tmp_path, capsys, match)


def test_a_missing_folder_and_a_file_given_as_folder(tmp_path, capsys):
    _refused_by_cli(f"images:{tmp_path / 'nope'}", tmp_path, capsys, "nope does not exist")
    (tmp_path / "f.png").write_bytes(b"x")
    _refused_by_cli(f"images:{tmp_path / 'f.png'}", tmp_path, capsys, "f.png is a file")


def _npz_object(path: Path) -> str:
    x = np.empty(40, dtype=object)
    x[:] = [np.zeros((4, 4))] * 40
    np.savez(path, X=x, y=np.repeat(np.arange(4), 10))
    return "array X holds Python objects, which mnistbench never loads"


def _npz_float_labels(path: Path) -> str:
    make_npz(path, n_classes=4)
    with np.load(path) as a:
        x, y = a["X"], a["y"].astype(float)
    y[7] = 1.5
    np.savez(path, X=x, y=y)
    return "label 1.5 in row 7 is not an integer"


def _npz_string_labels(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 4, 4), np.uint8), y=np.array(["a", "b"] * 20))
    return "labels y are <U1 values, not integers"


def _npz_single_class(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 4, 4), np.uint8), y=np.zeros(40, dtype=int))
    return r"holds a single class \(0\)"


def _npz_too_few(path: Path) -> str:
    np.savez(path, X=np.zeros((21, 4, 4), np.uint8), y=np.array([0] * 10 + [1] * 10 + [2]))
    return "class '2' has 1 rows, too few"


def _npz_no_y(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 4, 4), np.uint8), labels=np.zeros(40))
    return r"has no array y \(it holds X, labels\)"


def _npz_not_npz(path: Path) -> str:
    path.write_text("label,pixel0\n1,0\n")
    return "is not a NumPy .npz archive"


def _npz_single_array(path: Path) -> str:
    with open(path, "wb") as fh:
        np.save(fh, np.zeros((4, 4)))
    return r"holds a single array \(.npy\), not an archive with X and y"


def _npz_pickle(path: Path) -> str:
    import pickle

    path.write_bytes(pickle.dumps({"X": np.zeros((40, 4, 4)), "y": np.zeros(40)}))
    return "is not a NumPy .npz archive"


def _npz_4d(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 2, 4, 4), np.uint8), y=np.repeat(np.arange(4), 10))
    return r"X has shape \(40, 2, 4, 4\); expected"


def _npz_not_square(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 30), np.uint8), y=np.repeat(np.arange(4), 10))
    return r"X has 30 columns, not a square image; give the shape as npz:PATH\?shape=HxW"


def _npz_out_of_range(path: Path) -> str:
    x = np.zeros((40, 4, 4), np.int32)
    x[3, 1, 1] = 300
    np.savez(path, X=x, y=np.repeat(np.arange(4), 10))
    return "integer pixels must lie in 0..255"


def _npz_float_range(path: Path) -> str:
    np.savez(path, X=np.full((40, 4, 4), 3.5), y=np.repeat(np.arange(4), 10))
    return r"float pixels must lie in \[0, 1\]"


def _npz_nan(path: Path) -> str:
    x = np.zeros((40, 4, 4))
    x[0, 0, 0] = np.nan
    np.savez(path, X=x, y=np.repeat(np.arange(4), 10))
    return "X holds NaN or infinite pixels"


def _npz_length(path: Path) -> str:
    np.savez(path, X=np.zeros((40, 4, 4), np.uint8), y=np.zeros(39, dtype=int))
    return r"y has shape \(39,\), expected one label per image \(40,\)"


NPZ_CASES = {
    f.__name__.removeprefix("_npz_"): f
    for f in (
        _npz_object,
        _npz_float_labels,
        _npz_string_labels,
        _npz_single_class,
        _npz_too_few,
        _npz_no_y,
        _npz_not_npz,
        _npz_single_array,
        _npz_pickle,
        _npz_4d,
        _npz_not_square,
        _npz_out_of_range,
        _npz_float_range,
        _npz_nan,
        _npz_length,
    )
}


@pytest.mark.parametrize("case", NPZ_CASES, ids=list(NPZ_CASES))
def test_hostile_npz_files(case, tmp_path, capsys):
    path = tmp_path / "data.npz"
    match = NPZ_CASES[case](path)
    _refused_by_cli(f"npz:{path}", tmp_path, capsys, match)


def test_npz_shape_option_must_fit(tmp_path, capsys):
    path = make_npz(tmp_path / "flat.npz", n_classes=3, flat=True)
    _refused_by_cli(f"npz:{path}?shape=10x10", tmp_path, capsys, "shape 10x10 needs 100")
    path = make_npz(tmp_path / "sq.npz", n_classes=3)
    _refused_by_cli(f"npz:{path}?shape=8x8", tmp_path, capsys, "not the 8x8 that")
    _refused_by_cli(f"npz:{tmp_path / 'missing.npz'}", tmp_path, capsys, "does not exist")
