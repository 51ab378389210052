"""What every file mnistbench writes shares: atomic replacement, timestamps, safe names.

Written once here so that results, the data cache, reports and figures all leave whole
files behind when a run is killed, stamp times the same way, and slug names alike.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from mnistbench.errors import MnistbenchError

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]+")


class OutputError(MnistbenchError, OSError):
    """A file mnistbench was told to write could not be written (a full disk, a read-only
    folder, a path under ``/proc``): a user error naming the path and the system's reason.
    It is an ``OSError`` too, so a writer that words its own message still catches it."""

    def __init__(self, path: Path, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        OSError.__init__(self, exc.errno, reason, str(path))
        self.path, self.reason = Path(path), reason
        advice = "free some space or give" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "give"
        self.message = f"cannot write {path}: {reason}; {advice} another path"

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type, tuple[Path, OSError]]:
        return type(self), (self.path, OSError(self.errno, self.reason))


def file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``).

    Read from ``/proc/self/status`` where the kernel reports it, so no other thread ever
    sees a changed umask; elsewhere set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``path`` so that readers see the old file or the new one, never half of one.

    ``data`` is the bytes, or a function that writes them to the open file (for writers
    such as ``numpy.save`` that stream). The file follows the umask, like any other the
    user creates (a results folder is shared with a team or a CI artefact store). A write
    the system refuses raises :class:`OutputError` and leaves nothing behind: no temporary,
    and no folder this call created.
    """
    path = Path(path)
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fd, file_mode())
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                data(fh)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        for folder in created:  # the innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(path, exc) from None
        raise


def temporary_files(directory: Path) -> list[Path]:
    """The temporaries ``atomic_write`` leaves in ``directory`` when its process is killed
    mid-write (``.<name>.<random>.tmp``)."""
    return [p for p in Path(directory).glob(".*.tmp") if p.is_file()]


def remove_temporary_files(directory: Path) -> int:
    """Delete the temporaries of killed writers; only call it while no other process can
    be writing into ``directory`` (e.g. holding its :class:`DirectoryLock`)."""
    removed = 0
    for path in temporary_files(directory):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


class DirectoryLock:
    """An exclusive ``flock`` on ``<directory>/.lock``: one writer at a time.

    The kernel releases it when the process ends in any way (even SIGKILL), so a lock never
    outlives its holder; :meth:`release` ends it earlier. The descriptor is not inherited
    by child processes.
    """

    FILE = ".lock"

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / self.FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor drops the flock

    def __del__(self) -> None:
        self.release()


def check_output_file(path: Path, what: str) -> Path:
    """Refuse, before any work, an output file that cannot be written: a folder, or a path
    whose parent is a file."""
    path = Path(path)
    if path.is_dir():
        raise MnistbenchError(f"{what} {path} is a folder; give a file name")
    _check_parents(path, what)
    return path


def check_output_dir(path: Path, what: str) -> Path:
    """Refuse, before any work, an output folder that is a file or lies under one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise MnistbenchError(f"{what} {path} is a file, not a folder")
    _check_parents(path, what)
    return path


def _check_parents(path: Path, what: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise MnistbenchError(f"{what} {path}: {parent} is a file, not a folder")
            return


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
