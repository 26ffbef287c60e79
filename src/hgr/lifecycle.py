"""Lifecycles: the states a governed record passes through, and the one audited step between
them.

An access request, a debarment case and a catalogue entry each move through a fixed set of
states. Each keeps its states as a ``StrEnum`` (stored as the member's text) and its moves as
one :class:`Lifecycle`, a table ``(state, step) -> next state``. :func:`step` is the only way a
record changes state: it refuses a step the table does not allow from the record's state
(``Conflict``, under the lifecycle's own code), stamps the record and writes the audit event
in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from hgr.audit import Actor, record
from hgr.dates import utc_now
from hgr.exceptions import Conflict

__all__ = ["Lifecycle", "Stateful", "step"]

S = TypeVar("S", bound=StrEnum)


class Stateful(Protocol):
    """A record with a lifecycle: its state, and when it last changed."""

    status: str
    updated_at: datetime


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """The moves of one kind of record: ``(state, step) -> next state``.

    ``action`` prefixes the audit action of each step (``<action>.<step>``); ``refused`` is the
    error code of a step the record's state does not allow.
    """

    states: type[S]
    transitions: Mapping[tuple[S, str], S]
    action: str
    refused: str

    def __post_init__(self) -> None:
        for (state, _), target in self.transitions.items():
            if not isinstance(state, self.states) or not isinstance(target, self.states):
                raise TypeError(f"{self.action}: {state} -> {target} is not of {self.states}")

    def next(self, state: str, name: str) -> S | None:
        """The state ``name`` leads to from ``state``; None where the table has no such move."""
        try:
            return self.transitions.get((self.states(state), name))
        except ValueError:  # a state the lifecycle does not know has no moves
            return None

    @property
    def steps(self) -> frozenset[str]:
        """Every step of the lifecycle, from whichever state."""
        return frozenset(name for _, name in self.transitions)


def step(
    session: Session,
    by: Actor,
    lifecycle: Lifecycle[S],
    entry: Stateful,
    name: str,
    *,
    target: str,
    refusal: str,
    detail: Mapping[str, object] | None = None,
    fields: Mapping[str, object] | None = None,
) -> S:
    """Move ``entry`` by the step ``name``, setting ``fields`` of it with the state, and audit
    it as ``<action>.<name>`` on ``target`` with the new status and ``detail``.

    Raises Conflict (the lifecycle's code) with ``refusal`` as its message when the entry's
    state has no such step; nothing is changed then.
    """
    state = lifecycle.next(entry.status, name)
    if state is None:
        raise Conflict(refusal, code=lifecycle.refused)
    entry.status = state.value  # stored as its text, as the column and the seal read it
    for field, value in (fields or {}).items():
        setattr(entry, field, value)
    entry.updated_at = utc_now()
    record(
        session,
        by,
        f"{lifecycle.action}.{name}",
        target,
        detail={"status": str(state), **(detail or {})},
    )
    return state
