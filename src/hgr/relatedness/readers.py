"""Genotypes for relatedness from files: VCF/BCF (plain, gzip, BGZF) or a PLINK 1 fileset.

Only autosomal, biallelic SNVs enter KING (the sites PLINK 2 ``--make-king`` and KING are
meant for): sex chromosomes would mix haploid and diploid calls, and indels and multi-allelic
sites are where genotyping errors gather. A site whose ALT is ``.`` (monomorphic) is kept; it
adds to the number of sites compared and to nothing else. What was left out is counted by
reason, so the user can see why a file gave fewer sites than it holds.

Kinship counts genotypes, not allele letters, so a PLINK fileset may code its alleles A/B (as
Illumina arrays export them) or 1/2 (PLINK's ``--allele1234``) as well as ACGT: any
one-character code of a base or of an array's allele, the same within the file. Letters matter
only where sites are compared across files (the fingerprints matched between institutions,
the Beacon), and such a fileset does not enter a store (``E_PLINK_ALLELES``).

Every file is checked before it is read: a VCF line by line (``genotypes.vcf_scan``), a BCF
record by record, a PLINK fileset by its .fam, .bim and .bed size. Several files are read as
one set of sites (a VCF per chromosome, say) and must hold the same samples in the same order.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cyvcf2
import numpy as np
from numpy.typing import NDArray

from hgr.exceptions import FormatError, UsageError
from hgr.genotypes.builds import AUTOSOMES, canonical_contig
from hgr.genotypes.plink_source import PlinkFiles, find_plink, scan_plink
from hgr.genotypes.vcf_source import SourceReader, scan_bcf
from hgr.relatedness.kernels import decode_bed
from hgr.relatedness.packed import MISSING, PackedGenotypes, pack_dosages
from hgr.relatedness.sex_check import XCounts, in_pseudo_autosomal

__all__ = [
    "SiteCounts",
    "SiteKey",
    "checked_vcf_copy",
    "read_genotype_files",
    "read_store_genotypes",
    "store_dosages",
    "store_sites",
]

_BASES = frozenset("ACGTacgt")
# The one-character allele codes of genotyping arrays: A/B (Illumina's), 1-4 (PLINK's
# --allele1234 for A, C, G, T). I and D (PLINK's insertion and deletion) are not SNVs.
_CODES = _BASES | frozenset("Bb1234")
# cyvcf2's gt_types codes: 0 hom-ref, 1 het, 2 unknown, 3 hom-alt.
_CYVCF2_TO_DOSAGE = np.array([0, 1, MISSING, 2], dtype=np.int8)
# PLINK 1 .bed two-bit codes, low bits first: 00 hom A1, 01 missing, 10 het, 11 hom A2.
# A1 is usually the minor (alternate) allele; orientation does not change KING's counts.
_BED_CODES = np.array([2, MISSING, 1, 0], dtype=np.int8)
_BLOCK_SITES = 8192
_READ_CHUNK = 1 << 20


@dataclass
class SiteCounts:
    """Sites read, kept for KING, and left out by reason; and the X calls for the sex check
    (its biallelic SNVs outside the pseudo-autosomal regions, :mod:`hgr.relatedness.sex_check`)."""

    read: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    x: XCounts | None = None

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1


def _site_reason(
    contig: str, ref: str, alts: Sequence[str], codes: frozenset[str] = _BASES
) -> str | None:
    """Why a site is left out, or None to keep it. ``codes`` are the alleles an SNV may have
    (bases; an array's codes too where only genotypes are counted)."""
    if canonical_contig(contig) not in AUTOSOMES:
        return "not autosomal"
    if len(alts) > 1:
        return "multi-allelic"
    alt = alts[0] if alts else "."
    if len(ref) != 1 or ref not in codes or (alt != "." and (len(alt) != 1 or alt not in codes)):
        return "not an SNV"
    return None


def _sex_site(
    contig: str, position: int, ref: str, alts: Sequence[str], codes: frozenset[str]
) -> bool:
    """Whether a site left out of KING counts for the sex check: a biallelic SNV of X outside
    the pseudo-autosomal regions (PLINK's code 25, XY, is those regions)."""
    if contig == "25" or canonical_contig(contig) != "X" or in_pseudo_autosomal(position):
        return False
    return _site_reason("1", ref, alts, codes) is None


def _x_dosages(calls: NDArray[np.int16]) -> NDArray[np.int8]:
    """Alternate-allele counts of one X site from cyvcf2's (samples, alleles + phase) array. A
    man's call outside the pseudo-autosomal regions counts as homozygous whether written
    haploid (``1``: a second allele of -2) or as a half-call (``1/.``: -1, as the 1000 Genomes
    subset writes men). cyvcf2's genotype types cannot be used here: they call the half-call
    ``1/.`` heterozygous, which made every man with an alternate allele look like a woman. A
    call whose first allele is missing (``./1``) is missing."""
    first = calls[:, 0]
    second = calls[:, 1] if calls.shape[1] > 2 else np.full_like(first, -1)
    alt = (first > 0).astype(np.int8)
    dosage = np.where(second < 0, 2 * alt, alt + (second > 0)).astype(np.int8)
    dosage[first < 0] = MISSING
    return dosage


def _add_x(counts: SiteCounts, rows: list[NDArray[np.int8]]) -> None:
    if rows and counts.x is not None:
        counts.x.add(np.stack(rows))
    rows.clear()


def checked_vcf_copy(path: Path, work: Path) -> tuple[Path, int]:
    """Scan a VCF/BCF fully (``E_...`` errors name file and line).

    Returns a BGZF (or BCF) working copy and its number of records (0 for a BCF).
    """
    working = work / "source.gz"
    reader = SourceReader(str(path), working)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                reader(memoryview(chunk))
        layout = reader.finish()
    finally:
        reader.close()
    if reader.kind == "bcf":
        layout = scan_bcf(str(path), working)
    return working, layout.records


def _vcf_blocks(
    path: Path, checked: Path, counts: SiteCounts
) -> tuple[tuple[str, ...], Iterator[NDArray[np.int8]]]:
    try:
        vcf = cyvcf2.VCF(str(checked), gts012=False, lazy=True, threads=2)
    except OSError as exc:
        raise FormatError(f"{path}: htslib cannot read the file: {exc}", code="E_FORMAT") from exc
    samples = tuple(vcf.samples)

    def blocks() -> Iterator[NDArray[np.int8]]:
        rows: list[NDArray[np.int8]] = []
        x_rows: list[NDArray[np.int8]] = []
        try:
            for variant in vcf:
                counts.read += 1
                reason = _site_reason(variant.CHROM, variant.REF, variant.ALT)
                if reason is None and variant.ploidy != 2:
                    reason = "not diploid"
                if reason is not None:
                    counts.skip(reason)
                    if reason == "not autosomal" and _sex_site(
                        variant.CHROM, variant.POS, variant.REF, variant.ALT, _BASES
                    ):
                        x_rows.append(_x_dosages(variant.genotype.array()))
                        if len(x_rows) == _BLOCK_SITES:
                            _add_x(counts, x_rows)
                    continue
                rows.append(_CYVCF2_TO_DOSAGE[variant.gt_types])
                counts.kept += 1
                if len(rows) == _BLOCK_SITES:
                    yield np.stack(rows)
                    rows = []
            if rows:
                yield np.stack(rows)
            _add_x(counts, x_rows)
        finally:
            vcf.close()

    return samples, blocks()


def _plink_blocks(
    files: PlinkFiles, counts: SiteCounts
) -> tuple[tuple[str, ...], Iterator[NDArray[np.int8]]]:
    layout = scan_plink(files, files)
    samples = layout.samples
    keep = []
    sex = []
    for line in files.bim.read_text(encoding="utf-8").splitlines():
        contig, _id, _cm, position, a1, a2 = line.split()
        counts.read += 1
        alts = [] if a1 in {"0", "."} else [a1]
        reason = _site_reason(contig, a2, alts, _CODES)
        if reason is not None:
            counts.skip(reason)
        keep.append(reason is None)
        sex.append(reason == "not autosomal" and _sex_site(contig, int(position), a2, alts, _CODES))
    kept = np.array(keep, dtype=bool)
    on_x = np.array(sex, dtype=bool)
    counts.kept += int(kept.sum())
    width = (len(samples) + 3) // 4

    def blocks() -> Iterator[NDArray[np.int8]]:
        # Plain reads, not a memory map: mapped pages would count as the process's memory.
        with files.bed.open("rb") as handle:
            handle.seek(3)
            for start in range(0, layout.records, _BLOCK_SITES):
                stop = min(start + _BLOCK_SITES, layout.records)
                data = handle.read((stop - start) * width)
                rows = np.frombuffer(data, dtype=np.uint8).reshape(stop - start, width)
                wanted = kept[start:stop]
                if on_x[start:stop].any() and counts.x is not None:
                    counts.x.add(decode_bed(rows[on_x[start:stop]], len(samples), _BED_CODES))
                if wanted.any():
                    yield decode_bed(rows[wanted], len(samples), _BED_CODES)

    return samples, blocks()


def read_genotype_files(paths: Sequence[Path]) -> tuple[PackedGenotypes, SiteCounts]:
    """Read and pack the autosomal biallelic SNVs of ``paths`` (VCF/BCF files or one PLINK).

    Raises
    ------
    UsageError
        ``E_NO_FILE`` for a missing file; ``E_RELATE_SAMPLES`` when files hold different
        samples; ``E_RELATE_NO_SITES`` when no usable site is left; ``E_RELATE_SAMPLES`` for
        fewer than two samples.
    FormatError
        Any error of the file checks, naming the file and line.
    """
    if not paths:
        raise UsageError("give at least one genotype file", code="E_USAGE")
    counts = SiteCounts()
    samples: tuple[str, ...] | None = None
    with tempfile.TemporaryDirectory(prefix="hgr-relate-") as tmp:
        sources: list[Iterator[NDArray[np.int8]]] = []
        # Sizing the planes once (for a VCF, by its records: an upper bound) keeps peak
        # memory at one copy of them.
        capacity = 0
        for number, path in enumerate(paths):
            plink = find_plink(path)
            if plink is None and not path.is_file():
                raise UsageError(f"{path}: no such file", code="E_NO_FILE")
            if plink is not None:
                before = counts.kept
                names, blocks = _plink_blocks(plink, counts)
                capacity += counts.kept - before
            else:
                work = Path(tmp) / str(number)
                work.mkdir()
                checked, records = checked_vcf_copy(path, work)
                names, blocks = _vcf_blocks(path, checked, counts)
                capacity += records
            if samples is not None and names != samples:
                raise UsageError(
                    f"{path}: its samples differ from those of {paths[0]}: every file must "
                    "hold the same samples in the same order (bcftools merge or concat first)",
                    code="E_RELATE_SAMPLES",
                )
            samples = names
            if counts.x is None:
                counts.x = XCounts(len(names))
            sources.append(blocks)
        if samples is None or len(samples) < 2:
            raise UsageError(
                f"{paths[0]}: relatedness needs at least two samples", code="E_RELATE_SAMPLES"
            )

        packed = pack_dosages(samples, itertools.chain(*sources), expected_sites=capacity)
    if packed.n_sites == 0:
        reasons = ", ".join(f"{n} {why}" for why, n in counts.skipped.most_common())
        raise UsageError(
            f"{paths[0]}: no autosomal biallelic SNV to compare ({reasons or 'no sites'})",
            code="E_RELATE_NO_SITES",
        )
    return packed, counts


def store_dosages(calls: NDArray[np.int8]) -> NDArray[np.int8]:
    """Alt-allele counts of VCF Zarr calls (sites, samples, ploidy).

    A call with a missing or absent allele (negative), or a store that is not diploid, gives
    ``MISSING``.
    """
    dosage: NDArray[np.int8] = (calls > 0).sum(axis=2, dtype=np.int8)
    if calls.shape[2] != 2:
        dosage[:] = MISSING
    dosage[(calls < 0).any(axis=2)] = MISSING
    return dosage


SiteKey = tuple[str, int, str, str]  # canonical contig, position, REF, ALT


def store_sites(group: object, counts: SiteCounts | None = None) -> dict[SiteKey, int]:
    """The store's autosomal biallelic SNVs: site key → variant index, in store order."""
    contig_names = [str(c) for c in group["contig_id"][:]]  # type: ignore[index]
    contigs = group["variant_contig"][:]  # type: ignore[index]
    positions = group["variant_position"][:]  # type: ignore[index]
    alleles = group["variant_allele"][:]  # type: ignore[index]
    sites: dict[SiteKey, int] = {}
    for k in range(contigs.size):
        contig = contig_names[int(contigs[k])]
        present = [str(a).upper() for a in alleles[k] if str(a)]
        reason = _site_reason(contig, present[0] if present else "", present[1:])
        if counts is not None:
            counts.read += 1
            if reason is not None:
                counts.skip(reason)
        if reason is None:
            alt = present[1] if len(present) > 1 else "."
            sites[(str(canonical_contig(contig)), int(positions[k]), present[0], alt)] = k
    return sites


def read_store_genotypes(
    group: object,
    samples: Sequence[str],
    columns: Sequence[int],
    sites: Sequence[SiteKey] | None = None,
) -> tuple[PackedGenotypes, SiteCounts]:
    """Pack a VCF Zarr store's autosomal biallelic SNVs for the store ``columns``.

    ``samples`` names the columns (registry sample codes, say). With ``sites``, exactly those
    sites are packed, in that order (to line several stores up); each must be in the store.
    A call with a missing allele or of other than two alleles counts as missing.
    """
    counts = SiteCounts()
    index_of = store_sites(group, counts)
    order = np.array(
        list(index_of.values()) if sites is None else [index_of[key] for key in sites],
        dtype=np.int64,
    )
    counts.kept = int(order.size)
    genotypes = group["call_genotype"]  # type: ignore[index]
    index = np.asarray(columns, dtype=np.int64)
    step = int(genotypes.chunks[0])

    def blocks() -> Iterator[NDArray[np.int8]]:
        for start in range(0, order.size, step):
            wanted = order[start : start + step]
            ascending = np.argsort(wanted)
            calls = np.asarray(genotypes.oindex[wanted[ascending], :])[:, index]
            yield store_dosages(calls[np.argsort(ascending)])  # in the order asked for

    return pack_dosages(samples, blocks(), expected_sites=counts.kept), counts
