"""Sex from chromosome X (PLINK's F, peddy's ratio): real 1000 Genomes calls, haploid men, PAR."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np

from hgr.relatedness.packed import MISSING
from hgr.relatedness.readers import _x_dosages, read_genotype_files
from hgr.relatedness.sex_check import (
    FEMALE_BELOW,
    MALE_ABOVE,
    XCounts,
    in_pseudo_autosomal,
    sex_calls,
)
from tests.conftest import shared


def test_1000_genomes_men_are_men_and_women_women_across_12_populations() -> None:
    """The subset's 948 polymorphic X SNVs outside the pseudo-autosomal regions: every man
    (haploid there) has F = 1 and no heterozygous call. The women's F, read against
    frequencies pooled over 12 populations, spreads from -0.56 to 0.90, and F alone left 228
    of 575 without a call; their heterozygous ratio calls 573 female. NA18526 (F 0.58, ratio
    0.57) gets no call. NA19332, annotated female, has F 0.90 and 4 heterozygous calls to 48
    homozygous: both say male."""
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
    assert all(c.heterozygous == 0 for c in calls if annotated[c.sample] == "M")
    assert tally[("F", "female")] == 573
    odd = {c.sample: c for c in calls if annotated[c.sample] == "F" and c.inferred != "female"}
    assert sorted(odd) == ["NA18526", "NA19332"]
    assert odd["NA19332"].inferred == "male"
    assert (odd["NA19332"].heterozygous, odd["NA19332"].alternate) == (4, 48)
    assert odd["NA18526"].inferred is None
    women_f = [c.f for c in calls if annotated[c.sample] == "F"]
    assert sum(FEMALE_BELOW <= f <= MALE_ABOVE for f in women_f) == 228  # F alone: no call


def test_women_of_two_populations_are_women_though_pooled_frequencies_mislead_f() -> None:
    """A cohort of two populations, each in Hardy-Weinberg proportions at its own allele
    frequencies: against the pooled frequency each woman's heterozygous calls stray from
    those expected (too many at her population's common alleles, too few overall: a Wahlund
    effect), and F alone leaves many without a call. The heterozygous ratio needs no
    frequency: every woman is called female, every man male."""
    rng = np.random.default_rng(1)
    sites, each = 300, 40
    near, far = rng.uniform(0.0, 0.04, sites), rng.uniform(0.3, 0.6, sites)
    populations = [np.where(rng.random(sites) < 0.5, near, far) for _ in range(2)]
    populations[1] = np.where(populations[0] == near, far, near)
    blocks = []
    for p in populations:
        p = p[:, None]
        blocks.append(2 * (rng.random((sites, each)) < p).astype(np.int8))  # men
        women = (rng.random((sites, each)) < p).astype(np.int8) + (rng.random((sites, each)) < p)
        blocks.append(women)
    counts = XCounts(4 * each)
    counts.add(np.hstack(blocks))
    names = tuple(f"{who}{pop}.{i}" for pop in "AB" for who in "MW" for i in range(each))
    calls = sex_calls(names, counts)
    women = [c for c in calls if c.sample.startswith("W")]
    assert sum(not FEMALE_BELOW <= c.f <= MALE_ABOVE for c in women) < len(women) // 2
    assert [c.inferred for c in calls] == (["male"] * each + ["female"] * each) * 2


def test_statistics_that_disagree_make_no_call() -> None:
    """F and the heterozygous ratio each decide alone when the other is silent, and make no
    call together when they disagree (an XXY sample, or one contaminated by another's DNA,
    has heterozygous calls at a man's F). Too few alternate calls silence the ratio."""
    others = [1, 1, 2, 0]  # four more samples, so that most sites are common
    counts = XCounts(6)
    counts.add(
        np.array(
            [[0, 0, *others]] * 200
            + [[0, 1, *others]] * 10  # c: 10 heterozygous calls of about 90 expected
            + [[0, 2, *others]] * 5
            + [[2, 0, *others]] * 3,  # a: 3 alternate calls, too few for the ratio
            dtype=np.int8,
        )
    )
    a, c = sex_calls(("a", "c", "1", "2", "3", "4"), counts)[:2]
    assert (a.heterozygous, a.alternate, a.f) == (0, 3, 1.0)
    assert a.inferred == "male"  # F alone
    assert (c.heterozygous, c.alternate) == (10, 5)
    assert c.f > MALE_ABOVE
    assert c.inferred is None


def test_the_ratio_alone_never_calls_a_woman_a_man() -> None:
    """Women in Hardy-Weinberg proportions at 60 sites whose alternate allele is common
    (p = 0.9): too few sites for F, and a ratio near 2(1 - p)/p = 0.22, below 0.2 for many.
    The ratio alone called 154 of 500 male, a mismatch with their PED; now none is."""
    rng = np.random.default_rng(3)
    sites, women = 60, 500
    p = np.full((sites, 1), 0.9)
    genotypes = (rng.random((sites, women)) < p).astype(np.int8) + (rng.random((sites, women)) < p)
    counts = XCounts(women)
    counts.add(genotypes)
    calls = sex_calls(tuple(f"W{i}" for i in range(women)), counts)
    assert all(c.sites < 100 for c in calls)  # F is silent
    assert sum(c.het_ratio < 0.2 for c in calls) > 50
    assert not [c for c in calls if c.inferred == "male"]


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
    few.add(np.array([[0, 1], [2, 0]] * 4, dtype=np.int8))
    assert [c.status for c in sex_calls(("a", "b"), few)] == ["no call", "no call"]
