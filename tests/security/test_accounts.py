"""An operator can stop a person at once and see every credential that works: before, there was
no command to disable a user or to list tokens, so a departed researcher's token lived on."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hgr.audit import Actor
from hgr.auth.roles import Role
from hgr.auth.users import add_user, authenticate_token, create_token
from hgr.cli.main import app
from hgr.exceptions import NotAuthenticated
from hgr.node import open_node
from tests.cli.conftest import hgr, hgr_lines, runner

ADMIN = Actor("cli:test", "operator")


def test_a_disabled_user_is_refused_and_listed(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home)]).exit_code == 0
    node = open_node(home)
    db = node.db
    try:
        with db.transaction() as session:
            add_user(session, ADMIN, "auditor1", Role.AUDITOR)
            token = create_token(session, ADMIN, "auditor1", label="laptop").value
            create_token(session, ADMIN, "auditor1", label="script")
        with db.reader() as session:
            assert authenticate_token(session, token).role is Role.AUDITOR

        code, listing = hgr(home, "token", "list")
        assert code == 0, listing
        assert listing.count("live") == 2
        assert token.split("_")[2] not in listing  # never the secret

        code, output = hgr(home, "user", "disable", "auditor1", "--reason", "left the institute")
        assert code == 0, output
        assert "2 token(s) revoked" in output
        with db.reader() as session:
            try:
                authenticate_token(session, token)
                raise AssertionError("a disabled user's token still works")
            except NotAuthenticated:
                pass
        code, listing = hgr(home, "token", "list", "--user", "auditor1")
        assert listing.count("revoked") == 2, listing
        listed = hgr_lines(home, "token", "list", "--user", "auditor1", "--tsv")
        lines = [line.split("\t") for line in listed]
        assert lines[0] == ["token", "user", "role", "label", "created", "expires", "status"]
        assert sorted(line[3] for line in lines[1:]) == ["laptop", "script"]
        assert {line[6] for line in lines[1:]} == {"revoked"}
        code, output = hgr(home, "user", "disable", "auditor1")
        assert code != 0
        assert "E_USER_DISABLED" in output

        assert hgr(home, "audit", "verify", "--records")[0] == 0
        with db.transaction() as session:
            session.execute(sa.text("UPDATE app_user SET disabled_at = NULL"))
        code, output = hgr(home, "audit", "verify", "--records")
        assert code != 0
        assert "app_user auditor1: edited outside the node" in output
    finally:
        db.dispose()


def test_reseal_lists_before_it_seals_and_never_blesses_an_edit(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home)]).exit_code == 0
    node = open_node(home)
    try:
        with node.db.transaction() as session:
            add_user(session, ADMIN, "old", Role.AUDITOR)
            add_user(session, ADMIN, "edited", Role.SECURITY_REVIEWER)
        with node.db.transaction() as session:  # as a node made before seals left them
            session.execute(sa.text("UPDATE app_user SET seal = NULL WHERE name = 'old'"))
            session.execute(sa.text("UPDATE app_user SET role = 'auditor' WHERE name = 'edited'"))
        code, output = hgr(home, "audit", "reseal")
        assert code == 0
        assert "app_user old (auditor)" in output
        assert "edited" not in output
        assert hgr(home, "audit", "verify", "--records")[0] != 0
        code, output = hgr(home, "audit", "reseal", "--yes")
        assert "1 row(s) sealed" in output
        code, output = hgr(home, "audit", "verify", "--records")
        assert code != 0
        assert "app_user old" not in output
        assert "app_user edited: edited outside the node" in output
    finally:
        node.close()
