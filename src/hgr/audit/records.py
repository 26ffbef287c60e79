"""Checking the sealed rows against the audit log (``hgr audit verify --records``).

Every sealed row's seal is recomputed (hgr.db.seals), and each table's stored seals are
folded and compared with the fold of the totals its audit events carry, whose MACs are checked
too. A row that is edited or unsealed is named; a row deleted or copied in is reported for its
table.
"""

from __future__ import annotations

import hmac

from sqlalchemy import Text, bindparam, cast, func, inspect, select, update
from sqlalchemy.orm import Session

from hgr.audit.models import AuditEvent
from hgr.db.seals import Sealing, key_of, row_seal, sealed_tables, table_of, totals_mac

__all__ = ["seal_unsealed_rows", "unsealed_rows"]

# Accounts carry seals of their own, checked at authentication (hgr.auth.seals).
UNSEALED_ACCOUNTS = frozenset({"app_user", "api_token", "user_credential", "browser_session"})


def _expected_totals(session: Session, key: bytes) -> tuple[dict[str, int], list[str]]:
    """Each table's total as the audit events say the node left it, and every event whose
    totals the node did not write (no MAC, a wrong one, or a nonce seen before)."""
    expected: dict[str, int] = {}
    problems: list[str] = []
    nonces: set[str] = set()
    # A text match first, so that only the events that carry totals are parsed.
    query = select(AuditEvent.id, AuditEvent.seq, AuditEvent.detail).where(
        cast(AuditEvent.detail, Text).like('%"seals"%')
    )
    for event_id, seq, detail in session.execute(query.execution_options(yield_per=10_000)):
        seals = (detail or {}).get("seals")
        if seals is None:
            continue
        name = f"audit event {seq if seq is not None else f'(id {event_id})'}"
        totals = seals.get("totals") if isinstance(seals, dict) else None
        nonce = seals.get("nonce") if isinstance(seals, dict) else None
        if (
            not isinstance(totals, dict)
            or not isinstance(nonce, str)
            or not hmac.compare_digest(totals_mac(key, nonce, totals), str(seals.get("mac")))
        ):
            problems.append(f"{name}: its seal totals were not written by the node")
            continue
        if nonce in nonces:
            problems.append(f"{name}: its seal totals are a copy of another event's")
            continue
        nonces.add(nonce)
        for table, value in totals.items():
            expected[table] = expected.get(table, 0) ^ int(value, 16)
    return expected, problems


def _unchecked_tables(session: Session) -> set[str]:
    """Tables of the database that carry seals but whose models are not loaded."""
    catalogue = inspect(session.connection())
    known = set(sealed_tables()) | UNSEALED_ACCOUNTS
    return {
        name
        for name in catalogue.get_table_names()
        if name not in known and any(c["name"] == "seal" for c in catalogue.get_columns(name))
    }


def _duplicates(session: Session, table: str) -> list[int]:
    """Ids held by more than one row (possible only with the primary key dropped): copies of
    a row would cancel each other in the total."""
    key = key_of(table)
    query = select(key).group_by(key).having(func.count() > 1)
    return list(session.scalars(query))


def unsealed_rows(session: Session, key: bytes) -> list[str]:
    """Every sealed row that was edited or inserted outside the node, every table whose rows
    do not add up to what the node wrote (a row deleted or copied in), and every event whose
    totals the node did not write."""
    expected, problems = _expected_totals(session, key)
    tables = sealed_tables()
    unchecked = (set(expected) - set(tables)) | _unchecked_tables(session)
    problems.extend(
        f"table {table}: it is sealed, but its model is not loaded: not checked"
        for table in sorted(unchecked)
    )
    for table, fields in sorted(tables.items()):
        columns = table_of(table)
        problems.extend(
            f"{table} {row_id}: held by more than one row" for row_id in _duplicates(session, table)
        )
        identity = key_of(table)
        query = select(identity, columns.c.seal, *(columns.c[f] for f in fields)).execution_options(
            yield_per=10_000
        )
        total = 0
        result = session.execute(query)
        try:
            for row in result:
                values = row._mapping
                if values["seal"] is None:
                    problems.append(f"{table} {values[identity.name]}: not sealed")
                    continue
                total ^= int(values["seal"], 16)
                if not hmac.compare_digest(row_seal(key, table, values), values["seal"]):
                    problems.append(f"{table} {values[identity.name]}: edited outside the node")
        finally:
            result.close()
        if total != expected.get(table, 0):
            problems.append(
                f"table {table}: its rows do not add up to what the node wrote "
                "(a row was deleted, or one was copied in)"
            )
    return problems


def seal_unsealed_rows(session: Session, *, write: bool) -> dict[str, int]:
    """How many rows of each sealed table carry no seal (made before seals existed, or
    inserted outside the node), sealed as they stand when ``write``; the change to the totals
    goes into the next audit event of ``session``. A row whose seal is present but wrong is
    never sealed again here: it was edited, and stays reported."""
    sealing = Sealing(session)
    counts: dict[str, int] = {}
    for table, fields in sorted(sealed_tables().items()):
        columns = table_of(table)
        key = key_of(table)
        rows = session.execute(
            select(key, *(columns.c[f] for f in fields)).where(columns.c.seal.is_(None))
        ).all()
        if rows:
            counts[table] = len(rows)
        if write and rows:
            updates = []
            for row in rows:
                values = dict(row._mapping)
                sealing.inserted(table, values)
                updates.append({"row_id": values[key.name], "new_seal": values["seal"]})
            session.execute(
                update(columns)
                .where(key == bindparam("row_id"))
                .values(seal=bindparam("new_seal")),
                updates,
            )
    return counts
