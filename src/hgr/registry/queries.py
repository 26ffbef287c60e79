"""Read-only views of the registry: listings with filters and paging, detail records, summaries.

Every entity is described once (:data:`ENTITIES`) as a set of labelled columns over its table and
the tables it joins, with its natural key. The CLI and the HTTP API both read through here, so a
listing looks the same everywhere and row scoping (which institutions a caller may see) is applied
in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Collection as Many
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Enum, Select, String, bindparam, func, inspect, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.util import find_tables

from hgr.db import Base
from hgr.exceptions import NotFound, ValidationFailed
from hgr.issues import Issue, Origin, Severity
from hgr.registry import models as m
from hgr.vocabulary import ConsentStatus

__all__ = ["ENTITIES", "Entity", "count_summary", "list_entities", "show_entity"]

_Father = aliased(m.PedigreeMember)
_Mother = aliased(m.PedigreeMember)
_FatherDonor = aliased(m.Donor)
_MotherDonor = aliased(m.Donor)
_Residence = aliased(m.Region)
_Collection = aliased(m.Collection)


@dataclass(frozen=True)
class Entity:
    """How one registry entity is read.

    ``columns`` maps a label to a column expression; ``joins`` are (target, on-clause) pairs
    joined after ``model``; ``institution`` is the owning institution's code (None for entities
    that belong to no institution) and ``owner`` the column holding its id; ``key`` are the
    labels that name one record.
    """

    name: str
    model: type[Base]
    key: tuple[str, ...]
    columns: Mapping[str, Any]
    joins: tuple[tuple[Any, Any], ...] = ()
    outer_joins: tuple[tuple[Any, Any], ...] = ()
    filters: tuple[str, ...] = ()
    institution: Any = None
    owner: Any = None
    detail_only: frozenset[str] = field(default_factory=frozenset)

    @property
    def list_columns(self) -> list[str]:
        """Labels shown in listings (detail-only columns are left out)."""
        return [c for c in self.columns if c not in self.detail_only]

    def base(self, labels: list[str]) -> Select[Any]:
        """A select of the columns labelled ``labels`` from the entity and its joins."""
        query = select(*(self.columns[c].label(c) for c in labels)).select_from(self.model)
        return self.joined(query)

    def joined(self, query: Select[Any], needed_by: Many[Any] | None = None) -> Select[Any]:
        """``query`` (whose FROM holds the entity's table) with the tables it joins.

        Given ``needed_by`` (conditions), only the joins those conditions reach. Every join
        looks up one row by its primary key through a required foreign key (for inner joins;
        a test holds every entity to this), so a join left out neither adds nor drops rows.
        """
        joins = [(t, on, False) for t, on in self.joins]
        joins += [(t, on, True) for t, on in self.outer_joins]
        if needed_by is not None:
            tables = {
                t
                for c in needed_by
                for t in find_tables(c, include_aliases=True, check_columns=True)
            }
            kept = []
            for target, on, outer in reversed(joins):
                if inspect(target).selectable in tables:
                    kept.append((target, on, outer))
                    tables.update(find_tables(on, include_aliases=True, check_columns=True))
            joins = kept[::-1]
        for target, on, outer in joins:
            query = query.outerjoin(target, on) if outer else query.join(target, on)
        return query


_I = m.Institution

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "regions",
            m.Region,
            ("code",),
            {
                "country": m.Region.country,
                "code": m.Region.code,
                "name": m.Region.name,
                "name_local": m.Region.name_local,
                "level": m.Region.level,
            },
            filters=("country", "level"),
        ),
        Entity(
            "institutions",
            _I,
            ("code",),
            {
                "code": _I.code,
                "name": _I.name,
                "kind": _I.kind,
                "country": _I.country,
                "region": m.Region.code,
                "control": _I.control,
                "foreign_equity_pct": _I.foreign_equity_pct,
                "foreign_voting_pct": _I.foreign_voting_pct,
                "control_by_agreement": _I.control_by_agreement,
                "controlling_party": _I.controlling_party,
                "legal_person_id": _I.legal_person_id,
            },
            outer_joins=((m.Region, m.Region.id == _I.region_id),),
            filters=("kind", "country", "region", "control"),
            institution=_I.code,
            owner=_I.id,
            detail_only=frozenset(
                {
                    "foreign_voting_pct",
                    "control_by_agreement",
                    "controlling_party",
                    "legal_person_id",
                }
            ),
        ),
        Entity(
            "collections",
            m.Collection,
            ("institution", "code"),
            {
                "institution": _I.code,
                "code": m.Collection.code,
                "name": m.Collection.name,
                "material_types": m.Collection.material_types,
                "data_categories": m.Collection.data_categories,
                "duo_codes": m.Collection.duo_codes,
                "disease_focus": m.Collection.disease_focus,
                "target_size": m.Collection.target_size,
                "description": m.Collection.description,
            },
            joins=((_I, _I.id == m.Collection.institution_id),),
            filters=("institution",),
            institution=_I.code,
            owner=m.Collection.institution_id,
            detail_only=frozenset({"disease_focus", "target_size", "description"}),
        ),
        Entity(
            "donors",
            m.Donor,
            ("institution", "pseudonym"),
            {
                "institution": _I.code,
                "pseudonym": m.Donor.pseudonym,
                "sex": m.Donor.sex,
                "birth_year": m.Donor.birth_year,
                "population": m.Donor.population,
                "residence": _Residence.code,
                "vital_status": m.Donor.vital_status,
            },
            joins=((_I, _I.id == m.Donor.institution_id),),
            outer_joins=((_Residence, _Residence.id == m.Donor.residence_region_id),),
            filters=("institution", "sex", "population", "residence", "birth_year"),
            institution=_I.code,
            owner=m.Donor.institution_id,
            detail_only=frozenset({"vital_status"}),
        ),
        Entity(
            "samples",
            m.Sample,
            ("institution", "code"),
            {
                "institution": _I.code,
                "code": m.Sample.code,
                "donor": m.Donor.pseudonym,
                "collection": _Collection.code,
                "material_type": m.Sample.material_type,
                "collection_date": m.Sample.collection_date,
                "storage_status": m.Sample.storage_status,
            },
            joins=(
                (_I, _I.id == m.Sample.institution_id),
                (m.Donor, m.Donor.id == m.Sample.donor_id),
            ),
            outer_joins=((_Collection, _Collection.id == m.Sample.collection_id),),
            filters=("institution", "donor", "collection", "material_type", "storage_status"),
            institution=_I.code,
            owner=m.Sample.institution_id,
        ),
        Entity(
            "consents",
            m.Consent,
            ("institution", "donor", "document_version"),
            {
                "institution": _I.code,
                "donor": m.Donor.pseudonym,
                "document_version": m.Consent.document_version,
                "permission": m.Consent.permission,
                "disease": m.Consent.disease,
                "modifiers": m.Consent.modifiers,
                "countries": m.Consent.countries,
                "time_limit": m.Consent.time_limit,
                "signed_on": m.Consent.signed_on,
                "status": m.Consent.status,
                "withdrawn_on": m.Consent.withdrawn_on,
                "document_sha256": m.Consent.document_sha256,
            },
            joins=(
                (m.Donor, m.Donor.id == m.Consent.donor_id),
                (_I, _I.id == m.Donor.institution_id),
            ),
            filters=("institution", "donor", "permission", "status"),
            institution=_I.code,
            owner=m.Donor.institution_id,
            detail_only=frozenset({"countries", "time_limit", "signed_on", "document_sha256"}),
        ),
        Entity(
            "ethics",
            m.EthicsApproval,
            ("institution", "committee", "reference"),
            {
                "institution": _I.code,
                "committee": m.EthicsApproval.committee,
                "reference": m.EthicsApproval.reference,
                "valid_from": m.EthicsApproval.valid_from,
                "valid_to": m.EthicsApproval.valid_to,
                "scope": m.EthicsApproval.scope,
            },
            joins=((_I, _I.id == m.EthicsApproval.institution_id),),
            filters=("institution", "committee"),
            institution=_I.code,
            owner=m.EthicsApproval.institution_id,
        ),
        Entity(
            "families",
            m.Family,
            ("institution", "code"),
            {
                "institution": _I.code,
                "code": m.Family.code,
                "condition": m.Family.condition,
                "condition_label": m.Family.condition_label,
                "generations": m.Family.generations,
                "description": m.Family.description,
            },
            joins=((_I, _I.id == m.Family.institution_id),),
            filters=("institution", "condition", "generations"),
            institution=_I.code,
            owner=m.Family.institution_id,
            detail_only=frozenset({"description"}),
        ),
        Entity(
            "members",
            m.PedigreeMember,
            ("institution", "family", "donor"),
            {
                "institution": _I.code,
                "family": m.Family.code,
                "donor": m.Donor.pseudonym,
                "sex": m.Donor.sex,
                "father": _FatherDonor.pseudonym,
                "mother": _MotherDonor.pseudonym,
                "generation": m.PedigreeMember.generation,
            },
            joins=(
                (m.Family, m.Family.id == m.PedigreeMember.family_id),
                (_I, _I.id == m.Family.institution_id),
                (m.Donor, m.Donor.id == m.PedigreeMember.donor_id),
            ),
            outer_joins=(
                (_Father, _Father.id == m.PedigreeMember.father_id),
                (_FatherDonor, _FatherDonor.id == _Father.donor_id),
                (_Mother, _Mother.id == m.PedigreeMember.mother_id),
                (_MotherDonor, _MotherDonor.id == _Mother.donor_id),
            ),
            filters=("institution", "family", "donor", "generation"),
            institution=_I.code,
            owner=m.Family.institution_id,
        ),
        Entity(
            "files",
            m.DataFile,
            ("institution", "location"),
            {
                "institution": _I.code,
                "location": m.DataFile.location,
                "kind": m.DataFile.kind,
                "size_bytes": m.DataFile.size_bytes,
                "sha256": m.DataFile.sha256,
                "encryption": m.DataFile.encryption,
                "collection": _Collection.code,
            },
            joins=((_I, _I.id == m.DataFile.institution_id),),
            outer_joins=((_Collection, _Collection.id == m.DataFile.collection_id),),
            filters=("institution", "kind", "encryption", "collection"),
            institution=_I.code,
            owner=m.DataFile.institution_id,
            detail_only=frozenset({"sha256"}),
        ),
    ]
}


def entity(name: str) -> Entity:
    """The entity called ``name``, or NotFound listing the names there are."""
    try:
        return ENTITIES[name]
    except KeyError:
        raise NotFound(
            f"no entity called {name!r}: use one of {', '.join(ENTITIES)}", code="E_ENTITY"
        ) from None


def _scope(
    session: Session, spec: Entity, visible: Many[str] | None, params: dict[str, Any]
) -> bool:
    """Whether rows are restricted to the ``visible`` institutions, whose ids go into
    ``params`` as ``scope_ids``.

    ``visible`` None means all. Entities that belong to no institution (regions) are public
    reference data. The codes are turned into ids first so that the planner filters the
    owning column with its own statistics.
    """
    if visible is None or spec.institution is None:
        return False
    params["scope_ids"] = institution_ids(session, visible)
    return True


def institution_ids(session: Session, codes: Many[str]) -> list[int]:
    """The ids of the institutions registered under ``codes`` (unknown codes have none).

    An institution keeps its id for life (none is ever deleted), so the ids are remembered
    on the pooled connection: every scoped request asks for them, and a query per request
    for a fact that never changes would cost as much as the page itself.
    """
    known: dict[str, int] = session.connection().info.setdefault("hgr.institution_ids", {})
    missing = sorted(c for c in codes if c not in known)
    if missing:
        rows = session.execute(select(_I.code, _I.id).where(_I.code.in_(missing)))
        known.update((code, id_) for code, id_ in rows)
    return sorted(known[c] for c in codes if c in known)


def _check_filter(spec: Entity, name: str, value: str) -> None:
    if name not in spec.filters:
        raise _bad_filter(spec, name, f"unknown filter {name!r}", spec.filters)
    column = spec.columns[name]
    if isinstance(column.type, Enum) and value not in column.type.enums:
        raise _bad_filter(spec, name, f"{value!r} is not a {name}", column.type.enums)


def filter_choices(spec: Entity, name: str) -> tuple[str, ...] | None:
    """The values a filter can take when it is a controlled vocabulary, else None."""
    column = spec.columns[name]
    return tuple(column.type.enums) if isinstance(column.type, Enum) else None


def _bad_filter(spec: Entity, name: str, problem: str, choices: Many[str]) -> ValidationFailed:
    issue = Issue(
        "E_FILTER",
        Severity.ERROR,
        Origin("query"),
        problem,
        f"use one of: {', '.join(choices) or 'none'}",
        field=name,
    )
    return ValidationFailed(f"{spec.name}: {problem}", [issue], code="E_FILTER")


def _as_text(column: Any) -> Any:
    # Filters and keys arrive as text (query strings, command arguments); compare non-text
    # columns (years, generations, vocabularies) through a cast rather than guessing types.
    return column if isinstance(column.type, String) else func.cast(column, String)


COUNT_CAP = 1_000
"""Totals are counted up to here and reported as "more than" beyond (as search engines do):
an exact count of millions of rows would cost more than the page it comes with."""


class Listing(NamedTuple):
    """One page of rows; ``total`` matches in all, exact unless ``exact`` is False, in which
    case there are more than ``total``."""

    spec: Entity
    rows: list[dict[str, Any]]
    total: int
    exact: bool


def list_entities(
    session: Session,
    name: str,
    *,
    filters: Mapping[str, str] | None = None,
    visible: Many[str] | None = None,
    limit: int = 50,
    offset: int = 0,
    prefix: str | None = None,
) -> Listing:
    """One page of an entity's rows, in the order they were registered, and how many match.

    Registration order (the primary key) keeps paging stable while records are added and
    costs an index walk of one page, however large the table.

    ``filters`` are equality tests on the entity's filterable labels (``institution``, ``sex``,
    …); ``visible`` restricts rows to those institutions' records; ``prefix`` searches the last
    part of the natural key (a code, pseudonym or reference) by its beginning.
    """
    spec = entity(name)
    filters = filters or {}
    for label, value in filters.items():
        _check_filter(spec, label, value)
    params: dict[str, Any] = {f"f_{label}": value for label, value in filters.items()}
    scoped = _scope(session, spec, visible, params)
    page, count = _listing(name, tuple(sorted(filters)), scoped, bool(prefix))
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["key_prefix"] = escaped + "%"
    params["count_cap"] = COUNT_CAP + 1
    connection = session.connection()
    result = connection.execute(page, {**params, "page_limit": limit, "page_offset": offset})
    *labels, _ = result.keys()  # the last column is the count of matches
    found = result.all()
    rows = [dict(zip(labels, row, strict=False)) for row in found]
    if found:
        counted = found[0][-1]
    elif offset == 0:
        counted = 0
    else:  # past the end: the page is empty, and the total is still asked for
        counted = connection.execute(count, params).scalar_one()
    if len(rows) < limit and rows:
        return Listing(spec, rows, offset + len(rows), True)  # the last page: exact
    return Listing(spec, rows, min(counted, COUNT_CAP), counted <= COUNT_CAP)


@functools.lru_cache(maxsize=2048)
def _listing(
    name: str, filters: tuple[str, ...], scoped: bool, prefixed: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page and count statements for one shape of listing, built once.

    Every request of a shape runs the same statement objects with new parameters, so that
    SQLAlchemy neither rebuilds nor re-keys them (building a select of joined, labelled
    columns cost several times what the database spends answering it).

    The page picks its rows' ids first, joining only what the conditions need, and joins the
    shown columns for those rows alone: an offset deep into a table then skips bare ids
    rather than joined rows. The count of matches (at most ``count_cap``) rides along as a
    column, so a full page costs one statement.
    """
    spec = ENTITIES[name]
    conditions = []
    for label in filters:
        conditions.append(_as_text(spec.columns[label]) == bindparam(f"f_{label}"))
    if scoped:
        conditions.append(spec.owner.in_(bindparam("scope_ids", expanding=True)))
    if prefixed:
        key = _as_text(spec.columns[spec.key[-1]])
        conditions.append(key.like(bindparam("key_prefix"), escape="\\"))
    order = spec.model.id  # type: ignore[attr-defined]
    matching = spec.joined(select(order), needed_by=conditions).where(*conditions)
    matches = (
        select(func.count())
        .select_from(matching.limit(bindparam("count_cap")).subquery())
        .scalar_subquery()
    )
    ids = (
        matching.order_by(order)
        .limit(bindparam("page_limit"))
        .offset(bindparam("page_offset"))
        .subquery("page")
    )
    page: Select[Any] = select(
        *(spec.columns[c].label(c) for c in spec.list_columns), matches.label("__matches")
    ).select_from(ids)
    page = spec.joined(page.join(spec.model, order == ids.c.id)).order_by(ids.c.id)
    count: Select[Any] = select(matches)
    return page, count


