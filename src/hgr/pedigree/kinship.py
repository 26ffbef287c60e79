"""Kinship coefficients a declared pedigree implies, and the relationship each pair declares.

The kinship coefficient of two people is the probability that an allele drawn from each is
identical by descent. From a pedigree it follows the classic recursion (Lange, Mathematical and
Statistical Methods for Genetic Analysis, 2nd ed., §5.2): for ``a`` who is not an ancestor of
``b``, ``phi(a, b) = (phi(father(a), b) + phi(mother(a), b)) / 2``; ``phi(a, a) =
(1 + phi(father(a), mother(a))) / 2``; an unknown parent contributes 0 (founders are taken as
unrelated and not inbred). Processing the later generation first guarantees the "not an
ancestor" condition. Values are exact fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from functools import cache

from hgr.pedigree.ped import PedigreeRecord
from hgr.pedigree.validate import generations
from hgr.vocabulary import Relationship

__all__ = ["declared_relation", "pedigree_kinship"]

ZERO = Fraction(0)
HALF = Fraction(1, 2)


def pedigree_kinship(people: Mapping[str, PedigreeRecord]) -> dict[frozenset[str], Fraction]:
    """Kinship of every pair of distinct individuals of one family (a checked, acyclic one)."""
    depth = generations(dict(people))

    def parents(iid: str) -> tuple[str | None, str | None]:
        person = people[iid]
        father = person.father_id if person.father_id in people else None
        mother = person.mother_id if person.mother_id in people else None
        return father, mother

    @cache
    def phi(a: str | None, b: str | None) -> Fraction:
        if a is None or b is None:
            return ZERO
        if a == b:
            father, mother = parents(a)
            return HALF * (1 + phi(father, mother))
        if depth.get(a, 0) < depth.get(b, 0):
            a, b = b, a  # recurse on the later generation: it cannot be the other's ancestor
        father, mother = parents(a)
        return HALF * (phi(father, b) + phi(mother, b))

    ids = sorted(people)
    result = {}
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            result[frozenset((a, b))] = phi(a, b)
    return result


def declared_relation(
    people: Mapping[str, PedigreeRecord], a: str, b: str, kinship: Fraction
) -> Relationship:
    """The relationship class the pedigree declares for ``a`` and ``b``.

    Parent and child, and children of the same two known parents, are named from the links;
    every other pair by its kinship coefficient, with KING's degree boundaries (2^-2.5,
    2^-3.5, 2^-4.5) so that the declared class compares directly with the inferred one.
    """
    pa, pb = people[a], people[b]
    if a in (pb.father_id, pb.mother_id) or b in (pa.father_id, pa.mother_id):
        return Relationship.PARENT_OFFSPRING
    if (
        pa.father_id is not None
        and pa.mother_id is not None
        and (pa.father_id, pa.mother_id) == (pb.father_id, pb.mother_id)
    ):
        return Relationship.FULL_SIBLINGS
    value = float(kinship)
    if value > 0.177:
        return Relationship.FULL_SIBLINGS  # double relationships in inbred families
    if value > 0.0884:
        return Relationship.SECOND_DEGREE
    if value > 0.0442:
        return Relationship.THIRD_DEGREE
    return Relationship.UNRELATED
