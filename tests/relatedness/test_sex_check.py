"""Sex from chromosome X (PLINK's --check-sex F): real 1000 Genomes calls, haploid men, PAR."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np

from hgr.relatedness.packed import MISSING
from hgr.relatedness.readers import _x_dosages, read_genotype_files
from hgr.relatedness.sex_check import XCounts, in_pseudo_autosomal, sex_calls
from tests.conftest import shared


def test_1000_genomes_men_are_men_and_no_woman_but_one_is_called_a_man() -> None:
    """The subset's 948 polymorphic X SNVs outside the pseudo-autosomal regions: every man
    (haploid there) has F = 1. Women's F is noisy (about 40 heterozygous sites expected each),
    so some get no call between 0.2 and 0.8; one, NA19332, has F 0.90."""
    folder = shared("1kg_phase3_subset")
    files = sorted((folder / "vcf").glob("*.vcf.gz"))
    packed, counts = read_genotype_files(files)
    assert counts.x is not None
    assert counts.x.sites == 948
    with (folder / "samples_annot.tsv").open(encoding="utf-8") as handle:
        annotated = {row["sample.id"]: row["sex"] for row in csv.DictReader(handle, delimiter="\t")}
    calls = sex_calls(packed.samples, counts.x)
    tally = Counter((annotated[c.sample], c.inferred) for c in calls)
    men = sum(1 for sex in annotated.values() if sex == "M")
    assert tally[("M", "male")] == men == 551
    assert tally[("F", "male")] == 1
    assert [c.sample for c in calls if annotated[c.sample] == "F" and c.inferred == "male"] == [
        "NA19332"
    ]
    assert tally[("F", "female")] >= 0.6 * (len(annotated) - men)


def test_a_haploid_alternate_call_is_homozygous() -> None:
    """The 1000 Genomes subset writes a man's X calls as half-calls (1/. is [1, -1]), which
    cyvcf2 types heterozygous: read that way, every man with an alternate allele looks like a
    woman. A haploid call (1 is [1, -2]) is homozygous too; ./1 is missing."""
    calls = np.array(
        [[1, -1, 0], [0, -1, 0], [1, -2, 0], [0, 1, 1], [1, 1, 1], [-1, -1, 0], [-1, 1, 0]],
        dtype=np.int16,
    )
    assert _x_dosages(calls).tolist() == [2, 0, 2, 1, 2, MISSING, MISSING]


def test_the_pseudo_autosomal_regions_of_both_builds_are_left_out() -> None:
    assert in_pseudo_autosomal(60_001)  # GRCh37 PAR1
    assert in_pseudo_autosomal(2_781_479)  # GRCh38 PAR1's end
    assert in_pseudo_autosomal(155_701_383)  # GRCh38 PAR2
    assert not in_pseudo_autosomal(2_781_480)
    assert not in_pseudo_autosomal(100_000_000)


def test_men_women_and_declared_sex() -> None:
    """Men homozygous everywhere, women in Hardy-Weinberg proportions: each called; a PED
    that says otherwise is a mismatch; a sample with too few sites gets no call."""
    rng = np.random.default_rng(0)
    sites, men, women = 2_000, 20, 20
    p = rng.uniform(0.2, 0.5, sites)[:, None]
    female = (rng.random((sites, women)) < p).astype(np.int8) + (rng.random((sites, women)) < p)
    male = 2 * (rng.random((sites, men)) < p).astype(np.int8)
    counts = XCounts(men + women)
    counts.add(np.hstack([male, female]))
    names = tuple(f"M{i}" for i in range(men)) + tuple(f"W{i}" for i in range(women))
    calls = sex_calls(names, counts, {"M0": "female", "W0": "female"})
    assert [c.inferred for c in calls] == ["male"] * men + ["female"] * women
    assert calls[0].status == "mismatch"
    assert calls[men].status == "ok"
    assert calls[1].status == "inferred"
    few = XCounts(2)
    few.add(np.array([[0, 1], [2, 1]] * 10, dtype=np.int8))
    assert [c.status for c in sex_calls(("a", "b"), few)] == ["no call", "no call"]
