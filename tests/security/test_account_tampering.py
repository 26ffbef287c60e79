"""A database superuser edits the rows that grant access: a researcher promoted to national
officer, a backdoor token for the auditor, a token moved to another user or brought back to
life. Before, each of these worked at once and passed ``hgr audit verify``; now every request
with such a row is refused, and ``verify --records`` names the row."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from hgr.auth.seals import unsealed_accounts
from hgr.crypto import NodeKeys
from tests.security.conftest import Api


def _sql(api: Api, statement: str, **values: object) -> None:
    with api.db.transaction() as session:
        session.execute(sa.text(statement), values)


def _problems(api: Api, keys: NodeKeys) -> list[str]:
    with api.db.reader() as session:
        return unsealed_accounts(session, keys.record_key())


def test_a_role_promoted_in_sql_does_not_work(api: Api, keys: NodeKeys) -> None:
    assert api.get("researcher", "/me").json()["role"] == "researcher"
    assert _problems(api, keys) == []
    _sql(api, "UPDATE app_user SET role = 'national_officer' WHERE name = 'researcher'")
    answer = api.get("researcher", "/summary")
    assert answer.status_code == 401, answer.text  # before: 200, as a national officer
    assert "app_user researcher: edited outside the node" in _problems(api, keys)


def test_a_scope_moved_in_sql_does_not_work(api: Api, keys: NodeKeys) -> None:
    _sql(api, "UPDATE app_user SET scope = 'SH-C001' WHERE name = 'steward_bj'")
    assert api.get("steward_bj", "/registry/donors").status_code == 401


def test_a_backdoor_token_for_the_auditor_is_refused(api: Api, keys: NodeKeys) -> None:
    secret = "A" * 43
    _sql(
        api,
        "INSERT INTO api_token (token_id, user_id, secret_sha256, label, created_at, "
        "expires_at) SELECT 'deadbeefdeadbeef', id, :digest, '', CURRENT_TIMESTAMP, "
        "'2099-01-01' FROM app_user WHERE name = 'auditor'",
        digest=hashlib.sha256(secret.encode()).hexdigest(),
    )
    answer = api.client.get(
        "/audit/events", headers={"Authorization": f"Bearer hgr_deadbeefdeadbeef_{secret}"}
    )
    assert answer.status_code == 401, answer.text
    assert "api_token deadbeefdeadbeef: not sealed" in _problems(api, keys)


def test_a_token_moved_to_another_user_is_refused(api: Api, keys: NodeKeys) -> None:
    token_id = api.tokens["researcher"].split("_")[1]
    _sql(
        api,
        "UPDATE api_token SET user_id = (SELECT id FROM app_user WHERE name = 'auditor') "
        "WHERE token_id = :t",
        t=token_id,
    )
    assert api.get("researcher", "/audit/events").status_code == 401
    assert f"api_token {token_id}: edited outside the node" in _problems(api, keys)


def test_a_revoked_token_brought_back_is_refused(api: Api, keys: NodeKeys) -> None:
    from hgr.audit import Actor
    from hgr.auth.users import revoke_token

    token_id = api.tokens["auditor"].split("_")[1]
    with api.db.transaction() as session:
        revoke_token(session, Actor("cli:test", "operator"), token_id)
    assert api.get("auditor", "/me").status_code == 401
    _sql(
        api,
        "UPDATE api_token SET revoked_at = NULL, expires_at = '2099-01-01' WHERE token_id = :t",
        t=token_id,
    )
    assert api.get("auditor", "/me").status_code == 401


def test_a_deleted_user_is_reported_missing(api: Api, keys: NodeKeys) -> None:
    _sql(
        api,
        "DELETE FROM api_token WHERE user_id = (SELECT id FROM app_user WHERE name = 'security')",
    )
    _sql(api, "DELETE FROM app_user WHERE name = 'security'")
    problems = _problems(api, keys)
    assert "app_user security: missing (made by the node, deleted since)" in problems
    assert any(p.startswith("api_token ") and "missing" in p for p in problems)
