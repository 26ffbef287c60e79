"""Uploaded files held in memory while the importer reads them: no plaintext copy on disk.

An upload carries raw donor identifiers, which the node never stores (it keeps keyed
pseudonyms). The importer reads named files, so each upload becomes an anonymous in-memory
file (Linux ``memfd_create(2)``) reached through a symbolic link of the upload's name, in a
folder of links that holds no data. The memory goes when the process does, a ``kill -9``
included; the leftover folder of dangling links is removed when the next server starts
(:func:`clean_stale`). Where ``memfd_create`` does not exist, the file is written owner-only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.formparsers import MultiPartParser

__all__ = ["UploadFolder", "clean_stale", "keep_uploads_in_memory", "upload_folder"]

PREFIX = "hgr-upload-"


class UploadFolder:
    """A folder of named uploads; :meth:`add` puts one in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptors: list[int] = []

    def add(self, name: str, data: bytes) -> Path:
        """Hold ``data`` as the file ``name`` of the folder, in memory where the system can."""
        link = self.path / name
        if not hasattr(os, "memfd_create"):
            descriptor = os.open(link, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            return link
        descriptor = os.memfd_create(f"{PREFIX}{len(self._descriptors)}", os.MFD_CLOEXEC)
        self._descriptors.append(descriptor)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        link.symlink_to(f"/proc/{os.getpid()}/fd/{descriptor}")
        return link

    def close(self) -> None:
        for descriptor in self._descriptors:
            os.close(descriptor)
        self._descriptors.clear()
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def upload_folder() -> Iterator[UploadFolder]:
    """A fresh upload folder, emptied and removed when the block ends."""
    folder = UploadFolder(Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")))
    try:
        yield folder
    finally:
        folder.close()


def clean_stale(directory: Path | None = None) -> int:
    """Remove the upload folders of server processes that are gone (a crash or ``kill -9``);
    returns how many. A folder of a live process (another worker) is left alone."""
    removed = 0
    for folder in Path(directory or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        owner = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if (owner.isdigit() and _alive(int(owner))) or not folder.is_dir():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def keep_uploads_in_memory(limit: int) -> None:
    """Let multipart uploads up to ``limit`` bytes stay in memory: Starlette spools a part of
    over 1 MiB to a temporary file on disk, which would hold the raw identifiers."""
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limit)
