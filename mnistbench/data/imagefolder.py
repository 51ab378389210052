"""Reader for ``images:FOLDER``: one subfolder per class of PNG or JPEG images (Pillow).

Images are turned to 8-bit grayscale and, with ``?size=HxW``, resized (Lanczos); without it
they must all be of one size, since a model needs one input shape and silently resizing
would hide a mixed-up folder. Class names are the subfolder names, in sorted order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnistbench.data.usersets import check_classes, parse_shape, split_options
from mnistbench.errors import DataError

EXTENSIONS = (".png", ".jpg", ".jpeg")


def image_folder(raw: str) -> tuple[Path, tuple[int, int] | None]:
    """The folder and the ``size`` option named by the FOLDER part of ``images:FOLDER``."""
    path_text, options = split_options(raw, ("size",), f"images:{raw}")
    if not path_text.strip():
        raise DataError("images: needs a folder, e.g. images:my_digits?size=28x28")
    size = parse_shape(options["size"], "size") if "size" in options else None
    folder = Path(path_text).expanduser()
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise DataError(
            f"image folder {path_text} {what}; give a folder with one subfolder of "
            "PNG or JPEG images per class"
        )
    return folder, size


def _class_folders(folder: Path) -> list[Path]:
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        raise DataError(
            f"image folder {folder} has no class subfolders; put each class's images in "
            f"its own subfolder, e.g. {folder / 'a' / '1.png'}"
        )
    return subs


def _images_of(sub: Path) -> list[Path]:
    files = sorted(
        p
        for p in sub.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in EXTENSIONS
    )
    if not files:
        raise DataError(
            f"class folder {sub} holds no PNG or JPEG image; add images or remove the folder"
        )
    return files


def count_images(folder: Path) -> tuple[int, int]:
    """(images, classes), from the folder listing alone: what `mnistbench datasets` shows."""
    subs = _class_folders(folder)
    return sum(len(_images_of(s)) for s in subs), len(subs)


def _read(path: Path, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            gray = img.convert("L")
            if size is not None and gray.size != (size[1], size[0]):
                gray = gray.resize((size[1], size[0]), Image.Resampling.LANCZOS)
            return np.asarray(gray, dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        text = " ".join(str(exc).split())[:100] or type(exc).__name__
        raise DataError(
            f"{path} cannot be read as an image ({text}); replace or remove the file"
        ) from None


def read_image_folder(
    folder: Path, size: tuple[int, int] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Uint8 images (n, h, w), int64 labels 0..k-1 and the class names (subfolder names)."""
    subs = _class_folders(folder)
    names = tuple(s.name for s in subs)
    arrays: list[np.ndarray] = []
    labels: list[int] = []
    first: Path | None = None
    for label, sub in enumerate(subs):
        for path in _images_of(sub):
            pixels = _read(path, size)
            if first is None:
                first = path
            elif pixels.shape != arrays[0].shape:
                h0, w0 = arrays[0].shape
                h1, w1 = pixels.shape
                raise DataError(
                    f"images of different sizes: {first} is {h0}x{w0}, {path} is {h1}x{w1}; "
                    f"resize them all with images:{folder}?size={h0}x{w0}"
                )
            arrays.append(pixels)
            labels.append(label)
    images = np.stack(arrays)
    y = np.asarray(labels, dtype=np.int64)
    check_classes(y, names, f"image folder {folder}", "images")
    return images, y, names
