"""The tamper-evident audit log: record events, integrate them into the tree, sign, prove, verify.

How it fits together (security.md §3.3, "minimal design"):

1. :func:`record` adds an event in the caller's transaction, so the event exists exactly when
   the change it records does.
2. :func:`integrate` (the sequencer) gives pending events the next leaves of the RFC 6962 tree
   and stores completed perfect subtrees. One sequencer runs at a time (a PostgreSQL advisory
   lock; SQLite has one writer anyway). Events wait at most until the next integration, the
   log's merge delay.
3. :func:`hgr.audit.heads.checkpoint` signs the tree's size and root with the node's Ed25519
   key, only when the tree extends every head signed before.
4. :func:`inclusion` and :func:`consistency` serve RFC 9162 proofs, O(log n) stored hashes each.
5. :func:`verify_log` recomputes everything from the event bodies and checks every stored hash,
   every checkpoint signature, and optionally a checkpoint an auditor kept (a witness), which is
   what catches a rewrite by someone who can write to the database but not sign.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from hgr.audit.merkle import EMPTY_ROOT, Subtree, leaf_hash, node_hash, split_point
from hgr.audit.merkle import consistency_proof as _consistency_proof
from hgr.audit.merkle import inclusion_proof as _inclusion_proof
from hgr.audit.models import AuditCheckpoint, AuditCounter, AuditEvent, AuditLeaf, AuditNode
from hgr.audit.stamp import mark_changed
from hgr.crypto.signing import Verifier
from hgr.dates import as_utc, utc_now
from hgr.db.seals import SEAL_EVENT, take_seals
from hgr.exceptions import NotFound, UsageError

__all__ = [
    "SYSTEM",
    "Actor",
    "Checkpoint",
    "VerifyReport",
    "canonical_json",
    "consistency",
    "inclusion",
    "integrate",
    "latest_checkpoint",
    "parse_checkpoint",
    "record",
    "tree_size",
    "verify_log",
]

_SEQUENCER_LOCK = 0x6867_7261_7564  # "hgraud": the PostgreSQL advisory lock of the sequencer


@dataclass(frozen=True)
class Actor:
    """Who acts: a stable name (``token:alice``, ``oidc:<iss>|<sub>``, ``cli:root``) and role."""

    name: str
    role: str


SYSTEM = Actor("system", "system")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: one text for one value (RFC 8785 for the
    strings, integers, booleans and nulls that events carry)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _iso(moment: dt.datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds").replace("+00:00", "Z")


# What an event's body holds, in the order of the table (its canonical JSON sorts them).
_BODY_FIELDS = (
    "at",
    "actor",
    "role",
    "action",
    "target",
    "outcome",
    "grounds",
    "request_id",
    "detail",
)


def _fields(event: AuditEvent | Mapping[str, Any]) -> dict[str, Any]:
    """The fields an event's body is made of, from a stored row or the values to insert."""
    found = event if isinstance(event, Mapping) else {n: getattr(event, n) for n in _BODY_FIELDS}
    return {name: _iso(found["at"]) if name == "at" else found[name] for name in _BODY_FIELDS}


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    *,
    outcome: str = "ok",
    grounds: str = "",
    request_id: str = "",
    detail: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Add one event to the log in ``session``'s transaction (it commits or rolls back with it).

    ``action`` is a dotted verb (``registry.import``, ``registry.read``), ``target`` the record
    or route acted on, ``grounds`` why it was allowed (role and scope, a grant), ``outcome``
    ``ok``, ``denied`` or ``failed``. The change the transaction made to sealed rows since
    the last event goes into ``detail.seals`` (hgr.db.seals).
    """
    detail = dict(detail or {})
    if "seals" in detail:
        raise ValueError("detail.seals is the seal totals' own: hgr.db.seals.take_seals")
    seals = take_seals(session)
    if seals:
        detail["seals"] = seals
    # Sealed rows the transaction changes after this event go into one more event at commit.
    session.info[SEAL_EVENT] = partial(_seals_after, actor, action, target, request_id)
    values: dict[str, Any] = {
        "at": as_utc(at or utc_now()),
        "actor": _encoded(actor.name)[:300],
        "role": _encoded(actor.role)[:32],
        "action": _encoded(action)[:100],
        "target": _encoded(target)[:500],
        "outcome": _encoded(outcome)[:16],
        "grounds": _encoded(grounds),
        "request_id": _encoded(request_id)[:64],
        "detail": _encoded_values(detail),
    }
    values["body"] = canonical_json(_fields(values))  # as verify_log reads it from the row
    # A plain INSERT into the table, built once, rather than the unit of work: an event is
    # never read back or changed here, and a request writes one with every read of
    # individual-level data. PostgreSQL numbers the event at commit (migration 0018).
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    connection.execute(_INSERT_EVENT if postgres else _INSERT_NUMBERED_EVENT, values)
    mark_changed(session)  # its own reads now see what it changed: none of them is cached


def _seals_after(actor: Actor, action: str, target: str, request_id: str, session: Session) -> None:
    """The event of the seals that a transaction changed after its last event (``action``)."""
    record(session, actor, "audit.seals", target, request_id=request_id, detail={"after": action})


_EVENTS = cast(Table, AuditEvent.__table__)
_INSERT_EVENT = _EVENTS.insert()
# SQLite has one writer at a time, so the next number is the largest so far plus one, and a
# rolled-back event takes its number with it.
_INSERT_NUMBERED_EVENT = _EVENTS.insert().values(
    seq=select(func.coalesce(func.max(AuditEvent.seq), -1) + 1).scalar_subquery()
)

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _encoded(text: str) -> str:
    """``text`` with control characters (CR, LF, NUL...) and lone surrogates escaped.

    Much of what is logged comes from requests: escaping keeps a forged line out of the log
    (ASVS 16.4.1) and keeps the row storable (PostgreSQL text cannot hold NUL).
    """
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _encoded_values(value: Any) -> Any:
    if isinstance(value, str):
        return _encoded(value)
    if isinstance(value, dict):
        return {_encoded(str(k)): _encoded_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encoded_values(v) for v in value]
    return value


# --- the tree as stored -----------------------------------------------------------------


def tree_size(session: Session) -> int:
    """How many events are integrated into the tree."""
    last = session.scalar(select(func.max(AuditLeaf.seq)))
    return 0 if last is None else last + 1


def _stored_subtree(session: Session) -> Subtree:
    """A subtree oracle that reads stored leaves and perfect subtrees (cached per call)."""
    cache: dict[tuple[int, int], bytes] = {}

    def subtree(start: int, end: int) -> bytes:
        if (start, end) in cache:
            return cache[(start, end)]
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            if level == 0:
                found = session.scalar(select(AuditLeaf.hash).where(AuditLeaf.seq == start))
            else:
                found = session.scalar(
                    select(AuditNode.hash).where(
                        AuditNode.level == level, AuditNode.index == start >> level
                    )
                )
            if found is None:
                raise NotFound(f"audit tree lacks the subtree [{start}, {end})", code="E_AUDIT")
            value = bytes(found)
        else:
            k = split_point(size)
            value = node_hash(subtree(start, start + k), subtree(start + k, end))
        cache[(start, end)] = value
        return value

    return subtree


def _frontier(session: Session, size: int) -> list[tuple[int, bytes]]:
    """The perfect subtrees that cover leaves [0, size), largest first, as (level, hash)."""
    subtree = _stored_subtree(session)
    covered, parts = 0, []
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            parts.append((level, subtree(covered, covered + (1 << level))))
            covered += 1 << level
    return parts


def _fold(frontier: list[tuple[int, bytes]]) -> bytes:
    # Right-edge subtrees combine right to left (RFC 6962 §2.1, MTH of an unbalanced tree).
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def _push(frontier: list[tuple[int, bytes]], seq: int, leaf: bytes) -> list[AuditNode]:
    """Append leaf ``seq`` to a frontier; return the perfect subtrees it completes."""
    frontier.append((0, leaf))
    completed = []
    position = seq
    while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
        (level, right), (_, left) = frontier.pop(), frontier.pop()
        merged = node_hash(left, right)
        position >>= 1
        frontier.append((level + 1, merged))
        completed.append(AuditNode(level=level + 1, index=position, hash=merged))
    return completed


def integrate(session: Session, batch: int = 50_000) -> int:
    """Give pending events the next leaves of the tree; returns the new tree size.

    Leaf ``n`` is the event numbered ``seq = n``, so a run reads only the events above the
    tree, in their commit order, and stops at a hole: a missing number is an event deleted
    before it was integrated, which :func:`verify_log` reports and no later leaf may paper over.
    Runs in the caller's transaction; commit it to publish the leaves.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEQUENCER_LOCK})
    size = tree_size(session)
    pending = session.execute(
        select(AuditEvent.id, AuditEvent.seq, AuditEvent.body)
        .where(AuditEvent.seq >= size)
        .order_by(AuditEvent.seq)
        .limit(batch)
    ).all()
    if not pending:
        return size
    frontier = _frontier(session, size)
    leaves, nodes = [], []
    for event_id, seq, body in pending:
        if seq != size:
            break  # a hole: verify_log names it
        leaf = leaf_hash(body.encode())
        leaves.append({"seq": size, "event_id": event_id, "hash": leaf})
        nodes.extend(_push(frontier, size, leaf))
        size += 1
    if leaves:
        session.execute(insert(AuditLeaf), leaves)
    if nodes:
        session.execute(
            insert(AuditNode),
            [{"level": n.level, "index": n.index, "hash": n.hash} for n in nodes],
        )
    return size


