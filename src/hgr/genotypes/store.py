"""A collection's genotype store: which version is in use and what its columns are (the
database side), where its versions live on disk, and opening one safely.

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
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zarr
from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import Session

from hgr.exceptions import Conflict, FormatError, IntegrityBroken, NotFound
from hgr.genotypes.models import GenotypeSample, GenotypeSource, GenotypeStore
from hgr.genotypes.raw_files import SealedFile
from hgr.registry import models as m

__all__ = [
    "STORE_FORMAT",
    "SUPPORTED_VCF_ZARR",
    "CollectionDirectory",
    "StoreColumn",
    "current_store",
    "dataset_donors",
    "donor_counts",
    "find_collection",
    "open_store",
    "required_store",
    "store_columns",
    "store_sources",
]

# The VCF Zarr specification versions this code reads (vcf-zarr-spec, "vcf_zarr_version"),
# and the version of what hgr adds to a store's attributes under "hgr".
SUPPORTED_VCF_ZARR = frozenset({"0.4", "0.5"})
STORE_FORMAT = 1
STAGING_PREFIX = ".staging-"
RAW = "raw"


def _memberships() -> Subquery:
    """(collection, donor) pairs: donors with samples in a collection, and donors whose
    samples were genotyped into the collection's store."""
    S, G, T = m.Sample, GenotypeSample, GenotypeStore
    sampled = select(S.collection_id.label("collection_id"), S.donor_id.label("donor_id")).where(
        S.collection_id.is_not(None)
    )
    genotyped = (
        select(T.collection_id, S.donor_id).join(G, G.sample_id == S.id).join(T, T.id == G.store_id)
    )
    return sampled.union(genotyped).subquery()


def dataset_donors(collection_id: int) -> Select[Any]:
    """The donors of one dataset (see :func:`_memberships`)."""
    pairs = _memberships()
    return select(pairs.c.donor_id).where(pairs.c.collection_id == collection_id)


def donor_counts(session: Session) -> dict[int, int]:
    """Every dataset's number of donors, in one query."""
    pairs = _memberships()
    rows = session.execute(
        select(pairs.c.collection_id, func.count()).group_by(pairs.c.collection_id)
    ).all()
    return {int(collection): int(count) for collection, count in rows}


def find_collection(session: Session, institution: str, collection: str) -> m.Collection:
    """The collection ``collection`` of institution ``institution``.

    Raises
    ------
    NotFound
        When either is not registered.
    """
    found = session.scalar(
        select(m.Collection)
        .join(m.Institution, m.Institution.id == m.Collection.institution_id)
        .where(m.Institution.code == institution, m.Collection.code == collection)
    )
    if found is None:
        raise NotFound(
            f"institution {institution!r} has no collection {collection!r}: register it in a "
            "collections template first (hgr import)",
            code="E_NO_COLLECTION",
        )
    return found


def required_store(
    session: Session, institution: str, collection: str
) -> tuple[m.Collection, GenotypeStore]:
    """A collection and the version of its store in use.

    Raises
    ------
    NotFound
        ``E_NO_COLLECTION``, or ``E_NO_GENOTYPES`` when nothing was ingested into it.
    """
    target = find_collection(session, institution, collection)
    store = current_store(session, target.id)
    if store is None:
        raise NotFound(
            f"collection {collection} has no genotypes: ingest them first (hgr genotypes ingest)",
            code="E_NO_GENOTYPES",
        )
    return target, store


def current_store(session: Session, collection_id: int) -> GenotypeStore | None:
    """The version of a collection's store in use (the newest), or None."""
    return session.scalar(
        select(GenotypeStore)
        .where(GenotypeStore.collection_id == collection_id)
        .order_by(GenotypeStore.version.desc())
        .limit(1)
    )


def store_sources(
    session: Session, store: GenotypeStore | None, directory: CollectionDirectory
) -> list[tuple[GenotypeSource, SealedFile, int]]:
    """A store version's source files in store order: row, sealed copy, data file id."""
    if store is None:
        return []
    rows = session.execute(
        select(GenotypeSource, m.DataFile)
        .join(m.DataFile, m.DataFile.id == GenotypeSource.data_file_id)
        .where(GenotypeSource.store_id == store.id)
        .order_by(GenotypeSource.ordinal)
    ).all()
    return [
        (
            source,
            SealedFile(
                source.name, directory.absolute(data.location), data.size_bytes, data.sha256
            ),
            data.id,
        )
        for source, data in rows
    ]


@dataclass(frozen=True)
class StoreColumn:
    """One sample column of a store version: the sample and donor it holds."""

    position: int
    sample_id: int
    sample_code: str
    donor_id: int
    pseudonym: str
    population: str | None
    residence_region_id: int | None


def store_columns(
    session: Session, store: GenotypeStore, donors: Collection[int] | None = None
) -> list[StoreColumn]:
    """Every sample column of ``store`` (only those of ``donors``, when given), in column
    order, with its sample and donor."""
    S, D = m.Sample, m.Donor
    query = (
        select(
            GenotypeSample.position,
            S.id,
            S.code,
            D.id,
            D.pseudonym,
            D.population,
            D.residence_region_id,
        )
        .join(S, S.id == GenotypeSample.sample_id)
        .join(D, D.id == S.donor_id)
        .where(GenotypeSample.store_id == store.id)
        .order_by(GenotypeSample.position)
    )
    if donors is not None:
        query = query.where(S.donor_id.in_(sorted(donors)))
    rows = session.execute(query)
    return [StoreColumn(*row) for row in rows]


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
