"""Seals on governed rows: every registry and governance row as the node last wrote it.

A database superuser could change a donor's sex, approve an access request, delete a
debarment entry or add a trusted survey key, and nothing would tell. Each row of a sealed
table (a model with :class:`Sealed`) carries ``seal``, an HMAC-SHA256 over its id and its
governed fields (the model's ``__sealed__``), keyed with the node's record key, which is kept
outside the database (:func:`hgr.db.seal_key`). The node recomputes the seal each time it
writes the row.

A deleted row leaves no row to check, so the node also keeps a running total per table: each
write adds, by XOR, the seals it creates and removes the seals, as recomputed, of the rows it
replaces or deletes. The change a transaction makes to the totals goes into its audit event
(``detail.seals``, taken by :func:`take_seals` when the event is written), which the Merkle
tree protects; what the transaction changes after its last event goes into one more event of
the same actor at commit. ``hgr audit verify --records`` (``hgr.audit.records``) recomputes
every row, folds each table and compares the fold with the events.

Two ways of writing keep the totals:

- the unit of work (``session.add``, attribute changes, ``session.delete``), sealed by the
  flush listeners that :func:`watch` installs, from the rows as the database stores them;
- bulk statements (the importer), which seal their rows with a :class:`Sealing` themselves.

A sealed row written any other way (a bare ``insert()`` or ``update()``) is found by verify
as if a superuser had written it. A transaction that changes a sealed row and writes no audit
event is refused at commit (``E_UNAUDITED_WRITE``).

The row's key (its id) is sealed with the row, so that swapping two rows' ids (and with them every
reference to the rows) breaks both seals; rows written in bulk take their ids from
:func:`allocate_ids` before they are sealed.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from sqlalchemy import String, Table, bindparam, event, false, func, select, text, update
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from hgr.db.base import Base
from hgr.exceptions import ConfigurationError, IntegrityBroken

__all__ = [
    "Sealed",
    "Sealing",
    "allocate_ids",
    "key_of",
    "plain",
    "row_seal",
    "seal_key",
    "sealed_tables",
    "take_seals",
    "totals_mac",
    "watch",
    "write_lock",
]

SEAL_KEY = "hgr.seal_key"  # session.info: the node's record key (Database.seal_with)
_DELTA = "hgr.seal_delta"  # session.info: the change to the totals not yet in an event
_RESEAL = "hgr.reseal"  # session.info: rows of the flush under way to seal once it has run
SEAL_EVENT = "hgr.seal_event"
"""session.info: writes an event for seals changed after the transaction's last event (set by
hgr.audit.record, which alone may write events)."""
_SAVED = "hgr.seal_savepoints"  # session.info: what was pending as each open savepoint began


def seal_key(session: Session) -> bytes:
    """The key that seals records written through ``session`` (see :meth:`Database.seal_with`).

    Raises
    ------
    ConfigurationError
        ``E_NO_KEY`` when the database was opened without the node's keys.
    """
    key = session.info.get(SEAL_KEY)
    if key is None:
        raise ConfigurationError(
            "this database was opened without the node's record key: "
            "open it through the node (hgr.node.open_node)",
            code="E_NO_KEY",
        )
    return bytes(key)


class Sealed:
    """A model whose rows are sealed: it names the fields its seal covers in ``__sealed__``
    (every column but its key, ``seal`` and the stamps the database sets itself; a test holds
    them to that). Its primary key is one column, sealed with the row."""

    __sealed__: ClassVar[tuple[str, ...]]
    seal: Mapped[str | None] = mapped_column(String(64))


_TABLES: dict[int, dict[str, tuple[str, ...]]] = {}  # by how many tables are loaded


def sealed_tables() -> dict[str, tuple[str, ...]]:
    """Every sealed table of the loaded models, with the fields its seal covers."""
    loaded = len(Base.metadata.tables)  # a model module imported later adds its tables
    found = _TABLES.get(loaded)
    if found is None:
        found = _TABLES[loaded] = {
            cast(Table, mapper.local_table).name: mapper.class_.__sealed__
            for mapper in Base.registry.mappers
            if issubclass(mapper.class_, Sealed)
        }
    return found


def table_of(table: str) -> Table:
    """The sealed table named ``table``."""
    found = Base.metadata.tables[table]
    assert isinstance(found, Table)
    return found


def key_of(table: str) -> Any:
    """The column that identifies a row of the sealed table ``table`` (its one-column primary
    key: ``id``, or the collection a Beacon dataset is of)."""
    (column,) = table_of(table).primary_key.columns
    return column


_KEY_NAMES: dict[str, str] = {}  # the name of each sealed table's key, asked once per row


def _key_name(table: str) -> str:
    name = _KEY_NAMES.get(table)
    if name is None:
        name = _KEY_NAMES[table] = key_of(table).name
    return name


def plain(value: Any) -> Any:
    """``value`` as JSON holds it: dates as ISO text (instants in UTC), enumerations by value,
    sets sorted."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):  # an instant, as UTC: SQLite gives it back naive
        utc = value.astimezone(dt.UTC) if value.tzinfo else value
        return utc.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def row_seal(key: bytes, table: str, values: Mapping[Any, Any]) -> str:
    """The seal of the row ``values`` of ``table`` (its key and its sealed fields)."""
    fields = sealed_tables()[table]
    row_key = values[_key_name(table)]
    text_ = json.dumps(
        [table, row_key, *(plain(values.get(f)) for f in fields)],
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )
    return hmac.new(key, text_.encode(), hashlib.sha256).hexdigest()