def show_entity(
    session: Session,
    name: str,
    key: Mapping[str, str],
    *,
    visible: Many[str] | None = None,
) -> dict[str, Any]:
    """Every column of the one record whose natural key is ``key``.

    Key parts may be left out when the rest names one record (``institution`` on a node that
    holds one institution); if they then name several, the error says which part to add.
    """
    spec = entity(name)
    unknown = set(key) - set(spec.key)
    if unknown:
        raise NotFound(
            f"{name} records are named by {', '.join(spec.key)}, not {', '.join(sorted(unknown))}",
            code="E_KEY",
        )
    params: dict[str, Any] = {f"k_{part}": value for part, value in key.items()}
    scoped = _scope(session, spec, visible, params)
    query = _record(name, tuple(sorted(key)), scoped)
    found = session.connection().execute(query, params).mappings().all()
    if not found:
        shown = ", ".join(f"{k}={v}" for k, v in key.items())
        raise NotFound(f"no {name} record with {shown}", code="E_NOT_FOUND")
    if len(found) > 1:
        missing = [k for k in spec.key if k not in key]
        raise NotFound(
            f"{', '.join(f'{v}' for v in key.values())} names several {name} records: "
            f"also give {', '.join(missing)}",
            code="E_AMBIGUOUS",
        )
    detail = dict(found[0])
    if name == "donors":
        detail.update(_donor_terms(session, detail))
    if name == "families":
        detail["members"] = session.scalar(
            select(func.count())
            .select_from(m.PedigreeMember)
            .join(m.Family, m.Family.id == m.PedigreeMember.family_id)
            .join(_I, _I.id == m.Family.institution_id)
            .where(m.Family.code == detail["code"], _I.code == detail["institution"])
        )
    return detail


