"""Sex from chromosome X: PLINK's inbreeding coefficient F and peddy's heterozygous ratio.

A man has one X, so his calls outside the pseudo-autosomal regions are homozygous (or haploid,
counted as homozygous) and his F is near 1; a woman's are heterozygous as often as Hardy and
Weinberg expect, and her F is near 0. F compares the homozygous calls observed with those
expected (PLINK 1.9's --het and --check-sex, Purcell et al. 2007):

    F = (O(hom) - E(hom)) / (N - E(hom)),
    E(hom) = Σ over the sites called in the sample of 1 - 2p(1 - p) · 2n / (2n - 1),

with ``p`` the alternate allele's frequency among the ``n`` samples called at the site and
``N`` the sample's called sites. PLINK's thresholds: F above 0.8 is male, below 0.2 female,
between them no call. One difference from PLINK 1.9: a man's call weighs as two alleles in
``p`` (PLINK counts it once); ``p`` is the same in expectation, and a man's own F is 1 either
way.

F leans on ``p``, pooled over everyone in the files. In a cohort of several populations it
is not each woman's: a site common in her population but rare overall expects few
heterozygous calls and finds many (F well below 0), and the reverse (a Wahlund effect, F
above 0). With few common X sites, as on an exome or a subset, a woman's F then spreads
across the band where no call is made: on the 1000 Genomes subset's 12 populations, 228 of
575 women got none. The heterozygous ratio, which needs no frequency, speaks beside it, by
the rules the QC at ingestion shares (:mod:`hgr.genotypes.sex`).

The pseudo-autosomal regions, where men have two copies, are left out in both builds (their
union: X:10,001-2,781,479 and X:154,931,044-156,030,895), so no build need be known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from hgr.genotypes.sex import by_ratio, by_x
from hgr.relatedness.packed import MISSING

__all__ = [
    "FEMALE_BELOW",
    "FEWEST_SITES",
    "MALE_ABOVE",
    "SexCall",
    "XCounts",
    "in_pseudo_autosomal",
    "sex_calls",
]

MALE_ABOVE = 0.8
FEMALE_BELOW = 0.2
FEWEST_SITES = 100
"""Polymorphic X sites a sample needs before F speaks."""

# GRCh37's and GRCh38's PAR1 and PAR2 (Genome Reference Consortium), merged.
_PSEUDO_AUTOSOMAL = ((10_001, 2_781_479), (154_931_044, 156_030_895))


def in_pseudo_autosomal(position: int) -> bool:
    """Whether an X position lies in a pseudo-autosomal region of either build."""
    return any(start <= position <= stop for start, stop in _PSEUDO_AUTOSOMAL)


@dataclass
class XCounts:
    """Each sample's running counts over the X sites read: called, homozygous, expected
    homozygous, heterozygous and homozygous for the alternate allele."""

    samples: int
    sites: int = 0
    called: NDArray[np.int64] = field(init=False)
    homozygous: NDArray[np.int64] = field(init=False)
    expected: NDArray[np.float64] = field(init=False)
    heterozygous: NDArray[np.int64] = field(init=False)
    alternate: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.called = np.zeros(self.samples, dtype=np.int64)
        self.homozygous = np.zeros(self.samples, dtype=np.int64)
        self.expected = np.zeros(self.samples, dtype=np.float64)
        self.heterozygous = np.zeros(self.samples, dtype=np.int64)
        self.alternate = np.zeros(self.samples, dtype=np.int64)

    def add(self, dosages: NDArray[np.int8]) -> None:
        """Take in a block of X sites (sites, samples): alternate-allele counts, ``MISSING``
        where not called; a haploid call counts as homozygous."""
        called = dosages != MISSING
        n = called.sum(axis=1)
        alt = np.where(called, dosages, 0).sum(axis=1, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = alt / (2.0 * n)
            # PLINK's small-sample correction of the expected heterozygosity.
            expected = 1.0 - 2.0 * p * (1.0 - p) * (2.0 * n) / (2.0 * n - 1.0)
        polymorphic = (n > 1) & (p > 0) & (p < 1)
        if not polymorphic.any():
            return
        called, dosages = called[polymorphic], dosages[polymorphic]
        self.sites += int(polymorphic.sum())
        self.called += called.sum(axis=0)
        self.homozygous += (called & (dosages != 1)).sum(axis=0)
        self.heterozygous += (called & (dosages == 1)).sum(axis=0)
        self.alternate += (called & (dosages == 2)).sum(axis=0)
        self.expected += (called * expected[polymorphic][:, None]).sum(axis=0)


@dataclass(frozen=True)
class SexCall:
    """One sample's sex from its X calls, beside the declared one (None where no PED says):
    F, its heterozygous and homozygous alternate calls, and their ratio (NaN with neither)."""

    sample: str
    declared: str | None
    inferred: str | None
    f: float
    sites: int
    heterozygous: int = 0
    alternate: int = 0

    @property
    def het_ratio(self) -> float:
        if self.alternate:
            return self.heterozygous / self.alternate
        return math.inf if self.heterozygous else math.nan

    @property
    def status(self) -> str:
        if self.inferred is None:
            return "no call"
        if self.declared is None:
            return "inferred"
        return "ok" if self.declared == self.inferred else "mismatch"


def sex_calls(
    samples: tuple[str, ...], counts: XCounts, declared: dict[str, str] | None = None
) -> list[SexCall]:
    """Every sample's F, heterozygous ratio and inferred sex (``male``, ``female`` or None; see
    the module docstring), against ``declared`` (sample → ``male`` or ``female``) where given."""
    declared = declared or {}
    calls = []
    for k, sample in enumerate(samples):
        n, observed, expected = (
            int(counts.called[k]),
            int(counts.homozygous[k]),
            float(counts.expected[k]),
        )
        f = (observed - expected) / (n - expected) if n - expected > 0 else math.nan
        het, alt = int(counts.heterozygous[k]), int(counts.alternate[k])
        call = SexCall(sample, declared.get(sample), None, f, n, het, alt)
        by_f = None
        if n >= FEWEST_SITES and not math.isnan(f):
            by_f = "male" if f > MALE_ABOVE else "female" if f < FEMALE_BELOW else None
        calls.append(replace(call, inferred=by_x(by_f, by_ratio(het, alt))))
    return calls
