"""Sex from chromosome X: the rules that ``hgr relate``'s sex check and the QC at ingestion
share, beside each one's F (PLINK's inbreeding coefficient).

F reads a sample's heterozygous calls against allele frequencies pooled over the cohort; in
a cohort of several populations they are not each woman's, and with few common X sites her F
strays into the band where it makes no call. The heterozygous ratio needs no frequency: a
sample's heterozygous calls over its homozygous alternate ones, outside the pseudo-autosomal
regions (peddy's ``het_ratio``, Pedersen & Quinlan 2017, AJHG 100:406). A man has none there
but genotyping errors, so his ratio is near 0; a woman's is near 2(1 - p)/p at each site. Below
0.2 is male, above 0.6 female (peddy's cutoff), between them silent, and it speaks only over
at least 10 alternate calls.

The ratio alone may call a woman but never a man: a woman's ratio is low too where her
alternate alleles are common (2(1 - p)/p is 0.22 at p = 0.9), and with few sites a low ratio
would read as a man and her declared sex as a sample swap; a man's few heterozygous calls keep
his ratio low whatever p is, so a high one is a woman's.
"""

from __future__ import annotations

__all__ = [
    "FEMALE_RATIO_ABOVE",
    "FEWEST_ALTERNATE",
    "MALE_RATIO_BELOW",
    "by_ratio",
    "by_x",
]

MALE_RATIO_BELOW = 0.2
FEMALE_RATIO_ABOVE = 0.6
FEWEST_ALTERNATE = 10
"""Alternate calls (heterozygous or homozygous) a sample needs before its ratio speaks."""


def by_ratio(heterozygous: int, alternate: int) -> str | None:
    """What the heterozygous ratio says (``male``, ``female`` or None for silent), from a
    sample's heterozygous and homozygous alternate X calls."""
    if heterozygous + alternate < FEWEST_ALTERNATE:
        return None
    if heterozygous > FEMALE_RATIO_ABOVE * alternate:
        return "female"
    if heterozygous < MALE_RATIO_BELOW * alternate:
        return "male"
    return None


def by_x(by_f: str | None, ratio: str | None) -> str | None:
    """The sex chromosome X gives: the one F and the ratio agree on, F's while the ratio is
    silent, the ratio's alone only when it says female; None where they disagree (XXY, X0,
    a contaminated sample) or neither speaks."""
    if by_f and ratio:
        return by_f if by_f == ratio else None
    return by_f or ("female" if ratio == "female" else None)
