"""Declared families against genotypes: every planted error is found, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from hgr.issues import Report
from hgr.pedigree.ped import read_ped
from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.pedigree_check import (
    FlagKind,
    consistent,
    mendelian_errors,
    verify_pedigrees,
)
from hgr.relatedness.readers import read_genotype_files
from hgr.vocabulary import Relationship
from tests.relatedness.families import write_family_cohort


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    vcf, ped = write_family_cohort(tmp_path_factory.mktemp("families"))
    packed, _sites = read_genotype_files([vcf])
    records = read_ped(ped, Report())
    found = verify_pedigrees(records, packed, king_all_pairs(packed))
    return {r.family: r for r in found}


def _flags(report):  # type: ignore[no-untyped-def]
    return {(f.kind, frozenset(f.samples)) for f in report.flags}


def test_family_a_has_its_duplicate_and_undeclared_sibling(reports) -> None:  # type: ignore[no-untyped-def]
    a = reports["A"]
    assert _flags(a) == {
        (FlagKind.DUPLICATE_IN_FAMILY, frozenset({"A-C1", "A-C3"})),
        # A-C3 is A-C1 again, so "uncle" A-C3 is the grandchild's parent.
        (FlagKind.RELATIONSHIP_MISMATCH, frozenset({"A-C3", "A-GC"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-C1", "LONE"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-C2", "LONE"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-C3", "LONE"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-GF", "LONE"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-GM", "LONE"})),
        (FlagKind.UNDECLARED_RELATIVE, frozenset({"A-GC", "LONE"})),
    }
    pairs = {frozenset((p.sample_a, p.sample_b)): p for p in a.pairs}
    grandparent = pairs[frozenset(("A-GF", "A-GC"))]
    assert grandparent.declared is Relationship.SECOND_DEGREE
    assert grandparent.expected_kinship == 0.125
    assert grandparent.status == "ok"
    assert pairs[frozenset(("A-GM", "A-SP"))].declared is Relationship.UNRELATED
    assert len(a.pairs) == 7 * 6 // 2
    assert {t.child for t in a.trios} == {"A-C1", "A-C2", "A-C3", "A-GC"}
    assert all(t.rate < 0.01 for t in a.trios)


def test_family_b_has_a_wrong_father(reports) -> None:  # type: ignore[no-untyped-def]
    b = reports["B"]
    kinds = _flags(b)
    assert (FlagKind.WRONG_PARENT, frozenset({"B-UF", "B-K2"})) in kinds
    # The true father now looks like an unrelated man with a child by the family's mother.
    assert (FlagKind.RELATIONSHIP_MISMATCH, frozenset({"B-K1", "B-K2"})) in kinds
    assert (FlagKind.MENDELIAN_ERRORS, frozenset({"B-K2", "B-UF", "B-M"})) in kinds
    assert not any(kind is FlagKind.SAMPLE_SWAP for kind, _ in kinds)


def test_family_c_has_a_swapped_child(reports) -> None:  # type: ignore[no-untyped-def]
    c = reports["C"]
    kinds = _flags(c)
    assert (FlagKind.SAMPLE_SWAP, frozenset({"C-K"})) in kinds
    assert not any(kind is FlagKind.WRONG_PARENT for kind, _ in kinds)
    assert c.not_genotyped == ["C-NG"]


def test_mendelian_errors_follow_transmission() -> None:
    child = np.array([0, 1, 2, 0, 2, 1, 1, -1])
    father = np.array([0, 0, 1, 2, 0, 0, 2, 0])
    mother = np.array([1, 2, 1, 0, 1, 0, 2, 0])
    # ok, ok, ok, error (hom-alt father), error (hom-ref father), error, error, missing
    assert mendelian_errors(child, father, mother) == (7, 4)


def test_distant_classes_one_step_apart_are_consistent() -> None:
    assert consistent(Relationship.SECOND_DEGREE, Relationship.THIRD_DEGREE)
    assert consistent(Relationship.THIRD_DEGREE, Relationship.UNRELATED)
    assert consistent(Relationship.UNRELATED, Relationship.THIRD_DEGREE)
    assert not consistent(Relationship.SECOND_DEGREE, Relationship.UNRELATED)
    assert not consistent(Relationship.PARENT_OFFSPRING, Relationship.FULL_SIBLINGS)
    assert not consistent(Relationship.FULL_SIBLINGS, Relationship.SECOND_DEGREE)
    assert not consistent(Relationship.UNRELATED, Relationship.SECOND_DEGREE)
