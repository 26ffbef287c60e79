"""Declaring, checking, reviewing and registering important genetic pedigrees and the
resources of populations of specific regions.

The institution that finds a family or a specific-region population declares it (IR Art. 26;
regulations.md CN-SUR-7); hgr gathers the evidence it can check by itself; the province
reviews the declaration and the nation registers it (IR Arts. 24-25). A registered entry is
**protected**: the policy engine treats its data as an important pedigree or specific-region
resource (CN-05 collection licence, CN-13 security review before provision abroad).

Evidence gathered on declaring a pedigree:

* affected members across at least three generations (the registry's pedigree affections for
  the declared condition);
* the condition is not on the exclusion list of common conditions (configurable; by default
  hypertension, diabetes, red-green colour blindness, haemophilia);
* when the family's members are genotyped, the relatedness engine's verification of the
  declared relationships (no wrong parent, swap or duplicate; Mendelian error rates).

Evidence gathered on declaring a specific-region population: how many of the institution's
donors belong to the population, how many of those live in the region, and their samples.
The regulations set no size for such a resource; a declaration needs at least one donor of the
population resident in the region, and the province judges the rest.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.catalogue.models import CatalogueEntry, CatalogueStatus
from hgr.config import EXCLUDED_CONDITIONS
from hgr.dates import utc_now
from hgr.exceptions import Conflict, NotFound, ValidationFailed
from hgr.issues import Issue, Origin, Severity
from hgr.lifecycle import Lifecycle, step
from hgr.pedigree.drawing import DrawnPerson, draw_pedigree
from hgr.registry import models as m
from hgr.registry.families import family_members
from hgr.registry.regions import province_codes
from hgr.relatedness.pedigree_check import FamilyReport
from hgr.spreadsheets import safe_record
from hgr.vocabulary import AffectedStatus, Sex

__all__ = [
    "DEFAULT_EXCLUDED",
    "KINDS",
    "MIN_AFFECTED_GENERATIONS",
    "catalogue_entries",
    "declare_pedigree",
    "declare_region",
    "draw_entry",
    "entries_csv",
    "entries_json",
    "find_entry",
    "is_protected",
    "protected_numbers",
    "register",
    "review",
    "summary",
]

MIN_AFFECTED_GENERATIONS = 3
KINDS = ("pedigree", "region")
NUMBER_PREFIX = {"pedigree": "HGP", "region": "HGS"}  # registration numbers by kind
DEFAULT_EXCLUDED = EXCLUDED_CONDITIONS  # replaced per node by [catalogue] excluded

_C = CatalogueStatus
LIFECYCLE = Lifecycle(
    CatalogueStatus,
    {
        (_C.DECLARED, "approve"): _C.PROVINCE_APPROVED,
        (_C.DECLARED, "reject"): _C.PROVINCE_REJECTED,
        (_C.PROVINCE_APPROVED, "register"): _C.REGISTERED,
        (_C.PROVINCE_APPROVED, "reject"): _C.REJECTED,
    },
    action="catalogue",
    refused="E_CATALOGUE_STATE",
)
REDECLARABLE = {_C.DECLARED, _C.PROVINCE_REJECTED, _C.REJECTED}


def _excluded(condition: str, label: str, excluded: Sequence[str]) -> str | None:
    for term in excluded:
        if term.upper() == condition.upper() or (":" not in term and term.lower() in label.lower()):
            return term
    return None


def _family(session: Session, institution: str, family: str) -> tuple[m.Institution, m.Family]:
    found = session.execute(
        select(m.Institution, m.Family)
        .join(m.Family, m.Family.institution_id == m.Institution.id)
        .where(m.Institution.code == institution, m.Family.code == family)
    ).first()
    if found is None:
        raise NotFound(f"no family {family!r} registered for {institution}", code="E_NO_FAMILY")
    return found[0], found[1]


def _genotype_evidence(verification: FamilyReport | None) -> dict[str, Any]:
    if verification is None:
        return {"checked": False}
    rates = [t.errors / t.sites for t in verification.trios if t.sites]
    return {
        "checked": True,
        "ok": verification.ok,
        "flags": [
            {"kind": str(f.kind), "samples": list(f.samples), "evidence": f.evidence}
            for f in verification.flags
        ],
        "pairs": len(verification.pairs),
        "not_genotyped": list(verification.not_genotyped),
        "max_mendelian_error_rate": max(rates) if rates else None,
    }


def declare_pedigree(
    session: Session,
    by: Actor,
    institution: str,
    family: str,
    *,
    trait: str = "",
    verification: FamilyReport | None = None,
    excluded: Sequence[str] = DEFAULT_EXCLUDED,
) -> CatalogueEntry:
    """Declare a registered family as an important pedigree, with the evidence hgr checks.

    A declaration that was not yet accepted may be made again (new evidence replaces the old);
    one under review or registered may not. Raises NotFound for an unknown family and
    ValidationFailed for a family that names no condition.
    """
    owner, found = _family(session, institution, family)
    if not found.condition:
        raise ValidationFailed(
            f"family {family} names no condition",
            [
                Issue(
                    "E_CATALOGUE_CONDITION",
                    Severity.ERROR,
                    Origin("families", None, f"/{family}"),
                    "an important pedigree is declared for a condition or trait",
                    "register the family's condition (families.csv `condition`)",
                )
            ],
            code="E_CATALOGUE_CONDITION",
        )
    P, A = m.PedigreeMember, m.PedigreeAffection
    members = session.scalar(select(P.id).where(P.family_id == found.id).limit(1))
    affected = session.execute(
        select(P.id, P.generation)
        .join(A, A.member_id == P.id)
        .where(
            P.family_id == found.id,
            A.condition == found.condition,
            A.status == AffectedStatus.AFFECTED,
        )
    ).all()
    generations = len({g for _, g in affected})
    exclusion = _excluded(found.condition, found.condition_label or "", excluded)
    genotype = _genotype_evidence(verification)
    evidence = {
        "affected_generations": generations,
        "affected_generations_rule": generations >= MIN_AFFECTED_GENERATIONS,
        "excluded_condition": exclusion,
        "genotype": genotype,
        "members_registered": members is not None,
    }
    evidence["criteria_met"] = bool(
        evidence["affected_generations_rule"] and exclusion is None and genotype.get("ok", True)
    )
    entry = session.scalar(
        select(CatalogueEntry).where(
            CatalogueEntry.kind == "pedigree",
            CatalogueEntry.institution == institution,
            CatalogueEntry.subject == family,
        )
    )
    values = {
        "province": province_codes(session).get(owner.region_id or -1, "unknown"),
        "region": None,
        "condition": found.condition,
        "trait": trait or found.condition_label or found.condition,
        "generations": found.generations,
        "affected": len({member for member, _ in affected}),
        "evidence": evidence,
        "pedigree": _drawn_family(session, found),
    }
    return _keep_declaration(session, by, entry, "pedigree", institution, family, values)


def _keep_declaration(
    session: Session,
    by: Actor,
    entry: CatalogueEntry | None,
    kind: str,
    institution: str,
    subject: str,
    values: dict[str, Any],
) -> CatalogueEntry:
    """A new or renewed declaration (one not yet accepted), with its evidence, audited."""
    now = utc_now()
    if entry is not None and entry.status not in REDECLARABLE:
        raise Conflict(
            f"{kind} {subject} of {institution} is {entry.status}: it cannot be declared again",
            code="E_CATALOGUE_STATE",
        )
    values = {
        **values,
        "status": CatalogueStatus.DECLARED.value,
        "updated_at": now,
        "declaration": None,
    }
    if entry is None:
        entry = CatalogueEntry(
            kind=kind,
            institution=institution,
            subject=subject,
            declared_at=now,
            review_note="",
            protected=False,
            **values,
        )
        session.add(entry)
    else:
        for name, value in values.items():
            setattr(entry, name, value)
    try:
        session.flush()
    except IntegrityError as exc:  # the same subject declared by another request meanwhile
        raise Conflict(
            f"{kind} {subject} of {institution} was declared by another request at "
            "the same time; nothing was written",
            code="E_CATALOGUE_STATE",
        ) from exc
    detail = {
        "condition": entry.condition,
        "region": entry.region,
        "criteria_met": entry.evidence["criteria_met"],
    }
    record(
        session, by, "catalogue.declare", f"catalogue/{kind}/{institution}/{subject}", detail=detail
    )
    return entry


def declare_region(
    session: Session,
    by: Actor,
    institution: str,
    population: str,
    region: str,
    *,
    trait: str,
) -> CatalogueEntry:
    """Declare the institution's resources of ``population`` in ``region`` as a specific-region
    resource, with the donor counts hgr can check.

    ``trait`` says what makes the population's resources important (isolation, adaptation,
    founder effects). An institution declares a population once, in one region. Raises
    NotFound for an unknown institution or region and ValidationFailed without a trait.
    """
    owner = session.scalar(select(m.Institution).where(m.Institution.code == institution))
    if owner is None:
        raise NotFound(f"no institution {institution}", code="E_NO_INSTITUTION")
    place = session.scalar(select(m.Region).where(m.Region.code == region))
    if place is None:
        raise NotFound(f"no region {region} in the node's region list", code="E_UNKNOWN_REGION")
    if not trait.strip():
        raise ValidationFailed(
            "a specific-region resource is declared with what makes it important",
            [],
            code="E_CATALOGUE_TRAIT",
        )
    provinces = province_codes(session)
    # The region may be a province or a prefecture: a donor resident anywhere inside counts.
    inside = {rid for rid, code in provinces.items() if code == region} | {place.id}
    D = m.Donor
    rows = session.execute(
        select(D.id, D.residence_region_id).where(
            D.institution_id == owner.id, func.lower(D.population) == population.lower()
        )
    ).all()
    resident = [donor for donor, lives in rows if lives in inside]
    samples = (
        session.scalar(select(func.count(m.Sample.id)).where(m.Sample.donor_id.in_(resident)))
        if resident
        else 0
    )
    evidence = {
        "population_donors": len(rows),
        "resident_donors": len(resident),
        "resident_samples": samples or 0,
        "criteria_met": bool(resident),
    }
    entry = session.scalar(
        select(CatalogueEntry).where(
            CatalogueEntry.kind == "region",
            CatalogueEntry.institution == institution,
            CatalogueEntry.subject == population,
        )
    )
    values = {
        "province": provinces.get(owner.region_id or -1, "unknown"),
        "region": region,
        "condition": None,
        "trait": trait.strip(),
        "generations": 0,
        "affected": 0,
        "evidence": evidence,
        "pedigree": None,
    }
    return _keep_declaration(session, by, entry, "region", institution, population, values)


def find_entry(
    session: Session, institution: str, subject: str, kind: str = "pedigree"
) -> CatalogueEntry:
    entry = session.scalar(
        select(CatalogueEntry).where(
            CatalogueEntry.kind == kind,
            CatalogueEntry.institution == institution,
            CatalogueEntry.subject == subject,
        )
    )
    if entry is None:
        raise NotFound(
            f"no catalogue entry for {kind} {subject} of {institution}", code="E_NO_ENTRY"
        )
    return entry


def _step(session: Session, by: Actor, entry: CatalogueEntry, name: str, note: str) -> None:
    done = {"approve": "approved", "reject": "rejected", "register": "registered"}[name]
    step(
        session,
        by,
        LIFECYCLE,
        entry,
        name,
        target=f"catalogue/{entry.kind}/{entry.institution}/{entry.subject}",
        refusal=f"{entry.kind} {entry.subject} of {entry.institution} is {entry.status}: "
        f"it cannot be {done} now",
        detail={"note": note},
        fields={"review_note": note},
    )


def review(
    session: Session, by: Actor, entry: CatalogueEntry, *, approve: bool, note: str = ""
) -> CatalogueEntry:
    """The province's review. Approving a declaration whose evidence falls short needs a note
    saying why (the reviewers may know what hgr cannot check); rejecting always does."""
    if (not approve or not entry.evidence.get("criteria_met")) and not note.strip():
        raise ValidationFailed(
            "a rejection, or an approval against the evidence, gives its reasons",
            [],
            code="E_CATALOGUE_NOTE",
        )
    _step(session, by, entry, "approve" if approve else "reject", note)
    return entry


def register(
    session: Session, by: Actor, entry: CatalogueEntry, *, approve: bool = True, note: str = ""
) -> CatalogueEntry:
    """The nation's decision: registration (numbered, protected) or rejection (with reasons)."""
    if not approve:
        if not note.strip():
            raise ValidationFailed("a rejection gives its reasons", [], code="E_CATALOGUE_NOTE")
        _step(session, by, entry, "reject", note)
        return entry
    _step(session, by, entry, "register", note)
    entry.number = f"{NUMBER_PREFIX[entry.kind]}-{entry.updated_at.year}-{entry.id:06d}"
    entry.protected = True
    return entry


