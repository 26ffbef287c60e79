"""A small simulated cohort with known families and planted pedigree errors, for tests."""

from __future__ import annotations

from pathlib import Path

from hgr.synth.genotypes import Haplotypes, add_children, simulate_founders, write_vcf

# Founders 0-9; children follow in the order they are added.
FOUNDERS = ["NORTH"] * 10
# (father, mother) of persons 10.. : 10, 11, 12 are children of 0 x 1; 13 a child of 10 x 2;
# 14, 15 children of 3 x 4; 16 a child of 5 x 6; 17 a child of 0 x 1 enrolled alone.
CHILDREN = [(0, 1), (0, 1), (0, 1), (10, 2), (3, 4), (3, 4), (5, 6), (0, 1)]
SEXES = ["male", "female"] * 5 + [
    "male",
    "female",
    "male",
    "female",
    "male",
    "male",
    "female",
    "male",
]

# Sample id -> person whose genotypes it carries.
SAMPLES = {
    # Family A: grandparents, three children (one a duplicate of another), a grandchild.
    "A-GF": 0,
    "A-GM": 1,
    "A-C1": 10,
    "A-C2": 11,
    "A-C3": 10,
    "A-SP": 2,
    "A-GC": 13,
    # Family B: the father of B-K2 is declared as B-UF, who is unrelated.
    "B-F": 3,
    "B-M": 4,
    "B-K1": 14,
    "B-K2": 15,
    "B-UF": 7,
    # Family C: the child's sample holds an unrelated person's genotypes (a swap).
    "C-F": 5,
    "C-M": 6,
    "C-K": 8,
    # No family: a full sibling of family A's children.
    "LONE": 17,
}

PED = """\
A\tA-GF\t0\t0\t1\t1
A\tA-GM\t0\t0\t2\t1
A\tA-C1\tA-GF\tA-GM\t1\t2
A\tA-C2\tA-GF\tA-GM\t2\t1
A\tA-C3\tA-GF\tA-GM\t1\t1
A\tA-SP\t0\t0\t2\t1
A\tA-GC\tA-C1\tA-SP\t1\t2
B\tB-F\t0\t0\t1\t1
B\tB-M\t0\t0\t2\t1
B\tB-UF\t0\t0\t1\t1
B\tB-K1\tB-F\tB-M\t1\t1
B\tB-K2\tB-UF\tB-M\t2\t1
C\tC-F\t0\t0\t1\t1
C\tC-M\t0\t0\t2\t1
C\tC-K\tC-F\tC-M\t1\t1
C\tC-NG\tC-F\tC-M\t2\t1
0\tLONE\t0\t0\t1\t1
"""


def family_haplotypes(sites_per_chromosome: int) -> Haplotypes:
    """The founders and children of the cohort (seeded)."""
    haplotypes = simulate_founders(FOUNDERS, sites_per_chromosome, seed=5)
    return add_children(haplotypes, CHILDREN, seed=6)


def write_family_cohort(folder: Path, sites_per_chromosome: int = 400) -> tuple[Path, Path]:
    """Write ``cohort.vcf.gz`` and ``cohort.ped`` into ``folder``; return their paths."""
    haplotypes = family_haplotypes(sites_per_chromosome)
    vcf = folder / "cohort.vcf.gz"
    write_vcf(vcf, haplotypes, SAMPLES, discordance={"A-C3": 0.002}, seed=7)
    ped = folder / "cohort.ped"
    ped.write_text(PED)
    return vcf, ped
