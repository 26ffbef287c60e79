"""``verify``: compare a collection's store with its sealed source files, genotype by genotype.

Each source is decrypted (its SHA-256 checked, see ``raw_files.unseal``) and read record by
record with htslib; the record's contig, position, alleles, every call's alleles and phasing
are compared with the store's arrays. The report names the first differing records by file
and line, and counts every difference.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cyvcf2
import numpy as np
from bio2zarr import plink as bio2zarr_plink

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.genotypes.models import GenotypeSource
from hgr.genotypes.raw_files import SealedFile, unseal
from hgr.genotypes.store import CollectionDirectory, open_store, required_store, store_sources
from hgr.genotypes.vcf_scan import at_line
from hgr.progress import Progress, silent

__all__ = ["StoreVerification", "verify_store"]

_SHOWN = 20
_BLOCK = 1000


@dataclass
class StoreVerification:
    """What ``verify_store`` compared, and every difference it found."""

    location: str
    sources: int = 0
    variants: int = 0
    calls: int = 0
    differences: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.differences == 0

    def note(self, message: str, count: int = 1) -> None:
        self.differences += count
        if len(self.problems) < _SHOWN:
            self.problems.append(message)


def verify_store(
    db: Database,
    home: Path,
    keys: NodeKeys,
    *,
    institution: str,
    collection: str,
    progress: Progress = silent,
) -> StoreVerification:
    """Compare the collection's current store with its source files.

    Raises
    ------
    NotFound
        When the collection has no genotypes.
    IntegrityBroken
        When a sealed source no longer decrypts to the bytes that were ingested, or the
        store is missing.
    """
    with db.reader() as session:
        target, _store = required_store(session, institution, collection)
    directory = CollectionDirectory(home, target.id)
    with directory.locked():  # the version read next stays in place until the end
        with db.reader() as session:
            _target, store = required_store(session, institution, collection)
            rows = store_sources(session, store, directory)
            location, expected_variants = store.location, store.variants
        return _verify(directory, location, expected_variants, rows, keys, progress)


def _verify(
    directory: CollectionDirectory,
    location: str,
    expected_variants: int,
    rows: list[tuple[GenotypeSource, SealedFile, int]],
    keys: NodeKeys,
    progress: Progress,
) -> StoreVerification:
    group = open_store(directory.absolute(location))
    report = StoreVerification(location, sources=len(rows))
    stored_variants = int(group["variant_position"].shape[0])
    if stored_variants != expected_variants:
        report.note(
            f"the store holds {stored_variants} variants; the registry says {expected_variants}"
        )
    if rows and rows[0][0].kind.startswith("plink"):
        with directory.staging() as work:
            _compare_plink(group, rows, keys, work, report)
        return report
    # Each batch of samples (one sample offset) covers every variant, file after file.
    starts: dict[int, int] = {}
    with directory.staging() as work:
        for number, (source, sealed, _file_id) in enumerate(rows, start=1):
            start = starts.get(source.sample_offset, 0)
            with unseal(sealed, keys, work / f"plain-{number}") as plain:
                _compare(group, plain, source, start, report)
            starts[source.sample_offset] = start + source.records
            progress("verify", number, len(rows))
    for offset, total in sorted(starts.items()):
        if total != stored_variants:
            report.note(
                f"the files of the samples from column {offset + 1} hold {total} records; the "
                f"store holds {stored_variants} variants"
            )
    return report


def _compare(
    group: Any, plain: Path, source: GenotypeSource, start: int, report: StoreVerification
) -> None:
    contig_ids = [str(c) for c in group["contig_id"][:]]
    genotypes, phased = group["call_genotype"], group["call_genotype_phased"]
    ploidy = genotypes.shape[2]
    stop = min(start + source.records, genotypes.shape[0])
    reader = cyvcf2.VCF(str(plain))
    records = iter(reader)
    try:
        for block in range(start, stop, _BLOCK):
            end = min(block + _BLOCK, stop)
            stored = genotypes[block:end]
            stored_phase = phased[block:end]
            contigs = group["variant_contig"][block:end]
            positions = group["variant_position"][block:end]
            alleles = group["variant_allele"][block:end]
            for offset in range(end - block):
                variant = next(records, None)
                line = source.header_lines + (block - start) + offset + 1
                where = at_line(source.name, line)
                if variant is None:
                    report.note(f"{where}: the file ends; the store has more variants")
                    return
                report.variants += 1
                site = (contig_ids[contigs[offset]], int(positions[offset]))
                if site != (variant.CHROM, variant.POS):
                    report.note(
                        f"{where}: {variant.CHROM}:{variant.POS} is "
                        f"{site[0]}:{site[1]} in the store"
                    )
                    continue
                kept = [str(a) for a in alleles[offset] if str(a)]
                if [variant.REF, *variant.ALT] != kept:
                    report.note(
                        f"{where}: alleles {[variant.REF, *variant.ALT]} are {kept} in the store"
                    )
                calls = variant.genotype.array()
                columns = slice(source.sample_offset, source.sample_offset + calls.shape[0])
                source_alleles = np.full((calls.shape[0], ploidy), -2, dtype=np.int16)
                width = min(ploidy, calls.shape[1] - 1)
                source_alleles[:, :width] = calls[:, :width]
                report.calls += calls.shape[0]
                wrong = (source_alleles != stored[offset][columns]).any(axis=1)
                diploid = source_alleles[:, 1] != -2 if ploidy > 1 else np.zeros(len(calls), bool)
                wrong |= diploid & (calls[:, -1].astype(bool) != stored_phase[offset][columns])
                if wrong.any():
                    report.note(
                        f"{where}: {int(wrong.sum())} call(s) differ from the store, the first "
                        f"in column {int(np.flatnonzero(wrong)[0]) + 10} of the file",
                        int(wrong.sum()),
                    )
        if next(records, None) is not None:
            report.note(f"{source.name}: the file has more records than the store holds for it")
    finally:
        reader.close()


def _compare_plink(
    group: Any,
    rows: list[tuple[GenotypeSource, SealedFile, int]],
    keys: NodeKeys,
    work: Path,
    report: StoreVerification,
) -> None:
    """Compare a store built from a PLINK fileset with its decrypted .bed/.bim/.fam."""
    prefix = work / "plink"
    with contextlib.ExitStack() as stack:
        for source, sealed, _file_id in rows:
            stack.enter_context(unseal(sealed, keys, prefix.with_suffix(Path(source.name).suffix)))
        fileset = bio2zarr_plink.PlinkFormat(prefix)
        bim = prefix.with_suffix(".bim").name
        positions = group["variant_position"][:]
        alleles = group["variant_allele"][:]
        genotypes = group["call_genotype"]
        n = len(fileset.bim)
        if n != genotypes.shape[0]:
            report.note(f"{bim}: {n} variants; the store holds {genotypes.shape[0]}")
            return
        for block in range(0, n, _BLOCK):
            end = min(block + _BLOCK, n)
            stored = genotypes[block:end]
            decoded = fileset.bed_reader.decode(block, end)
            for offset in range(end - block):
                index = block + offset
                where = at_line(bim, index + 1)
                report.variants += 1
                if int(fileset.bim.position[index]) != int(positions[index]):
                    report.note(f"{where}: position differs from the store")
                kept = [str(fileset.bim.allele_2[index]), str(fileset.bim.allele_1[index])]
                if [str(a) for a in alleles[index][:2]] != kept:
                    report.note(f"{where}: alleles {kept} differ from the store")
                wrong = (decoded[offset] != stored[offset]).any(axis=1)
                report.calls += len(wrong)
                if wrong.any():
                    report.note(
                        f"{where}: {int(wrong.sum())} call(s) differ from the store",
                        int(wrong.sum()),
                    )
