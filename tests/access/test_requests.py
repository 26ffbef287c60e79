"""The request lifecycle: decided by rule, routed to its reviews, four eyes each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from hgr.access.export import file_provision
from hgr.access.requests import (
    activate,
    create_request,
    end,
    find_request,
    review,
    review_state,
    submit,
)
from hgr.audit import Actor
from hgr.auth.models import User
from hgr.auth.roles import Role
from hgr.auth.users import add_user
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.exceptions import Conflict, Forbidden, ValidationFailed
from hgr.policy import AccessRequest, NodeFacts, load_packs, read_model
from hgr.registry.importer import import_files
from tests.conftest import EXAMPLES, HOLDINGS, register_parties

ACTOR = Actor("test", "operator")
TODAY = dt.date(2026, 11, 23)  # a Monday
PACKS = load_packs()
OXBRIDGE = "Example University of Oxbridge"
REQUEST = read_model(AccessRequest, EXAMPLES / "policy" / "foreign-wgs-request.yaml")
COHORT = {"cohort": {"institution": "BJ-H001", "families": ["HD-001"]}}


@pytest.fixture
def users(db: Database, keys: NodeKeys) -> dict[str, User]:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, HOLDINGS, institution="BJ-H001")
    people: dict[str, tuple[Role, str, str]] = {
        "alice": (Role.RESEARCHER, "", OXBRIDGE),
        "dac1": (Role.ACCESS_COMMITTEE, "BJ-H001", "Beijing Example Hospital"),
        "dac2": (Role.ACCESS_COMMITTEE, "BJ-H001", "Beijing Example Hospital"),
        "dac_other": (Role.ACCESS_COMMITTEE, "SH-C001", "SH-C001"),
        "dac_oxbridge": (Role.ACCESS_COMMITTEE, "BJ-H001", OXBRIDGE.upper()),
        "eth1": (Role.ETHICS_COMMITTEE, "BJ-H001", ""),
        "eth2": (Role.ETHICS_COMMITTEE, "BJ-H001", ""),
        "sec1": (Role.SECURITY_REVIEWER, "", ""),
        "sec2": (Role.SECURITY_REVIEWER, "", ""),
    }
    with db.transaction() as session:
        register_parties(session, REQUEST)
        for name, (role, scope, organisation) in people.items():
            add_user(session, ACTOR, name, role, scope, organisation=organisation)
    with db.reader() as session:
        found = {u.name: u for u in session.query(User)}
        for user in found.values():
            session.expunge(user)
    return found


def _submitted(db: Database, users: dict[str, User], *changes: dict[str, Any], **facts: Any) -> str:
    body = REQUEST.model_dump(mode="json")
    for change in changes:
        body |= change
    with db.transaction() as session:
        entry = create_request(session, ACTOR, users["alice"], AccessRequest.model_validate(body))
        assert entry.status == "draft"
        submit(session, ACTOR, entry, NodeFacts(today=TODAY, **facts), PACKS)
        return entry.number


def _review(
    db: Database,
    users: dict[str, User],
    number: str,
    who: str,
    kind: str,
    approve: bool = True,
    note: str = "",
) -> str:
    with db.transaction() as session:
        entry = review(
            session,
            ACTOR,
            find_request(session, number),
            users[who],
            kind,
            approve=approve,
            note=note,
            today=TODAY,
        )
        return entry.status


def test_a_foreign_request_through_every_review_to_revocation(
    db: Database, users: dict[str, User], tmp_path: Path
) -> None:
    number = _submitted(db, users, COHORT)
    with db.reader() as session:
        entry = find_request(session, number)
        assert (entry.status, entry.outcome) == ("under_review", "security_review")
        assert entry.reviews_needed == ["dac", "ethics", "security"]
        assert entry.due_on == dt.date(2026, 12, 21)  # 20 working days
        assert "CN-13" in [r["rule"] for r in entry.decision["rules"]]  # type: ignore[index]
    assert _review(db, users, number, "dac1", "dac") == "under_review"
    with pytest.raises(Conflict, match="second pair of eyes"):
        _review(db, users, number, "dac1", "dac")
    with pytest.raises(Forbidden, match="own or of their organisation"):
        _review(db, users, number, "dac_oxbridge", "dac")
    with pytest.raises(Forbidden, match="not for BJ-H001"):
        _review(db, users, number, "dac_other", "dac")
    with pytest.raises(Forbidden, match="is for access_committee"):
        _review(db, users, number, "eth1", "dac")
    for who, kind in (
        ("dac2", "dac"),
        ("eth1", "ethics"),
        ("eth2", "ethics"),
        ("sec1", "security"),
    ):
        assert _review(db, users, number, who, kind) == "under_review"
    with db.reader() as session:
        state = review_state(session, find_request(session, number), TODAY)
        assert state.missing == {"security": 1}
        assert not state.overdue
        assert review_state(session, find_request(session, number), dt.date(2026, 12, 22)).overdue
    assert _review(db, users, number, "sec2", "security") == "approved"
    with pytest.raises(Conflict, match="file it first"), db.transaction() as session:
        activate(session, ACTOR, find_request(session, number), today=TODAY)
    backup = tmp_path / "backup.bin"
    backup.write_bytes(b"backup")
    with db.transaction() as session:
        file_provision(session, ACTOR, find_request(session, number), backup, TODAY)
        with pytest.raises(Conflict, match="filed already"):
            file_provision(session, ACTOR, find_request(session, number), backup, TODAY)
        entry = activate(session, ACTOR, find_request(session, number), today=TODAY)
        assert (entry.status, entry.expires_on) == ("active", dt.date(2029, 11, 23))
        with pytest.raises(Conflict, match="runs until"):
            end(session, ACTOR, entry, "expire", today=TODAY)
        with pytest.raises(ValidationFailed, match="reasons"):
            end(session, ACTOR, entry, "revoke")
        end(session, ACTOR, entry, "revoke", "Consent scope exceeded.")
        assert entry.status == "revoked"


def test_a_prohibited_request_is_refused_at_once(db: Database, users: dict[str, User]) -> None:
    number = _submitted(db, users, debarment="mandatory")
    with db.reader() as session:
        entry = find_request(session, number)
        assert (entry.status, entry.note) == ("rejected", "prohibited by DEB-M")
        assert entry.reviews_needed == []
    with pytest.raises(Conflict, match="not under review"):
        _review(db, users, number, "dac1", "dac")


def test_one_rejection_rejects_and_gives_reasons(db: Database, users: dict[str, User]) -> None:
    fewer = {"data": REQUEST.data.model_dump(mode="json") | {"persons": 100}}
    number = _submitted(db, users, fewer)
    with pytest.raises(ValidationFailed, match="needs no security review"):
        _review(db, users, number, "sec1", "security")  # an approval outcome: dac and ethics
    with pytest.raises(ValidationFailed, match="reasons"):
        _review(db, users, number, "eth1", "ethics", approve=False)
    assert _review(db, users, number, "eth1", "ethics", False, "No ethics approval seen.") == (
        "rejected"
    )
