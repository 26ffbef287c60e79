"""Read-only views of the registry for listings, detail pages and summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.db import Base
from hgr.exceptions import NotFound
from hgr.registry import models as m
from hgr.registry.vocabulary import ConsentStatus

__all__ = ["ENTITIES", "Entity", "count_summary", "list_entities", "show_entity"]


@dataclass(frozen=True)
class Entity:
    """How one registry entity is listed: its table, natural key and columns to show."""

    name: str
    model: type[Base]
    key: str
    columns: tuple[str, ...]
    institution_scoped: bool = True


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity("regions", m.Region, "code", ("country", "code", "name", "name_local", "level"),
               institution_scoped=False),
        Entity("institutions", m.Institution, "code",
               ("code", "name", "kind", "country", "control", "foreign_equity_pct"),
               institution_scoped=False),
        Entity("collections", m.Collection, "code",
               ("code", "name", "material_types", "data_categories", "duo_codes")),
        Entity("donors", m.Donor, "pseudonym", ("pseudonym", "sex", "birth_year", "population")),
        Entity("samples", m.Sample, "code",
               ("code", "material_type", "collection_date", "storage_status")),
        Entity("ethics", m.EthicsApproval, "reference",
               ("committee", "reference", "valid_from", "valid_to")),
        Entity("families", m.Family, "code",
               ("code", "condition", "condition_label", "generations")),
        Entity("files", m.DataFile, "location",
               ("location", "kind", "size_bytes", "encryption")),
    ]
}  # fmt: skip


def _entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise NotFound(
            f"no entity called {name!r}: use one of {', '.join(ENTITIES)}", code="E_ENTITY"
        ) from None


def _institution_id(session: Session, code: str) -> int:
    found = session.scalar(select(m.Institution.id).where(m.Institution.code == code))
    if found is None:
        raise NotFound(f"institution {code} is not registered", code="E_UNKNOWN_INSTITUTION")
    return found


def list_entities(
    session: Session, name: str, *, institution: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Entity, list[dict[str, Any]], int]:
    """One page of an entity's rows (optionally for one institution) and the total count."""
    entity = _entity(name)
    table = entity.model.__table__
    query = select(entity.model)
    count = select(func.count()).select_from(table)
    if institution and entity.institution_scoped:
        iid = _institution_id(session, institution)
        query = query.where(table.c.institution_id == iid)
        count = count.where(table.c.institution_id == iid)
    key = getattr(entity.model, entity.key)
    rows = session.scalars(query.order_by(key).limit(limit).offset(offset)).all()
    return (
        entity,
        [{c: getattr(r, c) for c in entity.columns} for r in rows],
        session.scalar(count) or 0,
    )


def show_entity(
    session: Session, name: str, key: str, *, institution: str | None = None
) -> dict[str, Any]:
    """Every column of one record, found by its natural key."""
    entity = _entity(name)
    table = entity.model.__table__
    query = select(entity.model).where(getattr(entity.model, entity.key) == key)
    if institution and entity.institution_scoped:
        iid = _institution_id(session, institution)
        query = query.where(table.c.institution_id == iid)
    found = session.scalars(query).all()
    if not found:
        raise NotFound(f"no {name} record {key!r}", code="E_NOT_FOUND")
    if len(found) > 1:
        raise NotFound(
            f"{key!r} names {len(found)} {name} records at different institutions: "
            "add --institution CODE",
            code="E_AMBIGUOUS",
        )
    record = found[0]
    detail = {c.name: getattr(record, c.key) for c in table.columns}
    if isinstance(record, m.Donor):
        detail["phenotypes"] = [
            ("NOT " if p.excluded else "") + p.term_id for p in record.phenotypes
        ]
        detail["diagnoses"] = [d.term_id for d in record.diagnoses]
    if isinstance(record, m.Family):
        detail["members"] = len(record.members)
    return detail


def count_summary(session: Session) -> list[dict[str, Any]]:
    """Per institution: donors, samples, families, consents and withdrawals."""

    def counts(column: Any, *where: Any) -> dict[int, int]:
        query = select(column, func.count()).group_by(column)
        for clause in where:
            query = query.where(clause)
        return dict(session.execute(query).all())

    donors = counts(m.Donor.institution_id)
    samples = counts(m.Sample.institution_id)
    families = counts(m.Family.institution_id)
    consent_join = select(m.Donor.institution_id, func.count()).join(
        m.Consent, m.Consent.donor_id == m.Donor.id
    )
    consents = dict(session.execute(consent_join.group_by(m.Donor.institution_id)).all())
    withdrawn = dict(
        session.execute(
            consent_join.where(m.Consent.status == ConsentStatus.WITHDRAWN).group_by(
                m.Donor.institution_id
            )
        ).all()
    )
    summary = []
    for institution in session.scalars(select(m.Institution).order_by(m.Institution.code)):
        summary.append(
            {
                "institution": institution.code,
                "kind": institution.kind.value,
                "control": institution.control.value,
                "donors": donors.get(institution.id, 0),
                "samples": samples.get(institution.id, 0),
                "families": families.get(institution.id, 0),
                "consents": consents.get(institution.id, 0),
                "withdrawn": withdrawn.get(institution.id, 0),
            }
        )
    return summary
