"""Seals on registry rows: a donor, a sample, a consent as the node last wrote them.

A database superuser could change a donor's sex or birth year, withdraw a consent or delete
a sample, and nothing would tell. Each row of the sealed tables carries ``seal``, an
HMAC-SHA256 over its governed fields, keyed with the node's record key, which is kept outside
the database (the same key as the account seals, ``hgr.auth.seals``). The node recomputes the
seal each time it writes the row.

A deleted row leaves no row to check, so the node also keeps a running total. Each write adds
the seals it creates and removes the ones it replaces, by XOR. The change to that total goes
into the audit event of the write (``detail.seals``), which the Merkle tree protects. ``hgr
audit verify --records`` does three things:

- it recomputes every row's seal;
- it folds the stored seals of each table;
- it compares that fold with the fold of the events.

A row that is edited, unsealed, deleted or copied in is then found. An edited or unsealed row is
named; a deleted or copied row is reported for its table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from hgr.audit.models import AuditEvent
from hgr.db import seal_key
from hgr.registry import models as m
from hgr.registry.history import plain

__all__ = [
    "SEALED",
    "SEALING_ACTIONS",
    "Sealing",
    "row_seal",
    "seal_unsealed_rows",
    "unsealed_rows",
]

# The fields a seal covers, per table: what the registry's governance decides on.
SEALED: dict[str, tuple[str, ...]] = {
    "donor": ("institution_id", "pseudonym", "sex", "birth_year", "vital_status",
              "residence_region_id", "population"),
    "sample": ("institution_id", "code", "donor_id", "collection_id", "material_type",
               "collection_date", "storage_status"),
    "consent": ("donor_id", "document_version", "document_sha256", "signed_on", "permission",
                "disease", "modifiers", "countries", "time_limit", "status", "withdrawn_on"),
}  # fmt: skip
_MODELS: dict[str, Any] = {"donor": m.Donor, "sample": m.Sample, "consent": m.Consent}

SEALING_ACTIONS = (
    "registry.import",
    "registry.sample.move",
    "registry.consent.withdraw",
    "registry.reseal",
)
"""The audit actions whose events carry the change to the running totals."""


def row_seal(key: bytes, table: str, values: Mapping[str, Any]) -> str:
    """The seal of a row of ``table`` holding ``values`` (the fields of :data:`SEALED`)."""
    text = json.dumps([table, *(plain(values.get(f)) for f in SEALED[table])],
                      separators=(",", ":"), ensure_ascii=False)  # fmt: skip
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass
class Sealing:
    """Seals rows as one write of ``session`` makes them, and keeps the write's change to the
    totals. The key is asked of the session at the first sealed row, so that a write of
    unsealed tables needs none."""

    session: Session
    delta: dict[str, int] = field(default_factory=dict)
    _key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = seal_key(self.session)
        return self._key

    def inserted(self, table: str, row: dict[str, Any]) -> None:
        """Seal a new row (its dict gets ``seal``)."""
        row["seal"] = row_seal(self.key, table, row)
        self._fold(table, row["seal"])

    def updated(self, table: str, before: Mapping[str, Any], after: Mapping[str, Any],
                stored: str | None) -> str:  # fmt: skip
        """The seal of a row changed from ``before`` to ``after``. The seal of ``before`` as
        recomputed, not as stored, leaves the total: a row edited outside the node stays
        out of balance after the node writes it again."""
        if stored is not None:
            self._fold(table, row_seal(self.key, table, before))
        seal = row_seal(self.key, table, after)
        self._fold(table, seal)
        return seal

    def _fold(self, table: str, seal: str) -> None:
        self.delta[table] = self.delta.get(table, 0) ^ int(seal, 16)

    def as_detail(self) -> dict[str, str]:
        """The change to the totals, for the write's audit event."""
        return {table: f"{value:064x}" for table, value in sorted(self.delta.items()) if value}


def unsealed_rows(session: Session, key: bytes) -> list[str]:
    """Every sealed-table row that was edited or inserted outside the node, and every table
    whose rows do not add up to what the node wrote (a row deleted or copied in)."""
    problems: list[str] = []
    expected: dict[str, int] = {}
    for (detail,) in session.execute(select(AuditEvent.detail)
                                     .where(AuditEvent.action.in_(SEALING_ACTIONS))):  # fmt: skip
        for table, value in (detail or {}).get("seals", {}).items():
            expected[table] = expected.get(table, 0) ^ int(value, 16)
    for table, fields in SEALED.items():
        columns: Table = _MODELS[table].__table__
        query = select(
            columns.c.id, columns.c.seal, *(columns.c[f] for f in fields)
        ).execution_options(yield_per=10_000)
        total = 0
        result = session.execute(query)
        try:
            for row in result:
                values = row._mapping
                if values["seal"] is None:
                    problems.append(f"{table} {values['id']}: not sealed")
                    continue
                total ^= int(values["seal"], 16)
                if not hmac.compare_digest(row_seal(key, table, dict(values)), values["seal"]):
                    problems.append(f"{table} {values['id']}: edited outside the node")
        finally:
            result.close()
        if total != expected.get(table, 0):
            problems.append(f"table {table}: its rows do not add up to what the node wrote "
                            "(a row was deleted, or one was copied in)")  # fmt: skip
    return problems


def seal_unsealed_rows(session: Session, *, write: bool) -> tuple[dict[str, int], Sealing]:
    """How many rows of each sealed table carry no seal (made before seals existed, or
    inserted outside the node), sealed as they stand when ``write``. The returned sealing holds
    the change to the totals, for the audit event of the reseal. A row whose seal is present
    but wrong is never sealed again here: it was edited, and stays reported."""
    sealing = Sealing(session)
    counts: dict[str, int] = {}
    for table, fields in SEALED.items():
        model = _MODELS[table]
        rows = session.execute(select(model.id, *(getattr(model, f) for f in fields))
                               .where(model.seal.is_(None))).all()  # fmt: skip
        if rows:
            counts[table] = len(rows)
        if write and rows:
            updates = []
            for row in rows:
                values = dict(row._mapping)
                sealing.inserted(table, values)
                updates.append({"row_id": values["id"], "new_seal": values["seal"]})
            columns: Table = model.__table__
            session.execute(update(columns).where(columns.c.id == bindparam("row_id"))
                            .values(seal=bindparam("new_seal")), updates)  # fmt: skip
    return counts, sealing
