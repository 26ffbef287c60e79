"""One lifecycle module: every governed record changes state only by an audited step its
table allows."""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.access.requests import LIFECYCLE as REQUESTS
from hgr.audit import Actor
from hgr.audit.models import AuditEvent
from hgr.catalogue.entries import LIFECYCLE as CATALOGUE
from hgr.db import Database
from hgr.debarment.cases import LIFECYCLE as DEBARMENT
from hgr.exceptions import Conflict
from hgr.lifecycle import Lifecycle, step

SRC = Path(__file__).resolve().parents[1] / "src" / "hgr"
BY = Actor("cli:test", "operator")


class Door(StrEnum):
    OPEN = "open"
    SHUT = "shut"


DOOR = Lifecycle(
    Door,
    {(Door.OPEN, "shut"): Door.SHUT, (Door.SHUT, "open"): Door.OPEN},
    action="door",
    refused="E_DOOR_STATE",
)


NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class Entry:
    status: str
    updated_at: dt.datetime = NEVER
    note: str = ""


def _events(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    with db.reader() as session:
        rows = session.execute(
            sa.select(AuditEvent.action, AuditEvent.target, AuditEvent.detail).order_by(
                AuditEvent.id
            )
        )
        return [(a, t, d) for a, t, d in rows if a.startswith("door.")]


@pytest.mark.without_regions
def test_a_step_moves_sets_its_fields_and_is_audited(db: Database) -> None:
    entry = Entry("open")
    with db.transaction() as session:
        moved = step(
            session,
            BY,
            DOOR,
            entry,
            "shut",
            target="doors/1",
            refusal="no",
            detail={"why": "cold"},
            fields={"note": "shut at night"},
        )
    assert moved is Door.SHUT
    assert (entry.status, entry.note) == ("shut", "shut at night")
    assert type(entry.status) is str  # stored as its text
    assert entry.updated_at > NEVER
    assert _events(db) == [("door.shut", "doors/1", {"status": "shut", "why": "cold"})]


@pytest.mark.without_regions
def test_a_step_the_table_does_not_allow_changes_nothing(db: Database) -> None:
    entry = Entry("shut", note="as it was")
    with db.transaction() as session, pytest.raises(Conflict) as refused:
        step(
            session,
            BY,
            DOOR,
            entry,
            "shut",
            target="doors/1",
            refusal="the door is shut",
            fields={"note": "changed"},
        )
    assert (refused.value.code, refused.value.message) == ("E_DOOR_STATE", "the door is shut")
    assert (entry.status, entry.note, entry.updated_at) == ("shut", "as it was", NEVER)
    # A state the lifecycle does not know (a row edited by hand) has no moves either.
    assert DOOR.next("ajar", "shut") is None
    assert _events(db) == []


def test_a_table_of_strings_is_refused() -> None:
    with pytest.raises(TypeError):
        Lifecycle(
            Door,
            {("open", "shut"): Door.SHUT},
            action="door",  # type: ignore[dict-item]
            refused="E_DOOR_STATE",
        )


@pytest.mark.parametrize(
    "lifecycle", [REQUESTS, DEBARMENT, CATALOGUE], ids=["requests", "debarment", "catalogue"]
)
def test_each_record_kind_has_one_lifecycle_over_its_states(lifecycle: Lifecycle[StrEnum]) -> None:
    """Every state is one a step leaves or reaches: a state no move touches is dead."""
    reached = {s for pair in lifecycle.transitions.items() for s in (pair[0][0], pair[1])}
    assert reached == set(lifecycle.states)
    assert lifecycle.refused.endswith("_STATE")


@pytest.mark.parametrize(
    "module", ["access/requests.py", "debarment/cases.py", "catalogue/entries.py"]
)
def test_no_service_sets_a_state_but_through_a_step(module: str) -> None:
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    assigned = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Attribute) and t.attr == "status"
    ]
    assert assigned == [], f"{module} sets .status at lines {assigned}: use hgr.lifecycle.step"
