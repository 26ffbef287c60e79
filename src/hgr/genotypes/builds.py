"""Human reference genome builds, and telling which one a genotype file is on.

A file's build is read from its contigs: their names (``1`` or ``chr1``; ``MT`` or ``chrM``)
and, where the header declares them, their lengths, which differ between NCBI36 (hg18), GRCh37
(hg19) and GRCh38 (hg38) for every primary chromosome. A file without declared lengths is
placed by the positions it holds: a position beyond a chromosome's end rules that build out.
Lengths are those of the assemblies' primary chromosomes (NCBI GenBank assembly reports
GCA_000001405.1, .14 and .15; UCSC chromInfo for hg18).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hgr.exceptions import FormatError

__all__ = ["BuildEvidence", "GenomeBuild", "canonical_contig", "detect_build"]


class GenomeBuild(StrEnum):
    NCBI36 = "NCBI36"
    GRCH37 = "GRCh37"
    GRCH38 = "GRCh38"


_CHROMOSOMES = [str(n) for n in range(1, 23)] + ["X", "Y"]

# Primary chromosome lengths, 1..22, X, Y.
_LENGTHS: dict[GenomeBuild, list[int]] = {
    GenomeBuild.NCBI36: [
        247249719,
        242951149,
        199501827,
        191273063,
        180857866,
        170899992,
        158821424,
        146274826,
        140273252,
        135374737,
        134452384,
        132349534,
        114142980,
        106368585,
        100338915,
        88827254,
        78774742,
        76117153,
        63811651,
        62435964,
        46944323,
        49691432,
        154913754,
        57772954,
    ],
    GenomeBuild.GRCH37: [
        249250621,
        243199373,
        198022430,
        191154276,
        180915260,
        171115067,
        159138663,
        146364022,
        141213431,
        135534747,
        135006516,
        133851895,
        115169878,
        107349540,
        102531392,
        90354753,
        81195210,
        78077248,
        59128983,
        63025520,
        48129895,
        51304566,
        155270560,
        59373566,
    ],
    GenomeBuild.GRCH38: [
        248956422,
        242193529,
        198295559,
        190214555,
        181538259,
        170805979,
        159345973,
        145138636,
        138394717,
        133797422,
        135086622,
        133275309,
        114364328,
        107043718,
        101991189,
        90338345,
        83257441,
        80373285,
        58617616,
        64444167,
        46709983,
        50818468,
        156040895,
        57227415,
    ],
}

CHROMOSOME_LENGTHS: dict[GenomeBuild, dict[str, int]] = {
    build: dict(zip(_CHROMOSOMES, lengths, strict=True)) for build, lengths in _LENGTHS.items()
}
MITOCHONDRION = "MT"
AUTOSOMES = frozenset(str(n) for n in range(1, 23))
SEX_CHROMOSOMES = frozenset({"X", "Y"})

# Contigs that are not primary chromosomes but are part of every build's analysis set
# (unplaced scaffolds, decoys, alts, EBV): they carry no evidence of the build.
_SECONDARY = re.compile(
    r"^(chr)?(Un|GL\d|KI\d|JH\d|NC_\d|hs37d5|EBV|HLA-|.*_random$|.*_alt$|.*_decoy$|.*_fix$)",
    re.IGNORECASE,
)


def canonical_contig(name: str) -> str | None:
    """The build-independent name of a primary chromosome (``chr1`` → ``1``, ``chrM`` → ``MT``).

    Returns None for any other contig (scaffolds, decoys, alternate haplotypes).
    """
    bare = name[3:] if name[:3].lower() == "chr" else name
    if bare in AUTOSOMES:
        return bare
    if bare.upper() in {"X", "Y"}:
        return bare.upper()
    if bare.upper() in {"M", "MT"}:
        return MITOCHONDRION
    if bare in {"23", "24", "25", "26"}:  # PLINK numbers X, Y, XY (PAR) and MT
        return {"23": "X", "24": "Y", "25": "X", "26": MITOCHONDRION}[bare]
    return None


@dataclass(frozen=True)
class BuildEvidence:
    """Which build a file is on and why: the contigs that decided it."""

    build: GenomeBuild
    by: str  # "lengths", "positions" or "stated"
    chromosomes: tuple[str, ...]


def detect_build(
    contig_lengths: Mapping[str, int | None],
    max_positions: Mapping[str, int],
    *,
    source: str,
    assume: GenomeBuild | None = None,
) -> BuildEvidence:
    """The genome build of a file, from its contigs' declared lengths or its positions.

    Parameters
    ----------
    contig_lengths
        Contigs the header declares, with their lengths where given.
    max_positions
        The largest position seen on each contig that holds records.
    source
        The file, for error messages.
    assume
        The build the caller says the file is on; it settles a file that fits several builds,
        and is refused when the file contradicts it.

    Raises
    ------
    FormatError
        ``E_BUILD_UNKNOWN`` when a contig with records is no chromosome of any build, or the
        declared lengths match no build; ``E_BUILD_AMBIGUOUS`` when the file holds too little
        to decide.
    """
    used = [name for name in max_positions if not _SECONDARY.match(name)]
    strange = [name for name in used if canonical_contig(name) is None]
    if strange:
        raise FormatError(
            f"{source}: contig {strange[0]!r} is not a chromosome of GRCh38, GRCh37 or NCBI36 "
            "(expected 1-22, X, Y, MT, with or without 'chr'): rename the contigs to the "
            "reference's names, or remove records on other contigs",
            code="E_BUILD_UNKNOWN",
        )
    declared = {
        canonical: length
        for name, length in contig_lengths.items()
        if length is not None
        and (canonical := canonical_contig(name)) is not None
        and canonical != MITOCHONDRION
    }
    if declared:
        matches = [
            build
            for build, lengths in CHROMOSOME_LENGTHS.items()
            if all(lengths[name] == length for name, length in declared.items())
        ]
        if len(matches) == 1:
            _check_assumed(assume, matches[0], source)
            return BuildEvidence(matches[0], "lengths", tuple(sorted(declared)))
        if not matches:
            name, length = next(iter(declared.items()))
            raise FormatError(
                f"{source}: the header's contig lengths match no known build (chromosome "
                f"{name} is {length:,} bp; GRCh38, GRCh37 and NCBI36 give "
                + ", ".join(f"{CHROMOSOME_LENGTHS[b][name]:,}" for b in GenomeBuild)
                + "): the file is on another reference; lift it over to GRCh38 or GRCh37",
                code="E_BUILD_UNKNOWN",
            )
    positions = {
        canonical: position
        for name, position in max_positions.items()
        if (canonical := canonical_contig(name)) is not None and canonical != MITOCHONDRION
    }
    possible = [
        build
        for build, lengths in CHROMOSOME_LENGTHS.items()
        if all(position <= lengths[name] for name, position in positions.items())
    ]
    if not possible:
        name, position = max(positions.items(), key=lambda item: item[1])
        raise FormatError(
            f"{source}: position {position:,} on chromosome {name} lies beyond its end in "
            "every known build: the file is on another reference, or its positions are wrong",
            code="E_BUILD_UNKNOWN",
        )
    if assume is not None:
        _check_assumed(assume, assume if assume in possible else possible[0], source)
        return BuildEvidence(assume, "stated", tuple(sorted(positions)))
    if len(possible) == 1:
        return BuildEvidence(possible[0], "positions", tuple(sorted(positions)))
    raise FormatError(
        f"{source}: cannot tell the genome build: the header declares no contig lengths and "
        f"the positions fit {', '.join(possible)}; add ##contig lines with lengths "
        "(bcftools reheader --fai REF.fai), or name the build with --build",
        code="E_BUILD_AMBIGUOUS",
    )


def _check_assumed(assume: GenomeBuild | None, found: GenomeBuild, source: str) -> None:
    if assume is not None and assume != found:
        raise FormatError(
            f"{source}: the file is on {found}, not on {assume} as stated: drop --build, or "
            "lift the file over",
            code="E_BUILD_MISMATCH",
        )
