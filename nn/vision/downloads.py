"""Fetching and unpacking a data set's official files (torchvision.datasets.utils' names).

``download_url`` fetches one file with urllib and checks its MD5 checksum (a fingerprint
of the file's bytes: a different checksum means a damaged or different file, which is
then deleted, not used); ``extract_archive`` unpacks ``.gz`` files and tar archives,
refusing members that would land outside the target folder. A file already present with
the right checksum is not fetched again.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

_CHUNK = 1 << 20  # read and hash files a megabyte at a time


def calculate_md5(fpath: str | os.PathLike) -> str:
    """The MD5 checksum of a file, as 32 hex digits."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(_CHUNK):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(fpath: str | os.PathLike, md5: str | None = None) -> bool:
    """True if the file exists and, when ``md5`` is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or calculate_md5(fpath) == md5


class DownloadError(RuntimeError):
    """A file could not be fetched, or what was fetched is not the expected file."""


class ChecksumError(DownloadError):
    """The fetched file's MD5 checksum is not the official one."""


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``root/filename`` (the URL's last part by default), unless a file
    with the right checksum is already there; returns the file's path.

    The bytes go to a ``.part`` file first and get the real name only once the checksum
    matches, so an interrupted or wrong download never looks like a good file. Raises
    ``DownloadError`` if the server cannot be reached (``urllib.error.URLError`` inside),
    ``ChecksumError`` (a kind of ``DownloadError``) if the checksum differs.
    """
    root = Path(root).expanduser()
    path = root / (filename or os.path.basename(url))
    if check_integrity(path, md5):
        return path
    root.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    print(f"Downloading {url} to {path}")
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad-dk"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, \
                open(part, "wb") as out:  # noqa: S310 - the data sets' own https/file URLs
            shutil.copyfileobj(response, out, _CHUNK)
    except OSError as error:  # urllib.error.URLError (no server, no network) is an OSError
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url}: {error}") from error
    if md5 is not None and (got := calculate_md5(part)) != md5:
        part.unlink()
        raise ChecksumError(f"the file downloaded from {url} is not the expected one: its MD5 "
                            f"checksum is {got}, expected {md5} (damaged on the way, or the "
                            "server has changed it); it was deleted. Try again later, or get "
                            "the file by hand and check its checksum")
    os.replace(part, path)
    return path


def _safe_members(archive: tarfile.TarFile, to_path: Path) -> list[tarfile.TarInfo]:
    """The archive's members, refusing any that would be written outside ``to_path`` or
    that are links or devices (for Pythons whose tarfile has no ``filter="data"``)."""
    target = to_path.resolve()
    members = archive.getmembers()
    for member in members:
        where = (target / member.name).resolve()
        if not where.is_relative_to(target) or not (member.isfile() or member.isdir()):
            raise DownloadError(f"the archive {archive.name} holds an unsafe entry "
                                f"{member.name!r} (outside the folder, or a link); not unpacked")
    return members


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> Path:
    """Unpack ``from_path`` into the folder ``to_path`` (its own folder by default).

    ``x.gz`` becomes ``x``; ``.tar``, ``.tar.gz`` and ``.tgz`` archives are unpacked with
    tarfile's ``"data"`` filter, which refuses absolute paths, ``..``, links that point
    outside and device files (on a Python without that filter, before 3.10.12, any member
    outside ``to_path``, any link and any device refuses the whole archive). Returns ``to_path``.
    """
    from_path = Path(from_path)
    to_path = Path(to_path) if to_path is not None else from_path.parent
    to_path.mkdir(parents=True, exist_ok=True)
    name = from_path.name.lower()
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        with tarfile.open(from_path) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(to_path, filter="data")
            else:
                archive.extractall(to_path, members=_safe_members(archive, to_path))  # noqa: S202
    elif name.endswith(".gz"):
        with gzip.open(from_path, "rb") as packed, open(to_path / from_path.name[:-3], "wb") as out:
            shutil.copyfileobj(packed, out, _CHUNK)
    else:
        raise ValueError(f"extract_archive: do not know how to unpack {from_path.name} (it "
                         "takes .gz, .tar, .tar.gz and .tgz files)")
    if remove_finished:
        from_path.unlink()
    return to_path


def download_and_extract_archive(url: str, download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> Path:
    """``download_url`` and then ``extract_archive`` (into ``download_root`` by default)."""
    archive = download_url(url, download_root, filename, md5)
    return extract_archive(archive, extract_root or download_root, remove_finished)