def catalogue_entries(
    session: Session, *, registered_only: bool = False, institution: str | None = None
) -> list[CatalogueEntry]:
    """Every catalogue entry in the order it was declared (only the registered ones when
    ``registered_only``; only ``institution``'s when given)."""
    query = select(CatalogueEntry).order_by(CatalogueEntry.id)
    if registered_only:
        query = query.where(CatalogueEntry.status == CatalogueStatus.REGISTERED.value)
    if institution is not None:
        query = query.where(CatalogueEntry.institution == institution)
    return list(session.scalars(query))


def protected_numbers(session: Session) -> list[str]:
    """The registration numbers of the entries the catalogue protects."""
    return list(
        session.scalars(
            select(CatalogueEntry.number)
            .where(CatalogueEntry.protected)
            .order_by(CatalogueEntry.number)
        )
    )


def is_protected(session: Session, institution: str, subject: str, kind: str = "pedigree") -> bool:
    """Whether the resource is a registered, protected catalogue entry (for the policy engine)."""
    return bool(
        session.scalar(
            select(CatalogueEntry.protected).where(
                CatalogueEntry.kind == kind,
                CatalogueEntry.institution == institution,
                CatalogueEntry.subject == subject,
            )
        )
    )


def summary(session: Session) -> dict[str, Any]:
    """Entries by kind and stage, and registered entries by province and kind: the catalogue
    as the national survey report states it (counts only, no family or institution named)."""
    stage = {
        "declared": "under_review",
        "province_approved": "under_review",
        "registered": "registered",
        "province_rejected": "rejected",
        "rejected": "rejected",
    }
    totals = {kind: dict.fromkeys(("registered", "under_review", "rejected"), 0) for kind in KINDS}
    by_province: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(CatalogueEntry.kind, CatalogueEntry.status, CatalogueEntry.province)
    )
    for kind, status, province in rows:
        totals[kind][stage[status]] += 1
        if status == "registered":
            counts = by_province.setdefault(province, dict.fromkeys(KINDS, 0))
            counts[kind] += 1
    return {"totals": totals, "registered_by_province": dict(sorted(by_province.items()))}


