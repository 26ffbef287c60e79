"""A registered family's members as a pedigree: who is whose child, who is affected by the
family's condition, who has died, and who the proband is.

Members are named by their place in the family (``<family>-<n>``, in generation order), so
that a drawing or a catalogue declaration can show the family without naming any donor; the
donor's pseudonym travels beside it for the institution's own pages only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hgr.exceptions import NotFound
from hgr.pedigree.drawing import DrawnPerson
from hgr.registry import models as m
from hgr.vocabulary import AffectedStatus, Sex, VitalStatus

__all__ = ["FamilyMember", "drawn", "family_members", "find_family"]


@dataclass(frozen=True)
class FamilyMember:
    """One member of a family: ``place`` names them within it, ``father`` and ``mother`` by
    their places; ``affected`` is their status for the family's condition."""

    place: str
    donor: str
    sex: Sex
    father: str | None
    mother: str | None
    affected: AffectedStatus
    deceased: bool
    proband: bool
    generation: int


def find_family(session: Session, institution: str, code: str) -> m.Family:
    """The family ``code`` of ``institution``; raises NotFound when it has none."""
    found = session.scalar(
        select(m.Family)
        .join(m.Institution, m.Institution.id == m.Family.institution_id)
        .where(m.Institution.code == institution, m.Family.code == code)
    )
    if found is None:
        raise NotFound(f"no family {code!r} registered for {institution}", code="E_NO_FAMILY")
    return found


def family_members(session: Session, family: m.Family) -> list[FamilyMember]:
    """Every member of ``family``, in generation order."""
    P, A = m.PedigreeMember, m.PedigreeAffection
    rows = session.execute(
        select(
            P.id,
            m.Donor.pseudonym,
            m.Donor.sex,
            P.father_id,
            P.mother_id,
            m.Donor.vital_status,
            P.proband,
            P.generation,
        )
        .join(m.Donor, m.Donor.id == P.donor_id)
        .where(P.family_id == family.id)
        .order_by(P.generation, P.id)
    ).all()
    status = dict(
        session.execute(
            select(A.member_id, A.status)
            .join(P, P.id == A.member_id)
            .where(P.family_id == family.id, A.condition == family.condition)
        ).all()
    )
    place = {row[0]: f"{family.code}-{n}" for n, row in enumerate(rows, start=1)}
    return [
        FamilyMember(
            place=place[member],
            donor=pseudonym,
            sex=Sex(sex),
            father=place.get(father) if father else None,
            mother=place.get(mother) if mother else None,
            affected=AffectedStatus(status.get(member, AffectedStatus.UNKNOWN)),
            deceased=vital == VitalStatus.DECEASED,
            proband=bool(proband),
            generation=generation,
        )
        for member, pseudonym, sex, father, mother, vital, proband, generation in rows
    ]


def drawn(members: list[FamilyMember]) -> list[DrawnPerson]:
    """The members as the pedigree drawing takes them (by place, never by donor)."""
    return [
        DrawnPerson(
            p.place,
            p.sex,
            p.father,
            p.mother,
            p.affected,
            deceased=p.deceased,
            proband=p.proband,
        )
        for p in members
    ]
