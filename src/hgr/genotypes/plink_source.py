"""PLINK 1 binary filesets (.bed/.bim/.fam): finding the three files and checking them.

Formats: https://www.cog-genomics.org/plink/1.9/formats. The .fam holds one sample per line
(family id, individual id, father, mother, sex, phenotype); the .bim one variant per line
(chromosome, id, centimorgans, position, allele 1, allele 2); the .bed starts with the magic
bytes 6c 1b 01 (variant-major) and holds ceil(samples / 4) bytes per variant. Individual ids
are the sample ids. Every error names the file and line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hgr.exceptions import FormatError
from hgr.genotypes.vcf_scan import VcfLayout, at_line

__all__ = ["PLINK_SUFFIXES", "PlinkFiles", "find_plink", "require_bases", "scan_plink"]

PLINK_SUFFIXES = (".bed", ".bim", ".fam")
BED_MAGIC = b"\x6c\x1b\x01"


@dataclass(frozen=True)
class PlinkFiles:
    """The three files of one fileset."""

    bed: Path
    bim: Path
    fam: Path

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return (self.bed, self.bim, self.fam)


def find_plink(path: Path) -> PlinkFiles | None:
    """The fileset ``path`` names (a prefix, or any of its three files), or None for a VCF."""
    if path.suffix in PLINK_SUFFIXES:
        prefix = path.with_suffix("")
    elif path.with_name(path.name + ".bed").exists():
        prefix = path
    else:
        return None
    files = PlinkFiles(*(prefix.with_name(prefix.name + s) for s in PLINK_SUFFIXES))
    missing = [str(p) for p in files.paths if not p.is_file()]
    if missing:
        raise FormatError(
            f"{missing[0]}: no such file: a PLINK fileset needs .bed, .bim and .fam with one "
            "prefix",
            code="E_PLINK_FILESET",
        )
    return files


def _fields(path: Path, shown: Path) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{shown}: not a text file ({exc})", code="E_PLINK_MALFORMED") from exc
    return [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1)]


def scan_plink(files: PlinkFiles, shown: PlinkFiles) -> VcfLayout:
    """Check the .fam and .bim line by line and the .bed's size; return the layout.

    ``files`` are read; errors name ``shown`` (the files as the user gave them, when
    ``files`` are copies of them).

    Raises
    ------
    FormatError
        ``E_PLINK_MALFORMED`` (a line without 6 columns, a position that is not a number),
        ``E_VCF_DUPLICATE_SAMPLE``, ``E_VCF_UNSORTED``, ``E_PLINK_BED`` (not variant-major,
        or a size that does not fit the .bim and .fam: a truncated or mismatched .bed).
    """
    layout = VcfLayout(str(shown.bed.with_suffix("")))
    samples = []
    for number, parts in _fields(files.fam, shown.fam):
        if len(parts) != 6:
            raise FormatError(
                f"{at_line(str(shown.fam), number)}: expected 6 columns (family, individual, "
                f"father, mother, sex, phenotype), found {len(parts)}",
                code="E_PLINK_MALFORMED",
            )
        samples.append(parts[1])
    duplicated = sorted(name for name, count in Counter(samples).items() if count > 1)
    if duplicated:
        line = samples.index(duplicated[0], samples.index(duplicated[0]) + 1) + 1
        raise FormatError(
            f"{at_line(str(shown.fam), line)}: sample id {duplicated[0]!r} appears more than "
            "once: every line must be a different individual",
            code="E_VCF_DUPLICATE_SAMPLE",
        )
    if not samples:
        raise FormatError(f"{shown.fam}: the file lists no samples", code="E_VCF_NO_SAMPLES")
    layout.samples = tuple(samples)
    finished: set[str] = set()
    chrom, position = "", 0
    for number, parts in _fields(files.bim, shown.bim):
        here = at_line(str(shown.bim), number)
        if len(parts) != 6 or not parts[3].isdigit():
            raise FormatError(
                f"{here}: expected 6 columns (chromosome, id, cM, position, allele 1, allele "
                "2) with a whole-number position",
                code="E_PLINK_MALFORMED",
            )
        contig, at = parts[0], int(parts[3])
        if contig != chrom:
            if contig in finished:
                raise FormatError(
                    f"{here}: variants of chromosome {contig} resume after other chromosomes: "
                    "the fileset is not sorted (plink --make-bed sorts it)",
                    code="E_VCF_UNSORTED",
                )
            if chrom:
                finished.add(chrom)
            chrom, position = contig, 0
            layout.contigs.append(contig)
            if not layout.records:
                layout.first_position = at
        elif at < position:
            raise FormatError(
                f"{here}: position {at} comes after {position}: the fileset is not sorted",
                code="E_VCF_UNSORTED",
            )
        position = at
        layout.max_positions[chrom] = at
        layout.records += 1
    expected = len(BED_MAGIC) + layout.records * ((len(samples) + 3) // 4)
    with files.bed.open("rb") as handle:
        magic = handle.read(len(BED_MAGIC))
    size = files.bed.stat().st_size
    if magic != BED_MAGIC:
        raise FormatError(
            f"{shown.bed}: not a variant-major PLINK 1 .bed (its first bytes are "
            f"{magic.hex()}, not 6c1b01): rewrite it with plink --make-bed",
            code="E_PLINK_BED",
        )
    if size != expected:
        raise FormatError(
            f"{shown.bed}: {size} bytes where {layout.records} variants × {len(samples)} "
            f"samples need {expected}: the .bed is truncated or belongs to another .bim/.fam",
            code="E_PLINK_BED",
        )
    return layout


_BASES = re.compile(r"^[ACGTNacgtn]+$")
_NO_ALLELE = frozenset({"0", ".", "*", "-"})


def require_bases(files: PlinkFiles, shown: PlinkFiles) -> None:
    """Refuse a fileset whose alleles are not bases (A/B or 1/2 array coding, I/D indels).

    A store's alleles are compared by letter: by the Beacon, which answers for a base, and by
    the fingerprints that match samples across institutions. A/B means another allele at each
    site (Illumina's TOP/BOT strand rule), so it cannot be read as bases.

    Raises
    ------
    FormatError
        ``E_PLINK_ALLELES``, naming the first .bim line and its allele.
    """
    for number, parts in _fields(files.bim, shown.bim):
        for allele in parts[4:6]:
            if allele not in _NO_ALLELE and not _BASES.match(allele):
                raise FormatError(
                    f"{at_line(str(shown.bim), number)}: allele {allele!r} is not a base: the "
                    "store holds alleles as bases (A, C, G, T), which the Beacon and the "
                    "fingerprints compare across institutions; an array's A/B or 1/2 coding "
                    "must be recoded first",
                    code="E_PLINK_ALLELES",
                )
