"""Fetching a data set's official files over HTTP, verified before anything is kept.

Each file streams into a temporary folder beside the cache while its size and checksum are
computed; only a complete file whose size and SHA-256 (or MD5, where no SHA-256 is
published) match the catalogue is ever moved into the cache. A mirror (``MNISTBENCH_MIRROR``)
replaces the official host for every data set; its own checksums
(``MNISTBENCH_MIRROR_SHA256SUMS``, a ``sha256sum`` file) apply only to files fetched from
it, so the official hosts are always checked against the official checksums.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mnistbench.data.catalogue import DatasetDescription, Host
from mnistbench.errors import DataError

MIRROR_ENV = "MNISTBENCH_MIRROR"
MIRROR_SUMS_ENV = "MNISTBENCH_MIRROR_SHA256SUMS"
TIMEOUT_S = 60.0
_CHUNK = 1 << 20
_UNKNOWN_SIZE_CAP = 2 << 30  # a file with no published size may not exceed 2 GiB


@dataclass(frozen=True)
class Mirror:
    """Where files are fetched from instead of the official hosts.

    ``sha256`` (file name, or ``folder/name``, to SHA-256) replaces the official checksum and
    size of the files it names; files it does not name keep the official ones.
    """

    base_url: str
    sha256: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Expected:
    """One file to fetch: where from, and what it must be."""

    name: str
    url: str
    size: int | None
    sha256: str
    md5: str


def read_sums(path: Path) -> dict[str, str]:
    """A ``sha256sum`` file as {name: checksum}; the name as written (``./`` and ``*`` dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{MIRROR_SUMS_ENV}={path} cannot be read ({exc.__class__.__name__}); give a "
            "file of 'SHA256  NAME' lines as sha256sum writes them"
        ) from exc
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        digest = parts[0].lower()
        if len(parts) != 2 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise DataError(
                f"{MIRROR_SUMS_ENV}={path}: line {number} is not 'SHA256  NAME' "
                "(64 hex digits, spaces, a file name)"
            )
        name = parts[1].strip().lstrip("*")
        sums[name.removeprefix("./")] = digest
    return sums


def mirror_from_env() -> Mirror | None:
    """The mirror ``MNISTBENCH_MIRROR`` names (with ``MNISTBENCH_MIRROR_SHA256SUMS``), if any."""
    url = os.environ.get(MIRROR_ENV, "").strip()
    sums_path = os.environ.get(MIRROR_SUMS_ENV, "").strip()
    if not url:
        if sums_path:
            raise DataError(
                f"{MIRROR_SUMS_ENV} is set but {MIRROR_ENV} is not: own checksums apply only "
                f"to a mirror; set {MIRROR_ENV}=URL or unset {MIRROR_SUMS_ENV}"
            )
        return None
    if not url.lower().startswith(("http://", "https://", "file://")):
        raise DataError(
            f"{MIRROR_ENV}={url} is not a URL; give one starting with http://, https:// or file://"
        )
    sums = read_sums(Path(sums_path).expanduser()) if sums_path else None
    return Mirror(url.rstrip("/") + "/", sums)


def expected_files(host: Host, mirror: Mirror | None) -> list[Expected]:
    """Each file of ``host`` with its URL, size and checksums, as ``mirror`` changes them."""
    out = []
    for f in host.files:
        if mirror is None:
            out.append(Expected(f.name, host.base_url + f.name, f.size, f.sha256, f.md5))
            continue
        url = f"{mirror.base_url}{host.folder}/{f.name}"
        sums = mirror.sha256 or {}
        own = sums.get(f"{host.folder}/{f.name}", sums.get(f.name))
        if own is not None:  # the mirror's own file: its checksum, no published size
            out.append(Expected(f.name, url, None, own, ""))
        else:
            out.append(Expected(f.name, url, f.size, f.sha256, f.md5))
    return out


def _mismatch(path: Path, want: Expected, size: int, sha256: str, md5: str) -> str | None:
    """Why a file of ``size`` bytes with these checksums is not ``want``; None if it is."""
    if want.size is not None and size != want.size:
        return f"{size:,} bytes, the official file has {want.size:,}"
    if want.sha256 and sha256 != want.sha256:
        return f"SHA-256 {sha256[:16]}..., expected {want.sha256[:16]}..."
    if not want.sha256 and want.md5 and md5 != want.md5:
        return f"MD5 {md5}, expected {want.md5}"
    return None


def _hash_file(path: Path) -> tuple[int, str, str]:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest(), md5.hexdigest()


def verified(path: Path, want: Expected) -> bool:
    """Whether the file at ``path`` is ``want`` (size and checksum)."""
    try:
        if want.size is not None and path.stat().st_size != want.size:
            return False
        size, sha, md5 = _hash_file(path)
    except OSError:
        return False
    return _mismatch(path, want, size, sha, md5) is None


def fetch(want: Expected, dest: Path, title: str) -> None:
    """Stream ``want.url`` into ``dest``, checking length, size and checksum as it goes.

    Any failure removes ``dest`` and raises a one-line DataError naming the URL.
    """
    sha, md5, got = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    cap = want.size if want.size is not None else _UNKNOWN_SIZE_CAP
    request = urllib.request.Request(want.url, headers={"User-Agent": "mnistbench"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            declared = response.headers.get("Content-Length")
            with open(dest, "wb") as out:
                while chunk := response.read(_CHUNK):
                    got += len(chunk)
                    if got > cap:
                        raise DataError(
                            f"{title}: the download of {want.url} is longer than the official "
                            f"file ({cap:,} bytes); nothing was kept, check the address"
                        )
                    sha.update(chunk)
                    md5.update(chunk)
                    out.write(chunk)
        if declared is not None and declared.isdigit() and got != int(declared):
            raise http.client.IncompleteRead(b"", int(declared) - got)
    except DataError:
        dest.unlink(missing_ok=True)
        raise
    except http.client.IncompleteRead:
        dest.unlink(missing_ok=True)
        raise DataError(
            f"{title}: the download of {want.url} was cut off after {got:,} bytes "
            "(truncated); nothing was kept, try again"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        dest.unlink(missing_ok=True)
        if isinstance(exc, urllib.error.HTTPError):
            text = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", None) or exc
            text = " ".join(str(reason).split()) or type(exc).__name__
        raise DataError(
            f"{title}: could not download {want.url} ({text}); check the network, or set "
            f"{MIRROR_ENV} to a mirror of the official files"
        ) from None
    why = _mismatch(dest, want, got, sha.hexdigest(), md5.hexdigest())
    if why is not None:
        dest.unlink(missing_ok=True)
        raise DataError(
            f"{title}: the download of {want.url} is not the official file ({why}); "
            "nothing was kept, try again later or use another mirror"
        )


def downloads_dir(entry: Path, desc: DatasetDescription) -> Path:
    """Where the verified official files of ``desc`` are kept, beside its cache entry."""
    assert desc.host is not None
    return entry.parent / "downloads" / desc.host.folder
