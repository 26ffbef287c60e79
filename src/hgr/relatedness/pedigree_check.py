"""Declared pedigrees checked against the genotypes, family by family, the way peddy does.

For every pair of genotyped members of a family, the relationship the pedigree declares
(``pedigree.kinship``) is compared with the one KING-robust infers. From the mismatches and the
whole cohort's close pairs each family gets flags, with the evidence:

- ``sample-swap``: a sample whose every declared first-degree relative (two at least) fails
  to match: the sample is probably not the person the pedigree names;
- ``wrong-parent``: a declared parent and child who are not parent and child (and neither is
  flagged as swapped): non-paternity, adoption, or a mislabelled parent;
- ``duplicate-in-family``: two members whose genotypes are one person's;
- ``undeclared-relative``: a member with a close relative (second degree or nearer) whom the
  pedigree does not declare, inside the family or outside it;
- ``relationship-mismatch``: any other declared pair inferred otherwise;
- ``mendelian-errors``: a trio (child and both parents genotyped) whose Mendelian error rate is
  above ``MENDEL_MAX_RATE``.

Kinship separates the classes reliably up to the second degree (the KING manual); beyond the
first degree the share of the genome relatives inherit varies enough to land a pair in the
next class (a half-sibling pair at 0.08, first cousins at 0.03). So a declared second-degree
or more distant pair whose inferred class is one step away (second / third / unrelated) is
consistent; first-degree and duplicate classes must match exactly.

A Mendelian error is a child's genotype that the parents' cannot produce, counted over sites
where all three are called (PLINK's ``--mendel`` for biallelic sites).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from hgr.pedigree.kinship import declared_relation, pedigree_kinship
from hgr.pedigree.ped import NO_FAMILY, PedigreeRecord
from hgr.relatedness.king import KingPairs, king_listed_pairs
from hgr.relatedness.packed import MISSING, PackedGenotypes
from hgr.vocabulary import Relationship

__all__ = [
    "MENDEL_MAX_RATE",
    "FamilyReport",
    "Flag",
    "FlagKind",
    "PairCheck",
    "TrioCheck",
    "consistent",
    "verify_pedigrees",
]

# A true trio's error rate is about the genotyping error rate (well under 1% on arrays and
# good sequencing); a wrong parent gives several percent.
MENDEL_MAX_RATE = 0.01
_CLOSE = {
    Relationship.DUPLICATE,
    Relationship.PARENT_OFFSPRING,
    Relationship.FULL_SIBLINGS,
    Relationship.SECOND_DEGREE,
}
_FIRST_DEGREE = {Relationship.PARENT_OFFSPRING, Relationship.FULL_SIBLINGS}
_DISTANT = [Relationship.SECOND_DEGREE, Relationship.THIRD_DEGREE, Relationship.UNRELATED]


def consistent(declared: Relationship, inferred: Relationship) -> bool:
    """Whether an inferred class agrees with the declared one (module docstring)."""
    if declared is inferred:
        return True
    if declared in _DISTANT and inferred in _DISTANT:
        return abs(_DISTANT.index(declared) - _DISTANT.index(inferred)) == 1
    return False


class FlagKind(StrEnum):
    SAMPLE_SWAP = "sample-swap"
    WRONG_PARENT = "wrong-parent"
    DUPLICATE_IN_FAMILY = "duplicate-in-family"
    UNDECLARED_RELATIVE = "undeclared-relative"
    RELATIONSHIP_MISMATCH = "relationship-mismatch"
    MENDELIAN_ERRORS = "mendelian-errors"


@dataclass(frozen=True)
class PairCheck:
    """A declared pair with what the genotypes say of it."""

    family: str
    sample_a: str
    sample_b: str
    declared: Relationship
    expected_kinship: float
    inferred: Relationship
    kinship: float
    ibs0: float
    n_sites: int

    @property
    def status(self) -> str:
        return "ok" if consistent(self.declared, self.inferred) else "mismatch"


@dataclass(frozen=True)
class TrioCheck:
    """Mendelian errors of one child and both its parents."""

    family: str
    child: str
    father: str
    mother: str
    sites: int
    errors: int

    @property
    def rate(self) -> float:
        return self.errors / self.sites if self.sites else 0.0


@dataclass(frozen=True)
class Flag:
    """One finding in a family, with the samples it concerns and the evidence in words."""

    kind: FlagKind
    samples: tuple[str, ...]
    evidence: str


@dataclass
class FamilyReport:
    """Everything checked in one family."""

    family: str
    members: list[str]
    not_genotyped: list[str]
    pairs: list[PairCheck] = field(default_factory=list)
    trios: list[TrioCheck] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.flags


def verify_pedigrees(
    records: Sequence[PedigreeRecord], packed: PackedGenotypes, cohort: KingPairs
) -> list[FamilyReport]:
    """Check every declared family (family id ``0`` is no family) against the genotypes.

    ``cohort`` holds the close pairs of all samples (``king_all_pairs``): undeclared relatives
    are looked for there, inside and outside the family.
    """
    index = {name: k for k, name in enumerate(packed.samples)}
    families: dict[str, dict[str, PedigreeRecord]] = defaultdict(dict)
    for record in records:
        if record.family_id != NO_FAMILY:
            families[record.family_id].setdefault(record.individual_id, record)
    declared_pairs: list[tuple[str, str, str, Relationship, float]] = []
    for family, people in families.items():
        for pair, phi in pedigree_kinship(people).items():
            a, b = sorted(pair)
            if a in index and b in index:
                relation = declared_relation(people, a, b, phi)
                declared_pairs.append((family, a, b, relation, float(phi)))
    measured = king_listed_pairs(
        packed, [(index[a], index[b]) for _f, a, b, _r, _k in declared_pairs]
    )
    rows = measured.lookup()
    inferred = measured.relationships()
    by_family: dict[str, list[PairCheck]] = defaultdict(list)
    for family, a, b, relation, expected in declared_pairs:
        row = rows[frozenset((a, b))]
        by_family[family].append(
            PairCheck(
                family=family,
                sample_a=a,
                sample_b=b,
                declared=relation,
                expected_kinship=expected,
                inferred=inferred[row],
                kinship=float(measured.kinship[row]),
                ibs0=float(measured.ibs0_fraction[row]),
                n_sites=int(measured.n_sites[row]),
            )
        )
    close = _close_pairs(cohort)
    reports = []
    for family, people in sorted(families.items()):
        report = FamilyReport(
            family=family,
            members=sorted(people),
            not_genotyped=sorted(p for p in people if p not in index),
            pairs=by_family.get(family, []),
        )
        report.trios = _trios(family, people, packed, index)
        report.flags = _flags(report, people, close)
        reports.append(report)
    return reports


def _close_pairs(cohort: KingPairs) -> dict[str, list[tuple[str, Relationship, float]]]:
    """Each sample's close relatives in the cohort (second degree or nearer)."""
    close: dict[str, list[tuple[str, Relationship, float]]] = defaultdict(list)
    for row, relation in enumerate(cohort.relationships()):
        if relation in _CLOSE:
            a = cohort.samples[int(cohort.a[row])]
            b = cohort.samples[int(cohort.b[row])]
            kinship = float(cohort.kinship[row])
            close[a].append((b, relation, kinship))
            close[b].append((a, relation, kinship))
    return close


