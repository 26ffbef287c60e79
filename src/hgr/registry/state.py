"""Counts over the whole registry, kept while the registry stands still.

Counting an institution of a million donors takes seconds, so the steward's pages count once
per state of the registry and keep the count: every write hgr makes to the registry adds an
import batch (new records) or a record version (a changed field: hgr.registry.history), so the
newest of each names the state (:func:`registry_state`). Ids are handed out at insert, not at
commit: an import that commits after a later one leaves the newest ids where they were, so a
count is also made again at most ``MAX_AGE`` seconds after it was made (as hgr.audit.stamp does
for the same reason), which bounds how long such a change can go unseen.

The audit log's stamp (hgr.audit.stamp) would not do here: every audited read of a donor moves
it, and a steward's pages read donors all day.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hgr.registry import models as m
from hgr.registry.history import RecordVersion

__all__ = ["MAX_AGE", "counted", "forget", "registry_state"]

T = TypeVar("T")

MAX_AGE = 60.0  # seconds a count is kept at most, however still the registry stands
_KEPT = 256  # counts kept at once
_COUNTED: dict[Hashable, tuple[float, Any]] = {}
_LOCK = threading.Lock()


def registry_state(session: Session) -> tuple[int, int]:
    """What changes whenever hgr writes to the registry: the newest import batch and the
    newest record version."""
    batch = session.scalar(select(func.max(m.ImportBatch.id))) or 0
    version = session.scalar(select(func.max(RecordVersion.id))) or 0
    return int(batch), int(version)


def counted(session: Session, what: Hashable, count: Callable[[], T]) -> T:
    """``count()``, made at most once per state of the registry (and ``MAX_AGE``) for
    ``what``, which names everything else the count depends on (an institution, a day)."""
    # The database's address too: one process may serve several nodes (the demo, tests).
    key = (str(session.get_bind().engine.url), what, registry_state(session))
    now = time.monotonic()
    with _LOCK:
        kept = _COUNTED.get(key)
    if kept is not None and now - kept[0] < MAX_AGE:
        return cast(T, kept[1])
    value = count()
    with _LOCK:
        if len(_COUNTED) >= _KEPT:
            _COUNTED.clear()
        _COUNTED[key] = (now, value)
    return value


def forget() -> None:
    """Drop every kept count: for a database put back from a copy, whose import batches and
    record versions may repeat the ids of a state counted before."""
    with _LOCK:
        _COUNTED.clear()
