"""Ingesting VCF/BCF files into a collection's VCF Zarr store: real data, batches, bad input."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pysam.bcftools
import pytest
import sqlalchemy as sa
import zarr

from hgr.audit.models import AuditEvent
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Conflict, FormatError, HgrError, IntegrityBroken, ValidationFailed
from hgr.genotypes.builds import GenomeBuild
from hgr.genotypes.ingest import ingest
from hgr.genotypes.models import GenotypeSample, GenotypeStore
from hgr.genotypes.qc_report import qc_report
from hgr.genotypes.store import CollectionDirectory, open_store
from hgr.genotypes.verify import verify_store
from hgr.registry import models as m
from tests.conftest import shared, table_counts
from tests.genotypes.conftest import INSTITUTION, register
from tests.genotypes.vcfs import GOOD, SAMPLES, good_vcf, header, record, write

KG = ("1kg_phase3_subset", "vcf")


def _ingest(db: Database, home: Path, keys: NodeKeys, *files: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return ingest(
        db, home, keys, list(files), institution=INSTITUTION, collection="COL-GT", **kwargs
    )  # type: ignore[arg-type]


def _samples_of(path: Path) -> list[str]:
    with gzip.open(path, "rt") as handle:
        for line in handle:
            if line.startswith("#CHROM"):
                return line.rstrip("\n").split("\t")[9:]
    raise AssertionError("no #CHROM line")


def _visible(home: Path) -> list[str]:
    """Store versions and sealed files on disk (what a failed ingestion must not leave)."""
    root = home / "genotypes"
    if not root.exists():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.glob("*/*")
        if p.suffix == ".vcz" or p.name.startswith(".staging")
    ) + sorted(p.relative_to(root).as_posix() for p in root.glob("*/raw/*"))


def test_real_1000_genomes_files_ingest_and_verify(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    files = [shared(*KG, f"1KG_phase3_subset_chr{c}.vcf.gz") for c in ("22", "21", "X")]
    samples = _samples_of(files[0])
    register(db, keys, tmp_path / "t", samples)
    result = _ingest(db, tmp_path, keys, *files)

    records = 0
    for f in files:
        with gzip.open(f, "rt") as handle:
            records += sum(1 for line in handle if not line.startswith("#"))
    assert (result.samples, result.variants, result.version) == (1126, records, 1)
    assert (result.build, result.build_evidence) == (GenomeBuild.GRCH37, "lengths")
    group = open_store(tmp_path / result.location)
    assert list(group["sample_id"][:]) == samples
    assert group.attrs["hgr"]["build"] == "GRCh37"
    # Males outside the PARs of chrX are written "0/." in this release: diploid, one allele
    # missing, which is kept as it is.
    x = list(group["contig_id"][:]).index("X")
    on_x = group["call_genotype"][np.flatnonzero(group["variant_contig"][:] == x)]
    assert ((on_x[:, :, 1] == -1) & (on_x[:, :, 0] >= 0)).any()

    report = verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT")
    assert report.ok, report.problems
    assert (report.variants, report.calls) == (records, records * 1126)

    with db.reader() as session:
        data_files = session.scalars(sa.select(m.DataFile)).all()
        assert sorted(f.sha256 for f in data_files) == sorted(
            hashlib.sha256(f.read_bytes()).hexdigest() for f in files
        )
        assert {f.encryption for f in data_files} == {"crypt4gh"}
        events = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "genotypes.ingest")
        ).all()
        assert len(events) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(GenotypeSample)) == 1126
    for data_file in data_files:  # sealed: the plaintext is nowhere in the stored file
        sealed = (tmp_path / data_file.location).read_bytes()
        assert sealed.startswith(b"crypt4gh")


def test_giab_trio_through_a_sample_map(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    vcf = shared("giab_trio", "ashk-trio.vcf.gz")
    register(db, keys, tmp_path / "t", ["AJ-son", "AJ-father", "AJ-mother"])
    mapping = tmp_path / "map.tsv"
    mapping.write_text(
        "# file id\tsample code\nHG002\tAJ-son\nHG003\tAJ-father\nHG004\tAJ-mother\n"
    )
    result = _ingest(db, tmp_path, keys, vcf, sample_map=mapping)
    assert result.samples == 3
    assert result.build == GenomeBuild.GRCH37
    with db.reader() as session:
        columns = session.execute(
            sa.select(GenotypeSample.file_sample_id, m.Sample.code)
            .join(m.Sample, m.Sample.id == GenotypeSample.sample_id)
            .order_by(GenotypeSample.position)
        ).all()
    assert [tuple(c) for c in columns] == [
        ("HG002", "AJ-son"),
        ("HG003", "AJ-father"),
        ("HG004", "AJ-mother"),
    ]
    assert verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT").ok


@pytest.mark.parametrize("compress", ["none", "gzip", "bgzf", "bcf"])
def test_every_container_gives_the_same_store(
    db: Database, keys: NodeKeys, tmp_path: Path, compress: str
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    if compress == "bcf":
        text = good_vcf(tmp_path / "in.vcf", compress="none")
        path = tmp_path / "in.bcf"
        pysam.bcftools.view("-Ob", "-o", str(path), str(text), catch_stdout=False)
    else:
        path = good_vcf(tmp_path / "in.vcf.gz", compress=compress)
    result = _ingest(db, tmp_path, keys, path)
    group = open_store(tmp_path / result.location)
    assert group["variant_position"][:].tolist() == [100, 200, 50, 3_000_000]
    assert group["call_genotype"][0].tolist() == [[0, 1], [1, 1], [0, 0]]
    assert group["call_genotype"][3].tolist() == [[0, 1], [1, -2], [0, -2]]  # haploid on X
    assert group["call_genotype_phased"][1].tolist() == [False, False, True]
    assert [str(a) for a in group["variant_allele"][2]] == ["G", "A", "T"]
    assert verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT").ok


def test_a_second_batch_adds_variants(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    first = write(tmp_path / "chr2.vcf.gz", [*header(), GOOD[2]])
    second = write(tmp_path / "chr1.vcf.gz", [*header(), GOOD[0], GOOD[1]])
    v1 = _ingest(db, tmp_path, keys, first)
    v2 = _ingest(db, tmp_path, keys, second)
    assert (v2.version, v2.variants, v2.added_variants) == (2, 3, 2)
    assert v2.sources == ("chr1.vcf.gz", "chr2.vcf.gz")
    assert not (tmp_path / v1.location).exists()  # the old version is gone, its rows stay
    assert verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT").ok
    with db.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(GenotypeStore)) == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(m.DataFile)) == 2


def test_a_batch_overlapping_the_store_is_refused(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"))
    before = table_counts(db)
    with pytest.raises(Conflict) as caught:
        _ingest(db, tmp_path, keys, write(tmp_path / "b.vcf.gz", [*header(), GOOD[1]]))
    assert caught.value.code == "E_SOURCES_OVERLAP"
    assert table_counts(db) == before


def test_a_batch_of_new_samples_at_the_same_sites(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    second = ["T1", "T2"]
    register(db, keys, tmp_path / "t", [*SAMPLES, *second])
    sites = [*header(), *GOOD]
    first = _ingest(db, tmp_path, keys, write(tmp_path / "a.vcf.gz", sites))
    batch = [
        *header(second),
        record("1", 100, ["1/1", "0/0"]),
        record("1", 200, ["0|1", "1|1"], ref="C", alt="T"),
        record("2", 50, ["0/2", "./."], ref="G", alt="A,T"),
        record("X", 3_000_000, ["1", "0/1"]),
    ]
    result = _ingest(db, tmp_path, keys, write(tmp_path / "b.vcf.gz", batch))
    assert (result.version, result.samples, result.variants) == (2, 5, 4)
    assert result.added_variants == 0
    assert not (tmp_path / first.location).exists()
    group = open_store(tmp_path / result.location)
    assert [str(s) for s in group["sample_id"][:]] == [*SAMPLES, *second]
    assert group["call_genotype"][0].tolist() == [[0, 1], [1, 1], [0, 0], [1, 1], [0, 0]]
    assert group["call_genotype"][2, 3:].tolist() == [[0, 2], [-1, -1]]
    assert group["call_genotype_phased"][1].tolist() == [False, False, True, True, True]
    assert group["variant_allele_total"][0] == 10  # allele counts over all five
    report = verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT")
    assert report.ok, report.problems
    assert report.calls == 4 * 5
    rows = qc_report(db, institution=INSTITUTION, collection="COL-GT").samples
    assert sorted(row["sample"] for row in rows) == sorted([*SAMPLES, *second])

    # New variants for a store of two sample batches are refused, as are other sites.
    before = table_counts(db)
    with pytest.raises(Conflict) as caught:
        _ingest(
            db,
            tmp_path,
            keys,
            write(
                tmp_path / "c.vcf.gz", [*header([*SAMPLES, *second]), record("2", 900, ["0/0"] * 5)]
            ),
        )
    assert caught.value.code == "E_BATCH_SAMPLES"
    register_more = ["U1"]
    register(db, keys, tmp_path / "u", register_more, collections=("COL-U",))
    with pytest.raises(Conflict) as caught:
        _ingest(
            db,
            tmp_path,
            keys,
            write(tmp_path / "d.vcf.gz", [*header(register_more), record("1", 100, ["0/1"])]),
        )
    assert caught.value.code == "E_BATCH_SITES"
    assert table_counts(db)["genotype_store"] == before["genotype_store"]


def test_a_batch_sharing_some_samples_is_refused(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", [*SAMPLES, "S4"])
    _ingest(db, tmp_path, keys, write(tmp_path / "a.vcf.gz", [*header(), GOOD[0]]))
    before, on_disk = table_counts(db), _visible(tmp_path)
    other = ["S1", "S2", "S4"]
    with pytest.raises(Conflict) as caught:
        _ingest(db, tmp_path, keys, write(tmp_path / "b.vcf.gz", [*header(other), GOOD[2]]))
    assert caught.value.code == "E_BATCH_SAMPLES"
    assert (table_counts(db), _visible(tmp_path)) == (before, on_disk)


def test_builds_never_mix_in_a_collection(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    _ingest(db, tmp_path, keys, write(tmp_path / "a.vcf.gz", [*header(), GOOD[0]]))
    before = table_counts(db)
    grch38 = write(tmp_path / "b.vcf.gz", [*header(build=GenomeBuild.GRCH38), GOOD[2]])
    with pytest.raises(Conflict) as caught:
        _ingest(db, tmp_path, keys, grch38)
    assert caught.value.code == "E_BUILD_MIXED"
    assert "GRCh38" in caught.value.message
    assert "GRCh37" in caught.value.message
    assert table_counts(db) == before
    c37 = write(tmp_path / "c.vcf.gz", [*header(), GOOD[2]])
    with pytest.raises(Conflict) as caught:
        _ingest(db, tmp_path, keys, c37, grch38)
    assert caught.value.code == "E_BUILD_MIXED"


def _truncated_mid_block(path: Path) -> Path:
    data = good_vcf(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _without_eof_block(path: Path) -> Path:
    data = good_vcf(path).read_bytes()
    path.write_bytes(data[:-28])
    return path


BAD = {
    # name: (writer, code, where the message must point)
    "truncated gzip": (_truncated_mid_block, "E_TRUNCATED", "truncated"),
    "no BGZF EOF block": (_without_eof_block, "E_TRUNCATED", "end-of-file block"),
    "malformed line": (
        lambda p: write(p, [*header(), GOOD[0], "1\t150\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1"]),
        "E_VCF_MALFORMED",
        ":8: the record has 11 columns",
    ),
    "array's A/B alleles": (
        lambda p: write(p, [*header(), record("1", 100, ["0/1", "1/1", "0/0"], alt="B")]),
        "E_VCF_MALFORMED",
        ":7: ALT 'B' is not a list of alleles",
    ),
    "alleles 1/2": (
        lambda p: write(p, [*header(), record("1", 100, ["0/1", "1/1", "0/0"], alt="A,2")]),
        "E_VCF_MALFORMED",
        ":7: ALT 'A,2'",
    ),
    "position not a number": (
        lambda p: write(p, [*header(), record("1", "1e5", ["0/0"] * 3)]),
        "E_VCF_MALFORMED",
        ":7: POS '1e5'",
    ),
    "triploid call": (
        lambda p: write(p, [*header(), GOOD[0], record("1", 150, ["0/1/1", "0/0", "0/0"])]),
        "E_VCF_PLOIDY",
        ":8: wrong ploidy: a call has more than two alleles",
    ),
    "haploid call on an autosome": (
        lambda p: write(p, [*header(), GOOD[0], record("1", 150, ["0/1", "1", "0/0"])]),
        "E_VCF_PLOIDY",
        ":8: wrong ploidy: a call has one allele",
    ),
    "unsorted positions": (
        lambda p: write(p, [*header(), GOOD[1], GOOD[0]]),
        "E_VCF_UNSORTED",
        ":8: position 100 on 1 comes after position 200",
    ),
    "contig resumes": (
        lambda p: write(p, [*header(), GOOD[0], GOOD[2], GOOD[1]]),
        "E_VCF_UNSORTED",
        ":9: records of contig 1 resume",
    ),
    "duplicate sample ids": (
        lambda p: write(p, [*header(["S1", "S2", "S1"]), GOOD[0]]),
        "E_VCF_DUPLICATE_SAMPLE",
        ":6: sample id 'S1' appears more than once",
    ),
    "sample unknown to the registry": (
        lambda p: write(p, [*header(["S1", "S2", "NOPE"]), GOOD[0]]),
        "E_UNKNOWN_SAMPLE",
        "'NOPE'",
    ),
    "contig of no build": (
        lambda p: write(
            p,
            [*header(contigs=["1", "scaffold9"], build=None), record("scaffold9", 5, ["0/0"] * 3)],
        ),
        "E_BUILD_UNKNOWN",
        "contig 'scaffold9'",
    ),
    "lengths of no build": (
        lambda p: write(p, [h.replace("249250621", "249250000") for h in header()] + GOOD[:1]),
        "E_BUILD_UNKNOWN",
        "match no known build",
    ),
    "no GT": (
        lambda p: write(p, [*header(), GOOD[0].replace("\tGT\t", "\tDP\t")]),
        "E_VCF_NO_GT",
        ":7: FORMAT does not begin with GT",
    ),
    "windows line endings": (
        lambda p: write(p, [line + "\r" for line in [*header(), *GOOD]]),
        "E_VCF_LINE_ENDING",
        ":1:",
    ),
    "not a vcf": (
        lambda p: write(p, ["sample_id,donor_id", "a,b"], compress="none"),
        "E_VCF_HEADER",
        ":1: a VCF must begin",
    ),
    "header only": (lambda p: write(p, header()), "E_VCF_EMPTY", "no records"),
    "empty file": (lambda p: (p.write_bytes(b""), p)[1], "E_VCF_HEADER", "empty"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_named_and_writes_nothing(
    db: Database, keys: NodeKeys, tmp_path: Path, case: str
) -> None:
    writer, code, where = BAD[case]
    register(db, keys, tmp_path / "t", SAMPLES)
    path = writer(tmp_path / "bad.vcf.gz")
    before = table_counts(db)
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, path)
    assert caught.value.code == code, caught.value.message
    assert str(path) in caught.value.message
    assert where in caught.value.message
    assert table_counts(db) == before
    assert _visible(tmp_path) == []


def test_a_bcf_of_array_alleles_is_refused(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    """A BCF was checked by htslib alone, which takes any letters for an allele: an A/B-coded
    one went into the store, for the Beacon to answer B for a base."""
    register(db, keys, tmp_path / "t", SAMPLES)
    text = write(
        tmp_path / "ab.vcf",
        [*header(), record("1", 100, ["0/1", "1/1", "0/0"], alt="B")],
        compress="none",
    )
    path = tmp_path / "ab.bcf"
    pysam.bcftools.view("-Ob", "-o", str(path), str(text), catch_stdout=False)
    before = table_counts(db)
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, path)
    assert caught.value.code == "E_VCF_MALFORMED"
    assert "record 1 (1:100): ALT 'B' is not a list of alleles" in caught.value.message
    assert table_counts(db) == before


def test_an_unmapped_sample_is_refused(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    mapping = tmp_path / "map.tsv"
    mapping.write_text("S1\tS1\nS2\tS2\n")
    with pytest.raises(ValidationFailed) as caught:
        _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"), sample_map=mapping)
    assert caught.value.code == "E_UNMAPPED_SAMPLE"
    assert "'S3'" in caught.value.message
    mapping.write_text("S1\tS1\nS2\tS2\nS3\tS1\n")
    with pytest.raises(ValidationFailed) as caught:
        _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"), sample_map=mapping)
    assert caught.value.code == "E_DUPLICATE_SAMPLE"
    mapping.write_text("S1 S1\n")
    with pytest.raises(FormatError) as caught:
        _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"), sample_map=mapping)
    assert caught.value.code == "E_SAMPLE_MAP"
    assert f"{mapping}:1:" in caught.value.message


def test_leftovers_of_an_interrupted_ingestion_are_swept(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    first = _ingest(db, tmp_path, keys, write(tmp_path / "a.vcf.gz", [*header(), GOOD[0]]))
    collection = tmp_path / first.location.rsplit("/", 1)[0]
    (collection / "v0002-deadbeef.vcz").mkdir()  # renamed into place, never committed
    (collection / ".staging-0123").mkdir()
    (collection / "raw" / "orphan.c4gh").write_bytes(b"x")
    second = _ingest(db, tmp_path, keys, write(tmp_path / "b.vcf.gz", [*header(), GOOD[2]]))
    assert sorted(s.rsplit("/", 1)[1] for s in second.swept) == [
        ".staging-0123",
        "orphan.c4gh",
        "v0002-deadbeef.vcz",
    ]
    assert second.version == 2
    assert verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT").ok


def test_verify_finds_an_edited_genotype_and_a_damaged_raw_file(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    result = _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"))
    calls = zarr.open_array(str(tmp_path / result.location / "call_genotype"), mode="r+")
    edited = calls[:]
    edited[1, 2] = [1, 1]
    calls[:] = edited
    report = verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT")
    assert not report.ok
    assert report.differences == 1
    assert report.problems[0].startswith("a.vcf.gz:8: 1 call(s) differ")

    with db.reader() as session:
        location = session.scalar(sa.select(m.DataFile.location))
    sealed = tmp_path / str(location)
    data = sealed.read_bytes()
    sealed.write_bytes(data[:-10])
    with pytest.raises(IntegrityBroken):
        verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT")


def test_a_store_of_another_format_version_is_refused(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    result = _ingest(db, tmp_path, keys, good_vcf(tmp_path / "a.vcf.gz"))
    path = tmp_path / result.location
    group = zarr.open_group(str(path), mode="r+")
    group.attrs["vcf_zarr_version"] = "9.9"
    with pytest.raises(FormatError) as caught:
        open_store(path)
    assert caught.value.code == "E_STORE_VERSION"
    assert "9.9" in caught.value.message
    group.attrs["vcf_zarr_version"] = "0.5"
    group.attrs["hgr"] = {"store_format": 99}
    with pytest.raises(FormatError) as caught:
        open_store(path)
    assert caught.value.code == "E_STORE_VERSION"
    shutil.rmtree(path)
    with pytest.raises(IntegrityBroken):
        open_store(path)


def test_the_collection_must_exist(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    with pytest.raises(HgrError) as caught:
        ingest(
            db,
            tmp_path,
            keys,
            [good_vcf(tmp_path / "a.vcf.gz")],
            institution=INSTITUTION,
            collection="NOPE",
        )
    assert caught.value.code == "E_NO_COLLECTION"
    assert not (tmp_path / "genotypes").exists()  # nothing was created for it


def test_one_ingestion_at_a_time_and_missing_files(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", SAMPLES)
    vcf = good_vcf(tmp_path / "a.vcf.gz")
    with pytest.raises(HgrError) as caught:
        _ingest(db, tmp_path, keys, tmp_path / "absent.vcf.gz")
    assert caught.value.code == "E_NO_FILE"
    with db.reader() as session:
        collection_id = session.scalar(sa.select(m.Collection.id))
    with CollectionDirectory(tmp_path, collection_id).locked():
        with pytest.raises(Conflict) as caught:
            _ingest(db, tmp_path, keys, vcf)
        assert caught.value.code == "E_INGEST_RUNNING"
    assert _ingest(db, tmp_path, keys, vcf).version == 1


def test_a_sample_batch_whose_values_outgrow_the_store_is_refused(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "t", ["S1", "T1"])
    dp = '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">'

    def batch(sample: str, depth: int) -> list[str]:
        lines = header([sample])
        lines.insert(-1, dp)
        return [*lines, record("1", 100, ["0/1"]).replace("\tGT\t0/1", f"\tGT:DP\t0/1:{depth}")]

    _ingest(db, tmp_path, keys, write(tmp_path / "a.vcf.gz", batch("S1", 12)))
    before = table_counts(db)
    with pytest.raises(Conflict) as caught:
        _ingest(db, tmp_path, keys, write(tmp_path / "b.vcf.gz", batch("T1", 40_000)))
    assert caught.value.code == "E_BATCH_FIELDS"
    assert "call_DP" in caught.value.message
    assert table_counts(db) == before
    fits = _ingest(db, tmp_path, keys, write(tmp_path / "c.vcf.gz", batch("T1", 30)))
    assert open_store(tmp_path / fits.location)["call_DP"][:].tolist() == [[12, 30]]


def test_a_text_batch_joins_a_store_built_from_a_bcf(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    """A BCF goes through bio2zarr's VCF reader, so the whole next version does: the new
    GT-only text file (gzip), whose working copy was dropped while it was sealed, is read
    again from its sealed copy."""
    register(db, keys, tmp_path / "t", SAMPLES)
    text = write(tmp_path / "chr1.vcf.gz", [*header(), GOOD[0], GOOD[1]])
    bcf = tmp_path / "chr1.bcf"
    pysam.bcftools.view("-Ob", "-o", str(bcf), str(text), catch_stdout=False)
    second = write(tmp_path / "chr2.vcf.gz", [*header(), GOOD[2]], compress="gzip")
    _ingest(db, tmp_path, keys, bcf)
    joined = _ingest(db, tmp_path, keys, second)
    assert (joined.version, joined.variants) == (2, 3)
    group = open_store(tmp_path / joined.location)
    assert group["call_genotype"][2].tolist() == [[1, 1], [0, 1], [0, 0]]
    assert verify_store(db, tmp_path, keys, institution=INSTITUTION, collection="COL-GT").ok