def _fold(session: Session, table: str, seal: str) -> None:
    delta: dict[str, int] = session.info.setdefault(_DELTA, {})
    delta[table] = delta.get(table, 0) ^ int(seal, 16)


def take_seals(session: Session) -> dict[str, Any]:
    """The change to the totals that ``session`` made since the last call, for the audit event
    being written (hgr.audit.record calls it); pending writes are flushed first.

    The totals carry a MAC under the record key over a fresh nonce and the totals: whoever can
    insert an audit event without the key (the node's own database role can) cannot balance a
    deleted row with an event of their own, nor replay one of the node's.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    delta = session.info.pop(_DELTA, {})
    totals = {table: f"{value:064x}" for table, value in sorted(delta.items()) if value}
    if not totals:
        return {}
    nonce = secrets.token_hex(16)
    return {"totals": totals, "nonce": nonce, "mac": totals_mac(seal_key(session), nonce, totals)}


def totals_mac(key: bytes, nonce: str, totals: Mapping[str, str]) -> str:
    """The MAC of an event's change to the totals."""
    text_ = json.dumps(["seals", nonce, dict(sorted(totals.items()))], separators=(",", ":"))
    return hmac.new(key, text_.encode(), hashlib.sha256).hexdigest()


@dataclass
class Sealing:
    """Seals the rows a bulk write of ``session`` makes. The key is asked of the session at the
    first sealed row, so that a write of no sealed row needs none."""

    session: Session
    _key: bytes | None = field(default=None, repr=False)

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = seal_key(self.session)
        return self._key

    def inserted(self, table: str, row: dict[str, Any]) -> None:
        """Seal a new row, which holds its id. The dict gets ``seal``, and every sealed field
        it lacks gets its column's default, so that the row is inserted as sealed."""
        columns = table_of(table)
        for name in sealed_tables()[table]:
            if name not in row:
                row[name] = _default(columns.c[name])
        row["seal"] = row_seal(self.key, table, row)
        _fold(self.session, table, row["seal"])

    def updated(
        self, table: str, before: Mapping[str, Any], after: Mapping[str, Any], stored: str | None
    ) -> str:
        """The seal of a row changed from ``before`` (sealed ``stored``) to ``after``; raises
        as :meth:`deleted` does for a row written outside the node."""
        self.deleted(table, before, stored)
        seal = row_seal(self.key, table, after)
        _fold(self.session, table, seal)
        return seal

    def deleted(self, table: str, before: Mapping[Any, Any], stored: str | None) -> None:
        """A row replaced or deleted as it was (``before``, sealed ``stored``).

        Raises
        ------
        IntegrityBroken
            ``E_ROW_TAMPERED`` when the row carries no seal or a wrong one: it was written
            outside the node, and the node does not write over it (its new seal would bless
            the forgery) until an operator has looked (``hgr audit verify --records``, then
            ``hgr audit reseal`` for rows made before seals).
        """
        if stored is None or not hmac.compare_digest(row_seal(self.key, table, before), stored):
            state = "carries no seal" if stored is None else "was edited outside the node"
            row = before[key_of(table).name]
            raise IntegrityBroken(
                f"{table} {row} {state}: nothing was written; check it with `hgr audit verify "
                "--records` (a row made before seals is sealed by `hgr audit reseal --yes`)",
                code="E_ROW_TAMPERED",
            )
        _fold(self.session, table, stored)


def _default(column: Any) -> Any:
    """The value a column takes on insert when none is given."""
    default = column.default
    if default is None:
        if column.server_default is not None:
            raise AssertionError(f"{column}: give its value, or a Python default, to seal it")
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps it to take an execution context
    raise AssertionError(f"{column}: a default computed by SQL cannot be sealed before insert")


def allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new ids for rows of ``table`` that are sealed before they are inserted."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"
        )
        return list(session.scalars(query, {"table": table.name, "count": count}))
    # SQLite has one writer: holding the write lock, the largest id is this writer's to extend.
    write_lock(session, table)
    top = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(top + 1, top + 1 + count))