@functools.lru_cache(maxsize=256)
def _record(name: str, parts: tuple[str, ...], scoped: bool) -> Select[Any]:
    """The statement that finds one record by the key ``parts`` (two rows tell of an
    ambiguous key), built once per shape as :func:`_listing` is."""
    spec = ENTITIES[name]
    query = spec.base(list(spec.columns))
    for part in parts:
        query = query.where(_as_text(spec.columns[part]) == bindparam(f"k_{part}"))
    if scoped:
        query = query.where(spec.owner.in_(bindparam("scope_ids", expanding=True)))
    return query.limit(2)


def _donor_terms(session: Session, donor: Mapping[str, Any]) -> dict[str, list[str]]:
    owner = (
        select(m.Donor.id)
        .join(_I, _I.id == m.Donor.institution_id)
        .where(m.Donor.pseudonym == donor["pseudonym"], _I.code == donor["institution"])
        .scalar_subquery()
    )
    phenotypes = session.execute(
        select(m.DonorPhenotype.term_id, m.DonorPhenotype.excluded)
        .where(m.DonorPhenotype.donor_id == owner)
        .order_by(m.DonorPhenotype.term_id)
    ).all()
    diagnoses = session.scalars(
        select(m.DonorDiagnosis.term_id)
        .where(m.DonorDiagnosis.donor_id == owner)
        .order_by(m.DonorDiagnosis.term_id)
    ).all()
    return {
        "phenotypes": [("NOT " if excluded else "") + term for term, excluded in phenotypes],
        "diagnoses": list(diagnoses),
    }


def count_summary(session: Session, *, visible: Many[str] | None = None) -> list[dict[str, Any]]:
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
    query = select(_I).order_by(_I.code)
    if visible is not None:
        query = query.where(_I.code.in_(sorted(visible)))
    summary = []
    for institution in session.scalars(query):
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
