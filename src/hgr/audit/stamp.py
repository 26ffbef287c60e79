"""The audit log as a stamp of the node's state, for caches of what is read on every request
and changes rarely (the beacon's datasets, a user's organisation, the debarment list).

Every change of state goes through a service function that writes the audit log in the same
transaction (ARCHITECTURE.md), so the newest event's id moves whenever anything changes: a
value computed under one stamp stands while the stamp does. :func:`cached` reads the stamp
once per session (one primary-key lookup) and keeps values per database, per stamp.

Two cases the stamp alone would miss, and how they are covered:

- A session that has written events of its own sees its uncommitted changes. Its reads are
  neither taken from nor put in the cache (:func:`record` marks the session).
- Event ids are handed out at insert, not at commit: a transaction that commits after a later
  one leaves the newest id where it was. Each value is therefore also recomputed at most
  ``MAX_AGE`` seconds after it was computed, which bounds how long such a change can go unseen.
  Each value's age limit is drawn between half and all of ``MAX_AGE``, so that values computed
  together (every user's, as a server warms up) are not recomputed all at once.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session

from hgr.audit.models import AuditEvent

__all__ = ["CHANGED", "MAX_AGE", "cached", "mark_changed"]

T = TypeVar("T")

MAX_AGE = 10.0  # seconds a cached value is kept at most, however still the stamp stands
MAX_ENTRIES = 10_000  # values kept per database and stamp (a cache of every user at most)
CHANGED = "hgr.audit.changed"  # session.info key: the session has written audit events
_STAMP = "hgr.audit.stamp"  # session.info key: the stamp this session read


@dataclass
class _Generation:
    """The values computed under one stamp of one database, each with when it expires."""

    stamp: int
    values: dict[Hashable, tuple[float, Any]] = field(default_factory=dict)  # (expiry, value)


_EVENTS = cast(Table, AuditEvent.__table__)
_NEWEST = select(func.max(_EVENTS.c.id))  # a backward step on the primary key's index
_GENERATIONS: weakref.WeakKeyDictionary[Engine, _Generation] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def mark_changed(session: Session) -> None:
    """Note that ``session`` has changed state (called by :func:`hgr.audit.record`)."""
    session.info[CHANGED] = True


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """The value of ``compute()`` for ``key``, computed at most once per state of the node.

    ``compute`` must read only what changes with an audit event, and the key must name
    everything else it depends on (the date, for what is valid from or until a day).
    """
    if session.info.get(CHANGED):
        return compute()
    stamp = session.info.get(_STAMP)
    if stamp is None:
        newest = session.connection().execute(_NEWEST).scalar()
        stamp = session.info[_STAMP] = int(newest or 0)
    engine = session.get_bind().engine
    now = time.monotonic()
    with _LOCK:
        generation = _GENERATIONS.get(engine)
        if generation is None or generation.stamp != stamp:
            generation = _Generation(stamp)
            if stamp >= getattr(_GENERATIONS.get(engine), "stamp", 0):
                _GENERATIONS[engine] = generation  # an older stamp's reader does not evict
        found = generation.values.get(key)
        if found is not None and now < found[0]:
            return cast(T, found[1])
    value = compute()
    with _LOCK:
        if len(generation.values) < MAX_ENTRIES or key in generation.values:
            generation.values[key] = (now + MAX_AGE * random.uniform(0.5, 1.0), value)
    return value
