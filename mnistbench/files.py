"""What every file mnistbench writes shares: atomic replacement, timestamps, safe names.

Written once here so that results, the data cache, reports and figures all leave whole
files behind when a run is killed, stamp times the same way, and slug names alike.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``path`` so that readers see the old file or the new one, never half of one.

    ``data`` is the bytes, or a function that writes them to the open file (for writers
    such as ``numpy.save`` that stream).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                data(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def timestamp() -> str:
    """Local time with its UTC offset, to the second: how every record dates itself."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def compact_timestamp() -> str:
    """``20261124-013000``: sortable, for directory names."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def slug(text: str, *, unique: bool = False) -> str:
    """A file-name-safe form of ``text``; with ``unique``, a short hash keeps two texts
    that slug alike apart (``a b`` and ``a_b``)."""
    safe = _UNSAFE.sub("_", text) or "_"
    if unique and safe != text:
        safe += "-" + hashlib.sha1(text.encode()).hexdigest()[:6]
    return safe