def root(session: Session, size: int) -> bytes:
    """The tree's root hash at ``size`` (any size up to the current one)."""
    _check_size(session, size)
    return _stored_subtree(session)(0, size)


def _check_size(session: Session, *sizes: int) -> None:
    current = tree_size(session)
    for size in sizes:
        if not 0 <= size <= current:
            raise UsageError(
                f"tree size {size} is outside the log (0 to {current})", code="E_AUDIT_SIZE"
            )


def inclusion(session: Session, seq: int, size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf ``seq`` in the tree of ``size``."""
    _check_size(session, size)
    if not 0 <= seq < size:
        raise UsageError(f"leaf {seq} is not in a tree of {size}", code="E_AUDIT_SIZE")
    return _inclusion_proof(seq, size, _stored_subtree(session))


def consistency(session: Session, first: int, second: int) -> list[bytes]:
    """The RFC 9162 consistency proof from tree ``first`` to tree ``second``."""
    _check_size(session, first, second)
    if not 0 < first <= second:
        raise UsageError(
            f"a consistency proof needs 0 < first ≤ second, not {first} and {second}",
            code="E_AUDIT_SIZE",
        )
    return _consistency_proof(first, second, _stored_subtree(session))


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head as published: C2SP tlog-checkpoint note text and its signature."""

    origin: str
    size: int
    root: bytes
    at: dt.datetime
    key_id: str
    signature: bytes

    @property
    def body(self) -> str:
        return (
            f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
            f"time {_iso(self.at)}\n"
        )

    def note(self) -> str:
        """The signed note: body, blank line, ``— <origin> <base64(key id ‖ signature)>``."""
        tag = base64.b64encode(bytes.fromhex(self.key_id) + self.signature).decode()
        return f"{self.body}\n\u2014 {self.origin} {tag}\n"

    def verify(self, verifier: Verifier) -> bool:
        return self.key_id == verifier.key_id and verifier.verify(
            self.body.encode(), self.signature
        )

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        origin = row.note.split("\n", 1)[0]
        return cls(
            origin, row.size, bytes(row.root), as_utc(row.at), row.key_id, bytes(row.signature)
        )


def parse_checkpoint(note: str) -> Checkpoint:
    """Read a signed checkpoint note (as :meth:`Checkpoint.note` writes it).

    Raises UsageError naming what is malformed.
    """
    try:
        body, signature_line = note.rstrip("\n").split("\n\n", 1)
        origin, size, root_b64, time_line = body.split("\n")
        dash, name, tag = signature_line.split(" ")
        raw = base64.b64decode(tag, validate=True)
        if dash != "\u2014" or name != origin or not time_line.startswith("time "):
            raise ValueError("bad signature line")
        at = dt.datetime.fromisoformat(time_line.removeprefix("time ").replace("Z", "+00:00"))
        root_hash = base64.b64decode(root_b64, validate=True)
        if len(root_hash) != 32 or len(raw) != 68:
            raise ValueError("bad hash or signature length")
        return Checkpoint(origin, int(size), root_hash, at, raw[:4].hex(), raw[4:])
    except ValueError as exc:
        raise UsageError(f"not a signed hgr checkpoint note: {exc}", code="E_CHECKPOINT") from exc


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """The most recent signed tree head, or None before the first."""
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc())).first()
    return None if row is None else Checkpoint.from_row(row)


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What :func:`verify_log` checked and every problem it found."""

    events: int = 0
    leaves: int = 0
    pending: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@contextmanager
def _rows(session: Session, query: Any) -> Iterator[Any]:
    """Stream a large result in chunks; the cursor is closed even when the reader stops early."""
    result = session.execute(query.execution_options(yield_per=5000))
    try:
        yield result
    finally:
        result.close()


def _replay(
    leaves: Any,
    stored_nodes: Mapping[tuple[int, int], bytes],
    roots_wanted: Mapping[int, bytes],
    report: VerifyReport,
) -> int:
    """Rebuild the tree leaf by leaf, comparing every hash; returns the leaves found in order."""
    frontier: list[tuple[int, bytes]] = []
    expected = 0
    for seq, stored_leaf, event in leaves:
        report.leaves += 1
        if seq != expected:
            report.problems.append(f"leaf {expected}: missing (the next leaf is {seq})")
            break
        if event is None:
            report.problems.append(f"leaf {seq}: its event is gone")
            break
        if event.seq != seq:
            report.problems.append(f"leaf {seq}: holds event number {event.seq} (reordered)")
        leaf = leaf_hash(event.body.encode())
        if leaf != bytes(stored_leaf):
            report.problems.append(f"leaf {seq} (event {event.id}): body does not match its hash")
        if canonical_json(_fields(event)) != event.body:
            report.problems.append(f"leaf {seq} (event {event.id}): columns differ from the body")
        for node in _push(frontier, seq, leaf):
            if stored_nodes.get((node.level, node.index)) != node.hash:
                report.problems.append(
                    f"subtree (level {node.level}, index {node.index}): stored hash is wrong"
                )
        expected += 1
        if expected in roots_wanted and _fold(frontier) != roots_wanted[expected]:
            report.problems.append(
                f"tree of size {expected}: root differs from the signed checkpoint"
            )
    return expected


def verify_log(
    session: Session,
    verifier: Verifier,
    *,
    witnessed: Checkpoint | None = None,
    kept: Checkpoint | None = None,
    pending_grace: dt.timedelta = dt.timedelta(minutes=10),
    now: dt.datetime | None = None,
) -> VerifyReport:
    """Recompute the whole log from its events and compare every stored hash and signature.

    Finds: an event whose columns or body were changed (its leaf no longer matches), a deleted,
    inserted or reordered leaf (sequence gaps, roots that differ from signed ones), a forged
    subtree hash (proofs would lie), a bad checkpoint signature, a hole in the events' gapless
    numbering (an event deleted before it was integrated), events left unintegrated or
    unsigned longer than ``pending_grace``, a log with events and no signed checkpoint, and,
    given the ``witnessed`` checkpoint an auditor kept or the head the node ``kept`` outside its
    database, a log that no longer extends it (a truncation or a rewrite).
    """
    report = VerifyReport()
    now = as_utc(now or utc_now())
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # One snapshot for every read (and for what the caller checks after, in the same
        # session): on a busy node, an event committed between two reads would otherwise look
        # like a counter ahead of the log or a leaf without its event.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    heads = {
        row.size: Checkpoint.from_row(row)
        for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size))
    }
    report.checkpoints = len(heads)
    for head in heads.values():
        if not head.verify(verifier):
            report.problems.append(f"checkpoint at size {head.size}: signature does not verify")
    roots_wanted = {size: head.root for size, head in heads.items()}
    for name, outside in (("witnessed", witnessed), ("kept", kept)):
        if outside is None:
            continue
        if not outside.verify(verifier):
            report.problems.append(f"the {name} checkpoint is not signed by this node's key")
            continue
        stored = heads.get(outside.size)
        if stored is not None and stored.root != outside.root:
            report.problems.append(
                f"checkpoint at size {outside.size} differs from the {name} one "
                "(the log showed two different trees of the same size)"
            )
        if roots_wanted.setdefault(outside.size, outside.root) != outside.root:
            report.problems.append(f"the {name} checkpoint differs from the other one kept")
        if name == "kept" and outside.size not in heads:
            report.problems.append(
                f"the head kept outside the database (size {outside.size}) is missing from "
                "its checkpoints (they were removed)"
            )

    with _rows(session, select(AuditNode.level, AuditNode.index, AuditNode.hash)) as nodes:
        stored_nodes = {(row.level, row.index): bytes(row.hash) for row in nodes}
    query = (
        select(AuditLeaf.seq, AuditLeaf.hash, AuditEvent)
        .join(AuditEvent, AuditEvent.id == AuditLeaf.event_id, isouter=True)
        .order_by(AuditLeaf.seq)
    )
    with _rows(session, query) as leaves:
        size = _replay(leaves, stored_nodes, roots_wanted, report)
    for wanted in sorted(roots_wanted):
        if wanted > size:
            report.problems.append(
                f"checkpoint at size {wanted} is beyond the log's {size} leaves (truncated)"
            )
    report.events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    _check_numbering(session, size, report)
    _check_pending(session, size, max(heads, default=0), now - pending_grace, report)
    return report


def _check_numbering(session: Session, size: int, report: VerifyReport) -> None:
    """Events above the tree must carry the next numbers with no hole, and (on PostgreSQL) as
    many as the counter gave: a missing number is an event deleted before integration."""
    unnumbered = session.scalar(select(func.count()).where(AuditEvent.seq.is_(None))) or 0
    if unnumbered:
        report.problems.append(f"{unnumbered} event(s) carry no number (numbering was bypassed)")
    expected = size
    with _rows(
        session, select(AuditEvent.seq).where(AuditEvent.seq >= size).order_by(AuditEvent.seq)
    ) as numbers:
        for (seq,) in numbers:
            if seq != expected:
                report.problems.append(
                    f"events numbered {expected} to {seq - 1} are missing (deleted before "
                    "they were integrated)"
                )
            expected = seq + 1
    if session.get_bind().dialect.name != "postgresql":
        return
    given = session.scalar(select(AuditCounter.next).where(AuditCounter.id == 1))
    if given is not None and given > expected:
        report.problems.append(
            f"the counter gave numbers up to {given - 1}, but the log ends at {expected - 1} "
            "(its last events were deleted)"
        )


def _check_pending(
    session: Session, size: int, signed: int, since: dt.datetime, report: VerifyReport
) -> None:
    """Events wait to be integrated, and leaves to be signed, no longer than the grace."""
    late = session.execute(
        select(func.count(), func.min(AuditEvent.at)).where(AuditEvent.seq >= size)
    ).one()
    report.pending = late[0] or 0
    if late[1] is not None and as_utc(late[1]) < since:
        report.problems.append(
            f"{report.pending} event(s) wait to be integrated, the oldest since {_iso(late[1])}"
        )
    if size == 0:
        return
    if signed == 0:  # leaves are integrated as a checkpoint is signed: the heads were removed
        report.problems.append(f"no signed checkpoint covers the log's {size} leaves")
        return
    oldest_unsigned = session.scalar(
        select(func.min(AuditEvent.at))
        .join(AuditLeaf, AuditLeaf.event_id == AuditEvent.id)
        .where(AuditLeaf.seq >= signed)
    )
    if oldest_unsigned is not None and as_utc(oldest_unsigned) < since:
        report.problems.append(
            f"leaves {signed} to {size - 1} are covered by no signed checkpoint, the oldest "
            f"since {_iso(oldest_unsigned)}"
        )
