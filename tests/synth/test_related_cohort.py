"""The planted cohort for relatedness benchmarks: a valid fileset whose truth KING recovers."""

from __future__ import annotations

from pathlib import Path

from hgr.relatedness.king import king_all_pairs
from hgr.relatedness.readers import read_genotype_files
from hgr.synth.related_cohort import write_related_cohort


def test_planted_relatives_are_recovered(tmp_path: Path) -> None:
    cohort = write_related_cohort(tmp_path / "c", 400, 22_000, seed=3)
    assert cohort.samples == 400
    assert cohort.variants == 22_000
    packed, sites = read_genotype_files([cohort.prefix])
    assert sites.kept == 22_000
    pairs = king_all_pairs(packed)
    called = {
        frozenset((pairs.samples[a], pairs.samples[b])): str(r)
        for a, b, r in zip(pairs.a, pairs.b, pairs.relationships(), strict=True)
    }
    for kind in ("duplicate", "parent-offspring", "full-siblings"):
        assert truth_found(cohort.truth[kind], called, kind) == len(cohort.truth[kind])
    second = cohort.truth["second-degree"]
    assert truth_found(second, called, "second-degree") >= 0.9 * len(second)
    related = set().union(*cohort.truth.values())
    assert not [p for p, r in called.items() if p not in related and r != "third-degree"]


def truth_found(pairs: set[frozenset[str]], called: dict[frozenset[str], str], kind: str) -> int:
    return sum(called.get(p) == kind for p in pairs)