def write_lock(session: Session, table: Table) -> None:
    """On SQLite, take the database's write lock now: what this transaction reads next is then
    what it will write over (its driver opens a transaction only at the first write, and
    another writer could commit in between). PostgreSQL locks rows instead (FOR UPDATE)."""
    if session.get_bind().dialect.name == "sqlite":
        (key,) = table.primary_key.columns
        session.execute(update(table).where(false()).values({key.name: key}))


def _stored(
    session: Session, table: str, ids: Iterable[int], lock: bool = False
) -> dict[int, dict[str, Any]]:
    """The sealed fields and the seal of the rows ``ids`` of ``table``, as stored; ``lock``ed
    until the transaction ends when the rows are about to be written over, so that another
    transaction's change to them cannot slip in between the read and the write."""
    columns = table_of(table)
    wanted = sorted(set(ids))
    if lock:
        write_lock(session, columns)
    rows: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        key = key_of(table)
        query = select(key, columns.c.seal, *(columns.c[f] for f in sealed_tables()[table])).where(
            key.in_(wanted[start : start + 500])
        )
        if lock and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        rows.update((row[0], dict(row._mapping)) for row in session.execute(query))
    return rows


def _by_table(objects: Iterable[object]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for obj in objects:
        if isinstance(obj, Sealed):
            grouped.setdefault(type(obj).__table__.name, []).append(obj)  # type: ignore[attr-defined]
    return grouped


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Take the rows the flush replaces or deletes out of the totals, as stored now."""
    changed = [o for o in session.dirty if isinstance(o, Sealed) and session.is_modified(o)]
    reseal: list[Any] = session.info.setdefault(_RESEAL, [])
    sealing = Sealing(session)
    for table, objects in _by_table([*changed, *session.deleted]).items():
        name = key_of(table).name
        stored = _stored(session, table, (getattr(o, name) for o in objects), lock=True)
        for obj in objects:
            before = stored.get(getattr(obj, name))
            if before is not None:  # else deleted meanwhile: the flush itself then fails
                sealing.deleted(table, before, before["seal"])
    reseal.extend(changed)


def _after_flush(session: Session, _context: Any) -> None:
    """Seal the rows the flush inserted or changed, as the database now stores them."""
    written = [*session.new, *session.info.pop(_RESEAL, [])]
    for table, objects in _by_table(written).items():
        secret = seal_key(session)
        key = key_of(table)
        stored = _stored(session, table, (getattr(o, key.name) for o in objects))
        updates = []
        for obj in objects:
            seal = row_seal(secret, table, stored[getattr(obj, key.name)])
            _fold(session, table, seal)
            updates.append({"row_id": getattr(obj, key.name), "new_seal": seal})
            attributes.set_committed_value(obj, "seal", seal)
        columns = table_of(table)
        session.execute(
            update(columns).where(key == bindparam("row_id")).values(seal=bindparam("new_seal")),
            updates,
        )


def _before_commit(session: Session) -> None:
    """Put the change to sealed rows made after the transaction's last audit event into an
    event of its own, and refuse a commit that changes sealed rows and writes no event."""
    if session.in_nested_transaction():
        return  # a savepoint: the transaction's own commit decides
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not any(session.info.get(_DELTA, {}).values()):
        return
    follow_up = session.info.get(SEAL_EVENT)
    if follow_up is None:
        tables = ", ".join(sorted(t for t, v in session.info[_DELTA].items() if v))
        raise IntegrityBroken(
            f"a change to sealed rows ({tables}) was written with no audit event",
            code="E_UNAUDITED_WRITE",
        )
    follow_up(session)


def _forget(session: Session, transaction: Any) -> None:
    """A transaction ended: at its root, nothing is pending any more."""
    if transaction.parent is None:
        for name in (_DELTA, _RESEAL, SEAL_EVENT, _SAVED):
            session.info.pop(name, None)


def _savepoint(session: Session, transaction: Any) -> None:
    """Keep what is pending when a savepoint begins, to go back to it if it rolls back."""
    if transaction.nested:
        saved = session.info.setdefault(_SAVED, {})
        saved[id(transaction)] = (
            dict(session.info.get(_DELTA, {})),
            list(session.info.get(_RESEAL, [])),
            session.info.get(SEAL_EVENT),
        )


def _rolled_back(session: Session, previous: Any) -> None:
    """A savepoint rolled back: what it sealed is undone, and so is its share of the totals."""
    if previous.nested:
        found = session.info.get(_SAVED, {}).pop(id(previous), None)
        if found is not None:
            session.info[_DELTA], session.info[_RESEAL], event_ = found
            if event_ is None:
                session.info.pop(SEAL_EVENT, None)
            else:
                session.info[SEAL_EVENT] = event_


def watch(factory: Any) -> None:
    """Keep the seals of the rows that sessions of ``factory`` (a sessionmaker) write."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_transaction_create", _savepoint)
    event.listen(factory, "after_soft_rollback", _rolled_back)
    event.listen(factory, "after_transaction_end", _forget)
