"""Kinship within and across a node's collections, from their genotype stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import NotFound, UsageError
from hgr.genotypes.builds import GenomeBuild
from hgr.genotypes.ingest import ingest
from hgr.relatedness.collection_kinship import collections_kinship
from hgr.synth.genotypes import write_vcf
from hgr.vocabulary import Relationship
from tests.genotypes.conftest import INSTITUTION, register
from tests.relatedness.families import SAMPLES, family_haplotypes

FIRST = ["A-GF", "A-GM", "A-C1", "B-F", "B-M", "B-K1"]
SECOND = ["A-C2", "A-GC", "B-K2", "C-F", "C-M", "LONE"]


def test_relatives_are_found_across_two_collections(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    register(db, keys, tmp_path / "registry", FIRST + SECOND, collections=("COL-A", "COL-B"))
    haplotypes = family_haplotypes(120)
    for code, names in (("COL-A", FIRST), ("COL-B", SECOND)):
        vcf = tmp_path / f"{code}.vcf.gz"
        write_vcf(vcf, haplotypes, {n: SAMPLES[n] for n in names}, seed=1)
        ingest(
            db,
            tmp_path / "home",
            keys,
            [vcf],
            institution=INSTITUTION,
            collection=code,
            build=GenomeBuild.GRCH38,
        )
    result = collections_kinship(
        db, tmp_path / "home", [(INSTITUTION, "COL-A"), (INSTITUTION, "COL-B")]
    )
    assert result.shared_sites == 22 * 120
    classes = dict(
        zip(
            (
                frozenset(result.pairs.samples[i].rsplit("/", 1)[1] for i in (a, b))
                for a, b in zip(result.pairs.a, result.pairs.b, strict=True)
            ),
            result.pairs.relationships(),
            strict=True,
        )
    )
    # Across the two collections: a parent and child, siblings, a grandparent.
    assert classes[frozenset(("A-GF", "A-C2"))] is Relationship.PARENT_OFFSPRING
    assert classes[frozenset(("A-C1", "A-C2"))] is Relationship.FULL_SIBLINGS
    assert classes[frozenset(("A-C1", "A-GC"))] is Relationship.PARENT_OFFSPRING
    assert classes[frozenset(("B-K1", "B-K2"))] is Relationship.FULL_SIBLINGS
    assert classes[frozenset(("A-GF", "LONE"))] is Relationship.PARENT_OFFSPRING
    assert frozenset(("C-F", "A-GF")) not in classes
    with pytest.raises(UsageError) as twice:
        collections_kinship(db, tmp_path / "home", [(INSTITUTION, "COL-A")] * 2)
    assert twice.value.code == "E_USAGE"
    with pytest.raises(NotFound):
        collections_kinship(db, tmp_path / "home", [(INSTITUTION, "COL-NONE")])
