"""Reads of registered records on behalf of someone, audited where they reach individuals.

The API decides whether a caller may read (``hgr.auth.permissions``); these functions do the
read it allowed and, when it reaches individual-level records, write the ``registry.read`` or
``registry.history`` event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.registry.history import find_row, history
from hgr.registry.queries import Listing, list_entities, show_entity

__all__ = ["Reader", "read_first_listing", "read_history", "read_listing", "read_record"]


@dataclass(frozen=True)
class Reader:
    """Who reads, on what grounds, and what they may see: ``visible`` institutions (None for
    all); an ``individual`` read (of records about persons) is audited."""

    actor: Actor
    grounds: str
    visible: Collection[str] | None = None
    individual: bool = True
    request_id: str = ""

    def audit(self, session: Session, action: str, target: str, **detail: Any) -> None:
        record(
            session,
            self.actor,
            action,
            target,
            grounds=self.grounds,
            request_id=self.request_id,
            detail=detail or None,
        )


def read_listing(
    session: Session,
    reader: Reader,
    entity: str,
    *,
    filters: Mapping[str, str],
    limit: int,
    offset: int,
    prefix: str | None = None,
) -> Listing:
    """One page of ``entity``'s records the reader may see (``list_entities``), audited."""
    return read_first_listing(
        session, reader, entity, readings=[filters], limit=limit, offset=offset, prefix=prefix
    )


def read_first_listing(
    session: Session,
    reader: Reader,
    entity: str,
    *,
    readings: Sequence[Mapping[str, str]],
    limit: int,
    offset: int,
    prefix: str | None = None,
) -> Listing:
    """:func:`read_listing` of the first of ``readings`` (the ways a request's filters may be
    read, hgr.registry.local_ids.readings) that holds any record, or of the last: audited
    once, with the filters used. A reading not taken is never written down: it may hold an
    institution's own donor id."""
    for n, filters in enumerate(readings, start=1):
        listing = list_entities(
            session,
            entity,
            filters=filters,
            visible=reader.visible,
            limit=limit,
            offset=offset,
            prefix=prefix,
        )
        if listing[2] > 0 or n == len(readings):
            break
    if reader.individual:
        reader.audit(session, "registry.read", entity, filters=dict(filters), rows=len(listing[1]))
    return listing


def read_record(
    session: Session, reader: Reader, entity: str, key: Mapping[str, str], target: str
) -> dict[str, Any]:
    """Every column of the one record of ``entity`` named by ``key`` (``show_entity``)."""
    detail = show_entity(session, entity, key, visible=reader.visible)
    if reader.individual:
        reader.audit(session, "registry.read", target)
    return detail


def read_history(
    session: Session,
    reader: Reader,
    entity: str,
    key: str,
    institution: str | None,
    pseudonym: Callable[[str, str], str],
    target: str,
) -> list[dict[str, Any]]:
    """Every change to the record of ``entity`` named by ``key`` (``history``); always
    audited."""
    table_name, rows = find_row(session, entity, key, institution, pseudonym)
    lines = history(session, table_name, rows)
    reader.audit(session, "registry.history", target)
    return lines
