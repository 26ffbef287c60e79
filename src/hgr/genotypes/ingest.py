"""``ingest``: genotype files into a collection's VCF Zarr store, all or nothing.

The steps follow bio2zarr's own (scan → explode → encode → verify), with hgr's checks and
bookkeeping around them:

1. **Seal and scan** each file in one read: its SHA-256, a Crypt4GH copy to the node's key,
   a line-by-line check (``vcf_scan``) and a BGZF working copy.
2. **Match** the sample columns to registry samples and **detect the build**; a collection
   keeps one build.
3. **Encode** with bio2zarr (``explode`` then ``encode``, in worker processes) into a staging
   directory.
4. **Summarise** in one pass over the genotype chunks (``qc``): QC, allele counts, and every
   call's ploidy.
5. **Publish**: rename the store and the sealed files into place, and write the rows that make
   them visible, with the audit event, in one transaction.

A failure at any step, a ``kill -9`` included, leaves the previous version in use and nothing
new visible; the next ingestion sweeps the leftovers (``store.CollectionDirectory.sweep``).
A second ingestion into a collection adds variants: the new version is encoded from the
sealed files of the previous version plus the new ones, which must hold the same samples.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.audit import SYSTEM, Actor, record
from hgr.crypto import NodeKeys
from hgr.dates import utc_now
from hgr.db import Database
from hgr.exceptions import Conflict, UsageError
from hgr.genotypes.builds import GenomeBuild, detect_build
from hgr.genotypes.encode import (
    encode_plink,
    encode_vcf,
    merge_samples,
    place_sources,
    refuse_ploidy,
)
from hgr.genotypes.models import GenotypeSample, GenotypeSampleQc, GenotypeSource, GenotypeStore
from hgr.genotypes.qc import StoreSummary, summarise_store
from hgr.genotypes.raw_files import SealedFile
from hgr.genotypes.sample_map import match_samples, read_sample_map
from hgr.genotypes.sources import (
    Source,
    check_same_samples,
    keep_working_copies,
    plink_fileset,
    prepare_new,
    prepare_plink,
    prepare_previous,
)
from hgr.genotypes.store import (
    STORE_FORMAT,
    CollectionDirectory,
    current_store,
    find_collection,
    store_sources,
)
from hgr.genotypes.vcf_scan import VcfLayout
from hgr.progress import Progress, silent
from hgr.registry import models as m
from hgr.vocabulary import Encryption, FileKind

__all__ = ["IngestResult", "ingest"]

_FILE_KINDS = {"vcf": FileKind.VCF, "bcf": FileKind.BCF, "plink": FileKind.PLINK}


@dataclass(frozen=True)
class IngestResult:
    """What an ingestion wrote."""

    institution: str
    collection: str
    version: int
    location: str
    build: GenomeBuild
    build_evidence: str
    samples: int
    variants: int
    added_variants: int
    sources: tuple[str, ...]
    swept: tuple[str, ...]


def _referenced(session: Session, collection_id: int) -> set[str]:
    """What the database names on disk: the store in use and every sealed file."""
    current = current_store(session, collection_id)
    stores = [current.location] if current else []
    files = session.scalars(
        select(m.DataFile.location)
        .join(GenotypeSource, GenotypeSource.data_file_id == m.DataFile.id)
        .join(GenotypeStore, GenotypeStore.id == GenotypeSource.store_id)
        .where(GenotypeStore.collection_id == collection_id)
    )
    return set(stores) | set(files)


def ingest(
    db: Database,
    home: Path,
    keys: NodeKeys,
    files: Sequence[Path],
    *,
    institution: str,
    collection: str,
    sample_map: Path | None = None,
    build: GenomeBuild | None = None,
    workers: int = 0,
    progress: Progress = silent,
    actor: Actor = SYSTEM,
    grounds: str = "",
) -> IngestResult:
    """Ingest VCF/BCF ``files`` into a collection's genotype store, all or nothing.

    Parameters
    ----------
    db, home, keys
        The node's database, home directory and keys.
    files
        VCF (plain, gzip or BGZF) or BCF files holding the same samples.
    institution, collection
        The codes of the collection the genotypes belong to.
    sample_map
        A file mapping the files' sample ids to registry sample codes.
    build
        The genome build, for files whose header does not tell it.
    workers
        Worker processes for encoding (0: in this process).

    Raises
    ------
    FormatError, ValidationFailed, Conflict, NotFound, UsageError
        For bad input; nothing is written.
    """
    if not files:
        raise UsageError("name at least one genotype file", code="E_NO_FILE")
    plink = plink_fileset(files)
    mapping = read_sample_map(sample_map) if sample_map is not None else None
    with db.reader() as session:
        target = find_collection(session, institution, collection)
        collection_id, institution_id = target.id, target.institution_id
    directory = CollectionDirectory(home, collection_id)
    with directory.locked():
        with db.reader() as session:
            swept = directory.sweep(_referenced(session, collection_id))
            previous = current_store(session, collection_id)
            previous_sources = store_sources(session, previous, directory)
            previous_columns = (
                [
                    (row.sample_id, row.file_sample_id)
                    for row in session.scalars(
                        select(GenotypeSample)
                        .where(GenotypeSample.store_id == previous.id)
                        .order_by(GenotypeSample.position)
                    )
                ]
                if previous
                else []
            )
            previous_samples = [sample_id for sample_id, _file_id in previous_columns]
        with directory.staging() as work:
            progress("seal", 0, len(files))
            new = []
            from_plink = bool(previous_sources) and previous_sources[0][0].kind.startswith("plink")
            if previous is not None and (plink is not None or from_plink):
                raise Conflict(
                    f"collection {collection} has genotypes already, and a store holds one "
                    "PLINK fileset alone: convert the filesets to VCF (plink --recode vcf) and "
                    "ingest them together",
                    code="E_BATCH_FORMAT",
                )
            if plink is not None:
                new = prepare_plink(plink, work, keys)
            for index, path in enumerate(files if plink is None else []):
                new.append(prepare_new(path, work, index, keys))
                progress("seal", index + 1, len(files))
            check_same_samples(new)
            with db.reader() as session:
                samples = match_samples(
                    session,
                    institution_id,
                    new[0].layout.samples,
                    mapping,
                    source=new[0].layout.source,
                )
                new_ids = [s.id for s in samples]
            evidence = [
                detect_build(
                    s.layout.contig_lengths,
                    s.layout.max_positions,
                    source=s.layout.source,
                    assume=build,
                )
                for s in new
            ]
            found = {e.build for e in evidence}
            if len(found) > 1:
                raise Conflict(
                    "the files are on different genome builds ("
                    + ", ".join(
                        f"{s.layout.source}: {e.build}" for s, e in zip(new, evidence, strict=True)
                    )
                    + "): a collection holds one build; lift them over to one",
                    code="E_BUILD_MIXED",
                )
            if previous is not None and previous.build != evidence[0].build:
                raise Conflict(
                    f"{new[0].layout.source} is on {evidence[0].build} but collection "
                    f"{collection} holds {previous.build}: a collection holds one build; "
                    "lift the file over first",
                    code="E_BUILD_MIXED",
                )
            adds_samples = previous is not None and _batch_kind(
                previous_samples, new_ids, previous_sources, new[0].layout.source, collection
            )
            columns = [
                *(previous_columns if adds_samples else []),
                *zip(new_ids, new[0].layout.samples, strict=True),
            ]
            with db.reader() as session:
                facts = _donor_facts(session, [sample_id for sample_id, _ in columns])
            progress("encode", 0, 1)
            if plink is not None:
                store_path, group = encode_plink(work, workers)
                placed = named = new
            elif adds_samples:
                assert previous is not None
                keep_working_copies(new, work, keys)
                _path, batch = encode_vcf(new, work, workers)
                named = place_sources(new, batch)
                for source in named:
                    source.sample_offset = len(previous_samples)
                store_path = work / "merged.vcz"
                group = merge_samples(
                    directory.absolute(previous.location),
                    batch,
                    store_path,
                    new[0].layout.source,
                )
                placed = [*_recorded(previous_sources), *named]
            else:
                old = [
                    prepare_previous(sealed, file_id, work, len(files) + i, keys)
                    for i, (_row, sealed, file_id) in enumerate(previous_sources)
                ]
                keep_working_copies(old + new, work, keys)
                store_path, group = encode_vcf(old + new, work, workers)
                placed = named = place_sources(old + new, group)
            progress("quality control", 0, 1)
            summary = summarise_store(
                group,
                evidence[0].build,
                declared_sex=[f[0] for f in facts],
                groupings={"population": [f[1] for f in facts], "region": [f[2] for f in facts]},
                strata=[f[1] for f in facts],
                threads=max(1, workers),
            )
            refuse_ploidy(summary, named)
            progress("quality control", 1, 1)
            version = (previous.version if previous else 0) + 1
            group.attrs["hgr"] = {
                "store_format": STORE_FORMAT,
                "institution": institution,
                "collection": collection,
                "version": version,
                "build": str(evidence[0].build),
            }
            variants = int(group["variant_position"].shape[0])
            vcf_zarr_version = str(group.attrs.get("vcf_zarr_version", ""))
            progress("encode", 1, 1)
            final = directory.path / f"v{version:04d}-{uuid.uuid4().hex[:8]}.vcz"
            return _publish(
                db,
                directory,
                final,
                store_path,
                placed,
                new,
                columns,
                institution_id=institution_id,
                collection_id=collection_id,
                institution=institution,
                collection=collection,
                version=version,
                build=evidence[0].build,
                build_by=evidence[0].by,
                variants=variants,
                vcf_zarr_version=vcf_zarr_version,
                added=variants - (previous.variants if previous else 0),
                summary=summary,
                swept=swept,
                previous_location=previous.location if previous else None,
                actor=actor,
                grounds=grounds,
            )


def _batch_kind(
    previous: Sequence[int],
    new: Sequence[int],
    previous_sources: Sequence[tuple[GenotypeSource, SealedFile, int]],
    source: str,
    collection: str,
) -> bool:
    """Whether files of ``new`` samples add samples (True) or variants (False) to a store.

    Raises
    ------
    Conflict
        ``E_BATCH_SAMPLES`` when they share some samples with the store but not all, or add
        variants to a store already built of several sample batches.
    """
    if list(new) == list(previous):
        if len({row.sample_offset for row, _sealed, _id in previous_sources}) > 1:
            raise Conflict(
                f"collection {collection}'s store was built from several batches of samples: "
                "new variants must come per batch, which is not supported; ingest the "
                "variants for all its samples in one file",
                code="E_BATCH_SAMPLES",
            )
        return False
    if set(new) & set(previous):
        raise Conflict(
            f"{source} holds some of the samples already in collection {collection}'s store "
            "but not all (or not in the same order): a batch adds either new variants for "
            "the same samples, in order (bcftools view -s), or new samples at the same sites",
            code="E_BATCH_SAMPLES",
        )
    return True


def _recorded(rows: Sequence[tuple[GenotypeSource, SealedFile, int]]) -> list[Source]:
    """The sources of the previous version as they stand, for a version that keeps them."""
    return [
        Source(
            row.name,
            sealed,
            row.kind,
            VcfLayout(row.name, header_lines=row.header_lines, records=row.records),
            Path(),
            data_file_id=file_id,
            sample_offset=row.sample_offset,
        )
        for row, sealed, file_id in rows
    ]


def _donor_facts(
    session: Session, sample_ids: Sequence[int]
) -> list[tuple[str, str | None, str | None]]:
    """Each sample's donor: declared sex, population and residence region code."""
    found: dict[int, tuple[str, str | None, str | None]] = {}
    for chunk in range(0, len(sample_ids), 500):
        rows = session.execute(
            select(m.Sample.id, m.Donor.sex, m.Donor.population, m.Region.code)
            .join(m.Donor, m.Donor.id == m.Sample.donor_id)
            .outerjoin(m.Region, m.Region.id == m.Donor.residence_region_id)
            .where(m.Sample.id.in_(sample_ids[chunk : chunk + 500]))
        )
        for sample_id, sex, population, region in rows:
            found[sample_id] = (str(sex), population, region)
    return [found[sample_id] for sample_id in sample_ids]


