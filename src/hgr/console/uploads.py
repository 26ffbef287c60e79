"""Uploaded files held in memory while the importer reads them: no plaintext copy on disk.

The console's import form and the API's import route both take uploads through here.

An upload carries raw donor identifiers, which the node never stores (it keeps keyed
pseudonyms). The importer reads named files, so each upload becomes an anonymous in-memory
file (Linux ``memfd_create(2)``) reached through a symbolic link of the upload's name, in a
folder of links that holds no data. The memory goes when the process does, a ``kill -9``
included; the leftover folder of dangling links is removed when the next server starts
(:func:`clean_stale`). Where ``memfd_create`` does not exist, the file is written owner-only.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.formparsers import MultiPartParser

from hgr.exceptions import UsageError, ValidationFailed
from hgr.issues import Issue, Origin

__all__ = ["UploadFolder", "clean_stale", "keep_uploads_in_memory", "upload_folder"]

PREFIX = "hgr-upload-"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 200  # characters of an uploaded file's name (it names the file in every issue)


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

    def add_upload(self, filename: str | None, data: bytes, number: int) -> Path:
        """Hold the ``number``-th upload, sent as ``filename``, under a safe name: the name
        keeps the template it announces (``donors.csv``), stripped of any folder and of
        characters a file name should not hold.

        Raises UsageError (``E_UPLOAD_NAME``) for a name given twice, too long or empty.
        """
        name = _SAFE_NAME.sub("_", Path(filename or f"file{number}").name)
        # NAME_MAX is 255 bytes on every file system the node runs on.
        if len(name) > MAX_NAME or (self.path / name).exists() or not name.strip("._"):
            raise UsageError(
                f"upload names a file twice, badly or in over {MAX_NAME} "
                f"characters: {(filename or '')[:80]!r}",
                code="E_UPLOAD_NAME",
            )
        return self.add(name, data)

    def relabel(self, exc: ValidationFailed) -> ValidationFailed:
        """``exc`` with its issues pointing at the uploads by name, not at this folder."""

        def where(origin: Origin) -> Origin:
            name = origin.file.removeprefix(str(self.path) + "/")
            return Origin(name, origin.line, origin.pointer)

        issues = [
            Issue(i.code, i.severity, where(i.origin), i.problem, i.fix, i.field, i.family)
            for i in exc.issues
        ]
        return ValidationFailed(exc.message, issues, code=exc.code)

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
