"""Where a collection's genotypes live on disk, and opening a store safely.

::

    <home>/genotypes/<collection id>/
        .lock                 held while an ingestion runs (one at a time per collection)
        v0003-1f0c9a2e.vcz/   a store version (VCF Zarr, written by bio2zarr)
        raw/2b7e….c4gh        sealed raw files (Crypt4GH, to the node's key)
        .staging-…/           an ingestion's work: working copies, intermediate files

A store is written under ``.staging-…`` and renamed into place; it becomes visible only when
the database row naming it commits. Whatever no row names (a store renamed just before a
crash, a staging directory) is removed by ``sweep`` the next time the collection is locked,
so an interrupted ingestion leaves nothing a reader could find.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zarr

from hgr.exceptions import Conflict, FormatError, IntegrityBroken

__all__ = [
    "STORE_FORMAT",
    "SUPPORTED_VCF_ZARR",
    "CollectionDirectory",
    "open_store",
]

# The VCF Zarr specification versions this code reads (vcf-zarr-spec, "vcf_zarr_version"),
# and the version of what hgr adds to a store's attributes under "hgr".
SUPPORTED_VCF_ZARR = frozenset({"0.4", "0.5"})
STORE_FORMAT = 1
STAGING_PREFIX = ".staging-"
RAW = "raw"


@dataclass(frozen=True)
class CollectionDirectory:
    """The directory of one collection's genotype store versions and sealed files."""

    home: Path
    collection_id: int

    @property
    def path(self) -> Path:
        return self.home / "genotypes" / str(self.collection_id)

    @property
    def raw(self) -> Path:
        return self.path / RAW

    def relative(self, path: Path) -> str:
        """``path`` relative to the node's home, as stored in the database."""
        return path.relative_to(self.home).as_posix()

    def absolute(self, location: str) -> Path:
        return self.home / location

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the collection's lock for the block; another holder is refused at once.

        Ingestion holds it, and so does verification: an ingestion's sweep removes staging
        directories and replaced stores that a verification would be reading.
        """
        self.raw.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home / "genotypes", 0o700)
        with (self.path / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise Conflict(
                    f"collection {self.collection_id}'s genotype store is busy: an ingestion "
                    "or a verification is running; wait for it to finish",
                    code="E_INGEST_RUNNING",
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh work directory inside the collection's, removed when the block ends."""
        work = self.path / f"{STAGING_PREFIX}{os.urandom(6).hex()}"
        work.mkdir(mode=0o700)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def sweep(self, referenced: set[str]) -> list[str]:
        """Remove what an interrupted ingestion left: unreferenced stores, raw files, staging.

        Call it only while holding the lock. ``referenced`` holds the locations (relative to
        home) that database rows name. Returns what was removed.
        """
        removed = []
        for entry in sorted(self.path.iterdir()):
            location = self.relative(entry)
            if entry.name.startswith(STAGING_PREFIX) or (
                entry.suffix == ".vcz" and location not in referenced
            ):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(location)
        for entry in sorted(self.raw.iterdir()):
            if self.relative(entry) not in referenced:
                entry.unlink()
                removed.append(self.relative(entry))
        return removed


def open_store(path: Path) -> Any:
    """Open a store version read-only, after checking the formats it was written in.

    Raises
    ------
    IntegrityBroken
        ``E_STORE_MISSING`` when the directory is gone.
    FormatError
        ``E_STORE_VERSION`` when the store was written in a VCF Zarr or hgr store format that
        this version of hgr does not read.
    """
    if not path.is_dir():
        raise IntegrityBroken(
            f"genotype store {path} is missing: restore it from backup, or ingest the "
            "collection's files again",
            code="E_STORE_MISSING",
        )
    try:
        group = zarr.open_group(str(path), mode="r")
    except (OSError, ValueError, KeyError) as exc:
        raise FormatError(f"{path} is not a readable Zarr store: {exc}", code="E_STORE") from exc
    attrs = dict(group.attrs)
    version = str(attrs.get("vcf_zarr_version", ""))
    if version not in SUPPORTED_VCF_ZARR:
        raise FormatError(
            f"{path} is VCF Zarr version {version or '(none)'}; this hgr reads "
            f"{', '.join(sorted(SUPPORTED_VCF_ZARR))}: ingest the source files again",
            code="E_STORE_VERSION",
        )
    ours = attrs.get("hgr")
    found = ours.get("store_format") if isinstance(ours, dict) else None
    if found != STORE_FORMAT:
        raise FormatError(
            f"{path} has hgr store format {found}; this hgr reads format {STORE_FORMAT}: "
            "upgrade hgr, or ingest the files again",
            code="E_STORE_VERSION",
        )
    return group