EXPORT_COLUMNS = (
    "number",
    "kind",
    "institution",
    "province",
    "subject",
    "region",
    "condition",
    "trait",
    "generations",
    "affected",
    "status",
    "protected",
    "criteria_met",
    "affected_generations",
    "excluded_condition",
    "genotype_checked",
    "genotype_ok",
    "resident_donors",
)


def _row(entry: CatalogueEntry) -> dict[str, Any]:
    evidence = entry.evidence
    genotype = evidence.get("genotype", {})
    return {
        "number": entry.number,
        "kind": entry.kind,
        "institution": entry.institution,
        "province": entry.province,
        "subject": entry.subject,
        "region": entry.region,
        "condition": entry.condition,
        "trait": entry.trait,
        "generations": entry.generations,
        "affected": entry.affected,
        "status": entry.status,
        "protected": entry.protected,
        "criteria_met": evidence.get("criteria_met"),
        "affected_generations": evidence.get("affected_generations"),
        "excluded_condition": evidence.get("excluded_condition"),
        "genotype_checked": genotype.get("checked"),
        "genotype_ok": genotype.get("ok"),
        "resident_donors": evidence.get("resident_donors"),
    }


def entries_json(entries: Sequence[CatalogueEntry]) -> str:
    """The entries as a JSON array, evidence included."""
    return (
        json.dumps(
            [_row(e) | {"evidence": e.evidence, "review_note": e.review_note} for e in entries],
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def entries_csv(entries: Sequence[CatalogueEntry]) -> str:
    """The entries as CSV, one row each, every text cell safe to open in a spreadsheet
    (hgr.spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for entry in entries:
        writer.writerow(safe_record(_row(entry)))
    return buffer.getvalue()


def _drawn_family(session: Session, family: m.Family) -> list[dict[str, Any]]:
    """The family as the drawing needs it: members known by their place in it (never by
    pseudonym or source id), sex, parents, affection for the family's condition, whether
    deceased, and the proband."""
    return [
        {
            "id": p.place,
            "sex": str(p.sex),
            "father": p.father,
            "mother": p.mother,
            "affected": str(p.affected),
            "deceased": p.deceased,
            "proband": p.proband,
        }
        for p in family_members(session, family)
    ]


def draw_entry(entry: CatalogueEntry) -> str:
    """A declared pedigree as SVG in standard notation, from the family as declared (so any
    node that holds the entry can draw it). Raises ValidationFailed for an entry without one."""
    if not entry.pedigree:
        raise ValidationFailed(
            f"{entry.kind} {entry.subject} of {entry.institution} has no pedigree to draw",
            [],
            code="E_CATALOGUE_DRAWING",
        )
    people = [
        DrawnPerson(
            p["id"],
            Sex(p["sex"]),
            p.get("father"),
            p.get("mother"),
            AffectedStatus(p["affected"]),
            deceased=bool(p.get("deceased")),
            proband=bool(p.get("proband")),
        )
        for p in entry.pedigree
    ]
    title = f"{entry.number or entry.subject}: {entry.trait}"
    return draw_pedigree(people, title=title)