def _publish(
    db: Database,
    directory: CollectionDirectory,
    final: Path,
    store_path: Path,
    placed: Sequence[Source],
    new: Sequence[Source],
    columns: Sequence[tuple[int, str]],
    *,
    institution_id: int,
    collection_id: int,
    institution: str,
    collection: str,
    version: int,
    build: GenomeBuild,
    build_by: str,
    variants: int,
    vcf_zarr_version: str,
    added: int,
    summary: StoreSummary,
    swept: list[str],
    previous_location: str | None,
    actor: Actor,
    grounds: str,
) -> IngestResult:
    """Rename into place, then commit the rows that make the new version visible.

    The previous version's store is removed once the new one is committed (its rows stay,
    as history); its sealed files stay, as the new version is built from them too.
    """
    for source in new:
        sealed_at = directory.raw / source.sealed.sealed.name
        source.sealed.sealed.replace(sealed_at)
        source.sealed = SealedFile(source.name, sealed_at, source.sealed.size, source.sealed.sha256)
    store_path.replace(final)
    _fsync_directory(directory.raw)
    _fsync_directory(directory.path)
    now = utc_now()
    try:
        with db.transaction() as session:
            store = GenotypeStore(
                collection_id=collection_id,
                version=version,
                location=directory.relative(final),
                build=str(build),
                vcf_zarr_version=vcf_zarr_version,
                samples=len(columns),
                variants=variants,
                created_at=now,
                qc={
                    "thresholds": dataclasses.asdict(summary.thresholds),
                    "variants": summary.variant_counts,
                    "groups": summary.group_ids,
                },
            )
            session.add(store)
            session.flush()
            for ordinal, source in enumerate(placed):
                if source.data_file_id is None:
                    data_file = m.DataFile(
                        institution_id=institution_id,
                        location=directory.relative(source.sealed.sealed),
                        kind=_FILE_KINDS[source.kind.split(".")[0]],
                        size_bytes=source.sealed.size,
                        sha256=source.sealed.sha256,
                        encryption=Encryption.CRYPT4GH,
                        collection_id=collection_id,
                    )
                    session.add(data_file)
                    session.flush()
                    source.data_file_id = data_file.id
                session.add(
                    GenotypeSource(
                        store_id=store.id,
                        data_file_id=source.data_file_id,
                        name=source.name,
                        kind=source.kind,
                        header_lines=source.layout.header_lines,
                        records=len(source.layout.samples)
                        if source.kind == "plink.fam" and source.layout.samples
                        else source.layout.records,
                        sample_offset=source.sample_offset,
                        ordinal=ordinal,
                    )
                )
            session.add_all(
                GenotypeSample(
                    store_id=store.id,
                    sample_id=sample_id,
                    position=position,
                    file_sample_id=file_id,
                )
                for position, (sample_id, file_id) in enumerate(columns)
            )
            session.add_all(
                GenotypeSampleQc(
                    store_id=store.id,
                    sample_id=columns[qc.position][0],
                    call_rate=qc.call_rate,
                    heterozygosity=qc.heterozygosity,
                    ti_tv=qc.ti_tv,
                    x_f=qc.x_f,
                    x_sites=qc.x_sites,
                    y_call_rate=qc.y_call_rate,
                    inferred_sex=qc.inferred_sex,
                    declared_sex=qc.declared_sex,
                    flags=list(qc.flags),
                )
                for qc in summary.samples
            )
            record(
                session,
                actor,
                "genotypes.ingest",
                f"institutions/{institution}/collections/{collection}/genotypes",
                grounds=grounds,
                detail={
                    "version": version,
                    "build": str(build),
                    "samples": len(columns),
                    "variants": variants,
                    "files": [
                        {"name": s.name, "sha256": s.sealed.sha256, "size": s.sealed.size}
                        for s in new
                    ],
                },
            )
    except BaseException:
        # Not committed: take the new files back out of sight at once (a crash instead
        # leaves them to the next sweep).
        shutil.rmtree(final, ignore_errors=True)
        for source in new:
            source.sealed.sealed.unlink(missing_ok=True)
        raise
    if previous_location:
        shutil.rmtree(directory.absolute(previous_location), ignore_errors=True)
    return IngestResult(
        institution=institution,
        collection=collection,
        version=version,
        location=directory.relative(final),
        build=build,
        build_evidence=build_by,
        samples=len(columns),
        variants=variants,
        added_variants=added,
        sources=tuple(s.name for s in placed),
        swept=tuple(swept),
    )


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
