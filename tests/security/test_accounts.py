"""An operator can stop a person at once and see every credential that works: before, there was
no command to disable a user or to list tokens, so a departed researcher's token lived on."""

from __future__ import annotations

from pathlib import Path

from hgr.audit import Actor
from hgr.auth import Role, add_user, authenticate_token, create_token
from hgr.cli.main import app
from hgr.db import Database
from hgr.exceptions import NotAuthenticated
from tests.cli.conftest import hgr, runner

ADMIN = Actor("cli:test", "operator")


def test_a_disabled_user_is_refused_and_listed(tmp_path: Path) -> None:
    home = tmp_path / "node"
    assert runner.invoke(app, ["init", str(home)]).exit_code == 0
    db = Database(f"sqlite:///{home / 'hgr.sqlite'}")
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
        code, output = hgr(home, "user", "disable", "auditor1")
        assert code != 0
        assert "E_USER_DISABLED" in output
    finally:
        db.dispose()