def _trios(
    family: str,
    people: dict[str, PedigreeRecord],
    packed: PackedGenotypes,
    index: dict[str, int],
) -> list[TrioCheck]:
    trios = []
    for child in sorted(people):
        father, mother = people[child].father_id, people[child].mother_id
        if father is None or mother is None or not {child, father, mother} <= index.keys():
            continue
        calls = packed.subset([index[child], index[father], index[mother]]).dosages()
        sites, errors = mendelian_errors(calls[:, 0], calls[:, 1], calls[:, 2])
        trios.append(TrioCheck(family, child, father, mother, sites, errors))
    return trios


def mendelian_errors(child: np.ndarray, father: np.ndarray, mother: np.ndarray) -> tuple[int, int]:
    """(sites where all three are called, sites where the child's genotype is impossible)."""
    called = (child != MISSING) & (father != MISSING) & (mother != MISSING)
    c, f, m = child[called], father[called], mother[called]
    # The child has one allele from each parent: no ref allele from a hom-alt parent, no alt
    # allele from a hom-ref one.
    impossible = (
        ((c == 0) & ((f == 2) | (m == 2)))
        | ((c == 2) & ((f == 0) | (m == 0)))
        | ((c == 1) & (((f == 0) & (m == 0)) | ((f == 2) & (m == 2))))
    )
    return int(called.sum()), int(impossible.sum())


