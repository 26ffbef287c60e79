"""Structural checks of declared pedigrees, reported per family.

The checks are those of pedigree tools such as PLINK (``--fam`` sanity checks), peddy and
Hail's ``Pedigree``: duplicate ids, parents named but absent, half-founders, parents of the
wrong sex, and cycles (anyone who is their own ancestor). Generation depth is reported too:
founders are generation 1, a child is one more than its deeper parent.

Errors block an import; warnings (half-founders, a parent of unknown sex) are reported and
become errors under ``strict``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from hgr.issues import N_, Issue, Report, Severity
from hgr.pedigree.ped import NO_FAMILY, PedigreeRecord
from hgr.vocabulary import Sex

__all__ = ["FamilyCheck", "check_pedigrees", "generations"]


@dataclass
class FamilyCheck:
    """What the checks found in one family."""

    family_id: str
    members: int
    founders: int
    depth: int
    generation: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if i.severity is Severity.WARNING)


def generations(people: dict[str, PedigreeRecord]) -> dict[str, int]:
    """Generation of every individual who is not in a cycle (founders are 1)."""
    result: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(iid: str) -> int | None:
        if iid in result:
            return result[iid]
        if iid in visiting:
            return None
        visiting.add(iid)
        person = people[iid]
        parent_depths = []
        for parent in (person.father_id, person.mother_id):
            if parent is not None and parent in people:
                d = depth(parent)
                if d is None:
                    return None
                parent_depths.append(d)
        visiting.discard(iid)
        result[iid] = 1 + max(parent_depths, default=0)
        return result[iid]

    for iid in people:
        visiting.clear()
        depth(iid)
    return result


def _find_cycle(people: dict[str, PedigreeRecord], start: str) -> list[str] | None:
    """A path start → … → start through parent links, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        iid, path = stack.pop()
        person = people.get(iid)
        if person is None:
            continue
        for parent in (person.father_id, person.mother_id):
            if parent is None:
                continue
            if parent == start:
                return [*path, parent]
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, [*path, parent]))
    return None


def _check_family(family_id: str, lines: list[PedigreeRecord], report: Report) -> FamilyCheck:
    people: dict[str, PedigreeRecord] = {}
    for record in lines:
        first = people.get(record.individual_id)
        if first is not None:
            report.error(
                "E_PED_DUPLICATE_ID",
                record.origin,
                N_(
                    "individual %(individual_id)s is listed twice in family %(family_id)s "
                    "(first at line %(line)s)",
                    individual_id=record.individual_id,
                    family_id=family_id,
                    line=first.origin.line,
                ),
                N_("keep one line per individual and family"),
                family=family_id,
            )
            continue
        people[record.individual_id] = record

    if family_id == NO_FAMILY:
        for person in people.values():
            if person.father_id or person.mother_id:
                report.error(
                    "E_PED_NO_FAMILY",
                    person.origin,
                    N_(
                        "%(individual_id)s names parents but has family id 0 (no family)",
                        individual_id=person.individual_id,
                    ),
                    N_("give the family a family id in column 1"),
                    family=family_id,
                )
        return FamilyCheck(family_id, len(people), len(people), 1, dict.fromkeys(people, 1))

    for person in people.values():
        parents = [("father", person.father_id, Sex.MALE), ("mother", person.mother_id, Sex.FEMALE)]
        given = [p for p in parents if p[1] is not None]
        if len(given) == 1:
            missing = "mother" if given[0][0] == "father" else "father"
            report.warning(
                "E_PED_HALF_FOUNDER",
                person.origin,
                N_(
                    "%(individual_id)s has a %(value)s but no %(missing)s (half-founder)",
                    individual_id=person.individual_id,
                    value=given[0][0],
                    missing=missing,
                ),
                N_("add the missing parent (with 0 0 as their parents) or set both to 0"),
                family=family_id,
            )
        if person.father_id is not None and person.father_id == person.mother_id:
            report.error(
                "E_PED_SAME_PARENT",
                person.origin,
                N_(
                    "%(individual_id)s has %(father_id)s as both father and mother",
                    individual_id=person.individual_id,
                    father_id=person.father_id,
                ),
                N_("correct the father or mother column"),
                family=family_id,
            )
            continue
        for role, parent_id, expected in parents:
            if parent_id is None:
                continue
            parent = people.get(parent_id)
            if parent is None:
                report.error(
                    "E_PED_MISSING_PARENT",
                    person.origin,
                    N_(
                        "%(role)s %(parent_id)s of %(individual_id)s is not in family "
                        "%(family_id)s",
                        role=role,
                        parent_id=parent_id,
                        individual_id=person.individual_id,
                        family_id=family_id,
                    ),
                    N_(
                        "add a line for %(parent_id)s (with 0 0 as parents if unknown), or set "
                        "the %(role)s column to 0",
                        parent_id=parent_id,
                        role=role,
                    ),
                    field=role,
                    family=family_id,
                )
            elif parent.sex is Sex.UNKNOWN:
                report.warning(
                    "E_PED_PARENT_SEX_UNKNOWN",
                    parent.origin,
                    N_(
                        "%(parent_id)s is the %(role)s of %(individual_id)s but has unknown sex",
                        parent_id=parent_id,
                        role=role,
                        individual_id=person.individual_id,
                    ),
                    N_(
                        "set the sex of %(parent_id)s to %(value)s",
                        parent_id=parent_id,
                        value="1" if expected is Sex.MALE else "2",
                    ),
                    field="sex",
                    family=family_id,
                )
            elif parent.sex is not expected:
                report.error(
                    "E_PED_FATHER_SEX" if role == "father" else "E_PED_MOTHER_SEX",
                    parent.origin,
                    N_(
                        "%(parent_id)s is the %(role)s of %(individual_id)s but is recorded as "
                        "%(sex)s",
                        parent_id=parent_id,
                        role=role,
                        individual_id=person.individual_id,
                        sex=parent.sex.value,
                    ),
                    N_(
                        "correct the sex of %(parent_id)s, or the %(role)s column of "
                        "%(individual_id)s",
                        parent_id=parent_id,
                        role=role,
                        individual_id=person.individual_id,
                    ),
                    field="sex",
                    family=family_id,
                )

    depth_of = generations(people)
    for iid in people:
        if iid not in depth_of:
            cycle = _find_cycle(people, iid)
            if cycle is not None:
                report.error(
                    "E_PED_CYCLE",
                    people[iid].origin,
                    N_(
                        "%(iid)s is their own ancestor: %(value)s", iid=iid, value=" → ".join(cycle)
                    ),
                    N_("correct the father or mother column of one individual on this path"),
                    family=family_id,
                )
    founders = sum(1 for p in people.values() if p.father_id is None and p.mother_id is None)
    depth = max(depth_of.values(), default=0)
    return FamilyCheck(family_id, len(people), founders, depth, depth_of)


def check_pedigrees(
    records: Iterable[PedigreeRecord], report: Report, *, strict: bool = False
) -> list[FamilyCheck]:
    """Check every family in ``records``; issues go to ``report`` and to each family's check."""
    families: dict[str, list[PedigreeRecord]] = defaultdict(list)
    for record in records:
        families[record.family_id].append(record)
    checks = []
    for family_id, lines in families.items():
        family_report = Report()
        check = _check_family(family_id, lines, family_report)
        issues = family_report.issues
        if strict:
            issues = [
                Issue(i.code, Severity.ERROR, i.origin, i.problem, i.fix, i.field, i.family)
                for i in issues
            ]
        check.issues = issues
        report.extend(issues)
        checks.append(check)
    return checks
