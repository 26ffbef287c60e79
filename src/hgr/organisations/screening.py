"""An organisation screened against the debarment list through the registry.

The list is consulted for the organisation and for every organisation that controls it,
directly or through others (hgr.organisations.registry), by what the node knows of each:
its registry identifiers and every name it has had, normalised (hgr.organisations.names). A
listed organisation is thus reached whatever identifiers a request declares, under its exact
listed name, and through any subsidiary the registry knows. A name close to a listed one but
not the same is never a silent pass: it is returned as a near miss, with the candidate
listing, for a person to decide (UK Procurement Act 2023 s.62: a debarment reaches the
supplier and those connected to it; regulations.md §3.1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.audit.stamp import cached
from hgr.debarment.cases import in_force
from hgr.debarment.models import ControlRelation, DebarmentEntry, DebarmentStatus
from hgr.debarment.national import held_national_entries
from hgr.organisations.models import Organisation, OrganisationIdentifier, OrganisationName
from hgr.organisations.names import normalise_name
from hgr.organisations.registry import (
    controllers,
    normalise_identifier,
    organisations_of_party,
)

__all__ = ["NEAR_MISS", "NearMiss", "Screening", "screen", "screen_names", "screen_party"]

NEAR_MISS = 88.0  # rapidfuzz's ratio (0-100) from which a different name goes to a person


@dataclass(frozen=True)
class NearMiss:
    """A name of the organisation (or of one that controls it) close to a listed name."""

    entry: str
    listed: str
    name: str
    score: float


@dataclass(frozen=True)
class Screening:
    """What the list says of an organisation: ``none``, ``discretionary`` or ``mandatory``,
    whether a Chinese Art. 43 ban is among the entries, the entries found, and the near
    misses a person must look at."""

    level: str
    cn_ban: bool
    entries: tuple[str, ...]
    near_misses: tuple[NearMiss, ...]


@dataclass(frozen=True)
class _Listed:
    number: str
    organisation: str
    mandatory: bool
    cn_ban: bool


@dataclass(frozen=True)
class _ListIndex:
    """The entries in force on a day, by identifier and by normalised name."""

    by_identifier: dict[str, tuple[_Listed, ...]]
    by_name: dict[str, tuple[_Listed, ...]]
    names: tuple[str, ...]


def _build_index(session: Session, today: dt.date) -> _ListIndex:
    by_identifier: dict[str, list[_Listed]] = {}
    by_name: dict[str, list[_Listed]] = {}
    for entry in session.scalars(
        select(DebarmentEntry).where(DebarmentEntry.status == DebarmentStatus.LISTED.value)
    ):
        if not in_force(entry, today):
            continue
        listed = _Listed(
            entry.number, entry.organisation, entry.mandatory, entry.regime == "cn-art43"
        )
        for identifier in entry.identifiers:
            by_identifier.setdefault(normalise_identifier(identifier), []).append(listed)
        by_name.setdefault(normalise_name(entry.organisation), []).append(listed)
    # The nation's list, as held here (hgr.debarment.national), applies alongside the node's.
    for held in held_national_entries(session, today):
        listed = _Listed(
            str(held["number"]),
            str(held["organisation"]),
            bool(held["mandatory"]),
            held.get("regime") == "cn-art43",
        )
        for identifier in held.get("identifiers") or []:
            by_identifier.setdefault(normalise_identifier(str(identifier)), []).append(listed)
        by_name.setdefault(normalise_name(listed.organisation), []).append(listed)
    return _ListIndex(
        {k: tuple(v) for k, v in by_identifier.items()},
        {k: tuple(v) for k, v in by_name.items()},
        tuple(by_name),
    )


def _index(session: Session, today: dt.date) -> _ListIndex:
    # Built once per state of the node: every change to the list writes an audit event.
    return cached(
        session, ("organisations.list-index", today), lambda: _build_index(session, today)
    )


def _list_controllers(session: Session, identifiers: set[str]) -> set[str]:
    """``identifiers`` and those of every organisation the list's own control relations
    (hgr debarment control) record above them."""
    # The list's relations keep identifiers as they were typed: compare them as identifiers
    # are stored (no spaces, upper case), at every level ("uscc: 1" and "USCC:1" are one).
    typed = func.upper(func.replace(ControlRelation.controlled, " ", ""))
    reach = set(identifiers) | {normalise_identifier(i) for i in identifiers}
    frontier = {normalise_identifier(i) for i in reach}
    while frontier:
        above = set(
            session.scalars(select(ControlRelation.controller).where(typed.in_(sorted(frontier))))
        )
        found = above | {normalise_identifier(i) for i in above}
        frontier = {normalise_identifier(i) for i in above} - reach
        reach |= found
    return reach


def screen_names(
    session: Session, identifiers: Iterable[str], names: Iterable[str], today: dt.date
) -> Screening:
    """The list's finding for an organisation known by ``identifiers`` and ``names``: the
    entries it is listed under by identifier (and through the list's own control relations)
    or by normalised name, and the listed names close to one of its names."""
    index = _index(session, today)
    hits: dict[str, _Listed] = {}
    for identifier in _list_controllers(session, {i for i in identifiers if i.strip()}):
        listed = index.by_identifier.get(normalise_identifier(identifier), ())
        hits.update((e.number, e) for e in listed)
    ours = {normalise_name(n): n for n in names}
    ours.pop("", None)
    for normalised in ours:
        hits.update((e.number, e) for e in index.by_name.get(normalised, ()))
    near: set[NearMiss] = set()
    for normalised, name in ours.items():
        for match, score, _ in process.extract(
            normalised, index.names, scorer=fuzz.ratio, score_cutoff=NEAR_MISS, limit=5
        ):
            if match != normalised:
                near |= {
                    NearMiss(e.number, e.organisation, name, round(float(score), 1))
                    for e in index.by_name[match]
                    if e.number not in hits
                }
    if not hits:
        level = "none"
    else:
        level = "mandatory" if any(e.mandatory for e in hits.values()) else "discretionary"
    return Screening(
        level,
        any(e.cn_ban for e in hits.values()),
        tuple(sorted(hits)),
        tuple(sorted(near, key=lambda n: (-n.score, n.entry))),
    )


def _reach(
    session: Session, organisations: set[int], identifiers: set[str]
) -> tuple[set[int], set[str]]:
    """The organisations and identifiers that control ``organisations`` and ``identifiers``,
    by both records of control to their common end: the registry's (hgr org control, between
    organisations) and the list's own (hgr debarment control, between identifiers). An
    organisation the list's relations reach by identifier brings its registry controllers,
    whose identifiers bring theirs on the list, and so on: neither record alone stops the
    walk (UK Procurement Act 2023 s.62: connected persons)."""
    orgs: set[int] = set()
    ids = {i for i in identifiers if i.strip()}
    frontier = set(organisations)
    while True:
        for member in frontier - orgs:
            orgs |= {member} | controllers(session, member)
        if orgs:
            ids |= set(
                session.scalars(
                    select(OrganisationIdentifier.identifier).where(
                        OrganisationIdentifier.organisation_id.in_(sorted(orgs))
                    )
                )
            )
        ids = _list_controllers(session, ids)
        wanted = sorted({normalise_identifier(i) for i in ids})
        holders = (
            set(
                session.scalars(
                    select(OrganisationIdentifier.organisation_id).where(
                        OrganisationIdentifier.identifier.in_(wanted)
                    )
                )
            )
            if wanted
            else set()
        )
        frontier = holders - orgs
        if not frontier:
            return orgs, ids


def _screen_reach(
    session: Session,
    organisations: set[int],
    identifiers: Iterable[str],
    names: Iterable[str],
    today: dt.date,
) -> Screening:
    orgs, ids = _reach(session, organisations, set(identifiers))
    held: list[str] = (
        list(
            session.scalars(
                select(OrganisationName.name).where(
                    OrganisationName.organisation_id.in_(sorted(orgs))
                )
            )
        )
        if orgs
        else []
    )
    return screen_names(session, sorted(ids), [*names, *held], today)


def screen(session: Session, organisation: Organisation, today: dt.date) -> Screening:
    """Screen a registered organisation and every organisation that controls it, by the
    registry's control relations and the list's own."""
    return _screen_reach(session, {organisation.id}, [], [], today)


def screen_party(
    session: Session, identifiers: Iterable[str], name: str, today: dt.date, key: str | None = None
) -> Screening:
    """A party known by what it gave (identifiers and a name, and its registry ``key`` where
    it has one), never by the declared identifiers alone: the keyed organisation and every
    registry organisation the identifiers and name point to, each with its controllers, and
    the identifiers and name themselves, screened together: the most restrictive finding."""
    identifiers = list(identifiers)
    known = {o.id for o in organisations_of_party(session, key, identifiers, name)}
    return _screen_reach(session, known, identifiers, [name], today)