def _flags(
    report: FamilyReport,
    people: dict[str, PedigreeRecord],
    close: dict[str, list[tuple[str, Relationship, float]]],
) -> list[Flag]:
    flags: list[Flag] = []
    declared_first: dict[str, list[PairCheck]] = defaultdict(list)
    for pair in report.pairs:
        if pair.declared in _FIRST_DEGREE:
            declared_first[pair.sample_a].append(pair)
            declared_first[pair.sample_b].append(pair)
    swapped = {
        sample
        for sample, pairs in declared_first.items()
        if len(pairs) >= 2 and all(p.status == "mismatch" for p in pairs)
    }
    for sample in sorted(swapped):
        pairs = declared_first[sample]
        shown = "; ".join(
            f"{_other(p, sample)}: declared {p.declared}, kinship {p.kinship:.3f}" for p in pairs
        )
        flags.append(
            Flag(
                FlagKind.SAMPLE_SWAP,
                (sample,),
                f"none of the {len(pairs)} declared first-degree relatives matches ({shown})",
            )
        )
    declared = {frozenset((p.sample_a, p.sample_b)) for p in report.pairs}
    for pair in report.pairs:
        names = (pair.sample_a, pair.sample_b)
        evidence = (
            f"declared {pair.declared} (kinship {pair.expected_kinship:.3f}), inferred "
            f"{pair.inferred}: kinship {pair.kinship:.3f}, IBS0 {pair.ibs0:.4f} over "
            f"{pair.n_sites} sites"
        )
        if pair.inferred is Relationship.DUPLICATE:
            flags.append(Flag(FlagKind.DUPLICATE_IN_FAMILY, names, evidence))
        elif pair.status == "ok" or swapped & set(names):
            continue
        elif pair.declared is Relationship.PARENT_OFFSPRING:
            flags.append(Flag(FlagKind.WRONG_PARENT, names, evidence))
        elif pair.declared is Relationship.UNRELATED and pair.inferred in _CLOSE:
            flags.append(Flag(FlagKind.UNDECLARED_RELATIVE, names, evidence))
        else:
            flags.append(Flag(FlagKind.RELATIONSHIP_MISMATCH, names, evidence))
    for member in report.members:
        for other, relation, kinship in close.get(member, []):
            if other in people or frozenset((member, other)) in declared:
                continue
            flags.append(
                Flag(
                    FlagKind.UNDECLARED_RELATIVE,
                    (member, other),
                    f"{other} is not in family {report.family} but is inferred {relation} "
                    f"of {member} (kinship {kinship:.3f})",
                )
            )
    for trio in report.trios:
        if trio.rate > MENDEL_MAX_RATE:
            flags.append(
                Flag(
                    FlagKind.MENDELIAN_ERRORS,
                    (trio.child, trio.father, trio.mother),
                    f"{trio.errors} Mendelian errors in {trio.sites} sites "
                    f"({trio.rate:.2%}, above {MENDEL_MAX_RATE:.0%})",
                )
            )
    return flags


def _other(pair: PairCheck, sample: str) -> str:
    return pair.sample_b if pair.sample_a == sample else pair.sample_a
