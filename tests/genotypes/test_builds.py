"""Genome build detection from contig lengths and positions."""

from __future__ import annotations

import pytest

from hgr.exceptions import FormatError
from hgr.genotypes.builds import (
    CHROMOSOME_LENGTHS,
    GenomeBuild,
    canonical_contig,
    detect_build,
)


@pytest.mark.parametrize("build", list(GenomeBuild))
@pytest.mark.parametrize("prefix", ["", "chr"])
def test_lengths_name_the_build(build: GenomeBuild, prefix: str) -> None:
    lengths = {prefix + name: length for name, length in CHROMOSOME_LENGTHS[build].items()}
    evidence = detect_build(lengths, {f"{prefix}1": 1_000_000}, source="f.vcf")
    assert evidence.build == build
    assert evidence.by == "lengths"


def test_each_chromosome_alone_tells_the_builds_apart() -> None:
    for name in CHROMOSOME_LENGTHS[GenomeBuild.GRCH38]:
        lengths = {b: CHROMOSOME_LENGTHS[b][name] for b in GenomeBuild}
        assert len(set(lengths.values())) == 3, name


def test_scaffolds_and_decoys_carry_no_evidence() -> None:
    lengths = {"1": 249250621, "GL000191.1": 106433, "hs37d5": 35477943, "chrUn_KI270302v1": 2274}
    positions = {"1": 10_000, "GL000191.1": 5, "hs37d5": 100}
    assert detect_build(lengths, positions, source="f").build == GenomeBuild.GRCH37


def test_positions_decide_when_lengths_are_missing() -> None:
    # chr17 is 81.2 Mb in GRCh37, 83.3 Mb in GRCh38, 78.8 Mb in NCBI36.
    evidence = detect_build({"17": None}, {"17": 82_000_000}, source="f")
    assert (evidence.build, evidence.by) == (GenomeBuild.GRCH38, "positions")


def test_too_little_evidence_is_ambiguous_unless_stated() -> None:
    with pytest.raises(FormatError) as caught:
        detect_build({}, {"1": 1_000}, source="f.vcf")
    assert caught.value.code == "E_BUILD_AMBIGUOUS"
    assert "f.vcf" in caught.value.message
    assert "--build" in caught.value.message
    stated = detect_build({}, {"1": 1_000}, source="f", assume=GenomeBuild.GRCH38)
    assert (stated.build, stated.by) == (GenomeBuild.GRCH38, "stated")


def test_a_stated_build_the_file_contradicts_is_refused() -> None:
    grch37 = {"1": CHROMOSOME_LENGTHS[GenomeBuild.GRCH37]["1"]}
    with pytest.raises(FormatError) as caught:
        detect_build(grch37, {"1": 5}, source="f", assume=GenomeBuild.GRCH38)
    assert caught.value.code == "E_BUILD_MISMATCH"
    with pytest.raises(FormatError) as caught:
        detect_build({}, {"17": 82_000_000}, source="f", assume=GenomeBuild.GRCH37)
    assert caught.value.code == "E_BUILD_MISMATCH"


@pytest.mark.parametrize(
    ("lengths", "positions"),
    [
        ({"1": 123}, {"1": 5}),  # declared length of no build
        ({}, {"chr1_weird": 5}),  # a contig that is no chromosome
        ({}, {"1": 300_000_000}),  # beyond chromosome 1 in every build
    ],
)
def test_contigs_of_no_build_are_refused(
    lengths: dict[str, int | None], positions: dict[str, int]
) -> None:
    with pytest.raises(FormatError) as caught:
        detect_build(lengths, positions, source="x.vcf")
    assert caught.value.code == "E_BUILD_UNKNOWN"
    assert caught.value.message.startswith("x.vcf: ")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("chr1", "1"),
        ("22", "22"),
        ("chrX", "X"),
        ("x", "X"),
        ("chrM", "MT"),
        ("MT", "MT"),
        ("23", "X"),
        ("26", "MT"),
        ("GL000191.1", None),
        ("chr1_KI270706v1_random", None),
    ],
)
def test_canonical_contig_names(name: str, canonical: str | None) -> None:
    assert canonical_contig(name) == canonical
