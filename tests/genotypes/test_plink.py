"""PLINK 1 filesets (.bed/.bim/.fam) into the store, and their bad input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import HgrError
from hgr.genotypes.builds import GenomeBuild
from hgr.genotypes.ingest import ingest
from hgr.genotypes.store import open_store
from hgr.genotypes.verify import verify_store
from tests.conftest import table_counts
from tests.genotypes.conftest import INSTITUTION, register
from tests.genotypes.vcfs import SAMPLES, good_vcf

# Genotypes as alternate-allele counts (allele 1 is the alternate, as PLINK writes it);
# None is missing. PLINK's 2-bit codes: 00 hom allele 1, 01 missing, 10 het, 11 hom allele 2.
CODES = {2: 0b00, None: 0b01, 1: 0b10, 0: 0b11}
VARIANTS = [
    ("1", 100, "G", "A", [1, 2, 0]),
    ("1", 200, "T", "C", [0, None, 1]),
    ("2", 50, "A", "G", [2, 1, 0]),
]


def write_plink(
    prefix: Path,
    samples: Sequence[str] = SAMPLES,
    variants: Sequence[tuple[str, int, str, str, list[int | None]]] = VARIANTS,
) -> Path:
    prefix.with_suffix(".fam").write_text(
        "".join(f"F{i}\t{s}\t0\t0\t0\t-9\n" for i, s in enumerate(samples))
    )
    prefix.with_suffix(".bim").write_text(
        "".join(f"{c}\trs{p}\t0\t{p}\t{a1}\t{a2}\n" for c, p, a1, a2, _g in variants)
    )
    data = bytearray(b"\x6c\x1b\x01")
    for *_site, calls in variants:
        for start in range(0, len(calls), 4):
            byte = 0
            for k, call in enumerate(calls[start : start + 4]):
                byte |= CODES[call] << (2 * k)
            data.append(byte)
    prefix.with_suffix(".bed").write_bytes(bytes(data))
    return prefix


def _ingest(db: Database, home: Path, keys: NodeKeys, *paths: Path):  # type: ignore[no-untyped-def]
    return ingest(
        db,
        home,
        keys,
        list(paths),
        institution=INSTITUTION,
        collection="COL-GT",
        build=GenomeBuild.GRCH37,
    )


def test_a_fileset_round_trips(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    prefix = write_plink(tmp_path / "cohort")
    result = _ingest(db, tmp_path, keys, prefix.with_suffix(".bed"))
    assert (result.samples, result.variants) == (3, 3)
    assert result.sources == ("cohort.bed", "cohort.bim", "cohort.fam")
    group = open_store(tmp_path / result.location)
    assert group["call_genotype"][:].tolist() == [
        [[0, 1], [1, 1], [0, 0]],
        [[0, 0], [-1, -1], [0, 1]],
        [[1, 1], [0, 1], [0, 0]],
    ]
    assert [str(a) for a in group["variant_allele"][0]] == ["A", "G"]  # REF is allele 2
    report = verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT")
    assert report.ok, report.problems
    assert (report.variants, report.calls) == (3, 9)


def _truncated(prefix: Path) -> None:
    bed = prefix.with_suffix(".bed")
    bed.write_bytes(bed.read_bytes()[:-1])


def _duplicate(prefix: Path) -> None:
    write_plink(prefix, samples=["S1", "S2", "S1"])


def _unsorted(prefix: Path) -> None:
    write_plink(prefix, variants=[VARIANTS[1], VARIANTS[0], VARIANTS[2]])


def _short_line(prefix: Path) -> None:
    bim = prefix.with_suffix(".bim")
    bim.write_text(bim.read_text().replace("rs200\t0\t", ""))


def _array_coded(prefix: Path) -> None:
    """Illumina's A/B coding: genotypes a kinship can count, alleles no Beacon can answer for."""
    write_plink(prefix, variants=[VARIANTS[0], ("1", 200, "B", "A", [0, None, 1]), VARIANTS[2]])


BAD = {
    "truncated bed": (_truncated, "E_PLINK_BED", ".bed: 5 bytes where 3 variants"),
    "duplicate individual": (_duplicate, "E_VCF_DUPLICATE_SAMPLE", ".fam:3: sample id 'S1'"),
    "unsorted bim": (_unsorted, "E_VCF_UNSORTED", ".bim:2: position 100 comes after 200"),
    "short bim line": (_short_line, "E_PLINK_MALFORMED", ".bim:2: expected 6 columns"),
    "A/B alleles": (_array_coded, "E_PLINK_ALLELES", ".bim:2: allele 'B' is not a base"),
    "missing fam": (lambda p: p.with_suffix(".fam").unlink(), "E_PLINK_FILESET", ".fam: no such"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_filesets_are_named_and_write_nothing(
    db: Database, keys: NodeKeys, tmp_path: Path, case: str
) -> None:
    spoil, code, where = BAD[case]
    register(db, keys, tmp_path / "t", SAMPLES)
    prefix = write_plink(tmp_path / "cohort")
    spoil(prefix)
    before = table_counts(db)
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, prefix)
    assert caught.value.code == code, caught.value.message
    assert f"{prefix}{where}" in caught.value.message  # the user's file, not a working copy
    assert table_counts(db) == before
    assert not list((tmp_path / "genotypes").glob("*/*.vcz"))


def test_plink_does_not_mix(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    prefix = write_plink(tmp_path / "cohort")
    vcf = good_vcf(tmp_path / "a.vcf.gz")
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, prefix, vcf)
    assert caught.value.code == "E_PLINK_ALONE"
    _ingest(db, tmp_path, keys, vcf)
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, prefix)
    assert caught.value.code == "E_BATCH_FORMAT"
