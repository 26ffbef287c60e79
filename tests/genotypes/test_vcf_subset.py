"""A store's genotypes written back as a VCF for some of its samples, checked genotype by
genotype against the source file (real data: the GIAB trio)."""

from __future__ import annotations

import io
from pathlib import Path

import cyvcf2
import pytest

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import UsageError
from hgr.genotypes.export import write_vcf_subset
from hgr.genotypes.ingest import ingest
from hgr.genotypes.store import CollectionDirectory, open_store, required_store
from tests.conftest import shared
from tests.genotypes.conftest import INSTITUTION, register


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the writer reads the store only
def test_a_subset_equals_the_source(db: Database, keys: NodeKeys, tmp_path: Path) -> None:
    vcf = shared("giab_trio", "ashk-trio.vcf.gz")
    register(db, keys, tmp_path / "t", ["HG002", "HG003", "HG004"])
    ingest(db, tmp_path, keys, [vcf], institution=INSTITUTION, collection="COL-GT")
    with db.reader() as session:
        target, store = required_store(session, INSTITUTION, "COL-GT")
        location = tmp_path / store.location
    group = open_store(location)
    out = tmp_path / "subset.vcf"
    with out.open("wb") as handle:  # the mother, then the son, under new names
        records = write_vcf_subset(group, [2, 0], ["M", "S"], handle)
    source = cyvcf2.VCF(str(vcf))
    order = [source.samples.index(s) for s in ("HG004", "HG002")]
    written = cyvcf2.VCF(str(out))
    assert written.samples == ["M", "S"]
    count = 0
    for a, b in zip(source, written, strict=True):
        assert (a.CHROM, a.POS, a.REF, a.ALT) == (b.CHROM, b.POS, b.REF, b.ALT)
        # alleles and phasing, a missing call as -1
        assert [a.genotypes[i] for i in order] == b.genotypes
        count += 1
    assert count == records == 9940  # the README's count of the trio's exome variants
    with pytest.raises(UsageError):
        write_vcf_subset(group, [0], ["A", "B"], io.BytesIO())
    assert CollectionDirectory(tmp_path, target.id).path.exists()
