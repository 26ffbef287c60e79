"""A node is backed up, destroyed and rebuilt, on both databases, and the rebuilt node passes
``hgr audit verify --records``. A backup altered in transit, or keys of another node, are
refused before anything is written. Before, a node had no backup command and no tested
restore."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.cli.main import app
from hgr.node import open_node
from tests.cli.conftest import hgr, runner
from tests.conftest import EXAMPLES, HOLDINGS, POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the node's own SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    request.getfixturevalue("postgres_schema_url")  # skips or fails as the suite's PostgreSQL
    schema = f"hgr_backup_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _node(home: Path, database_url: str | None) -> str:
    """A node holding the examples, a user with a token, and a signed audit head."""
    extra = ["--database-url", database_url] if database_url else []
    result = runner.invoke(app, ["init", str(home), "--institution", "BJ-H001", *extra])
    assert result.exit_code == 0, result.output
    assert hgr(home, "import", str(EXAMPLES / "institutions.csv"))[0] == 0
    assert hgr(home, "import", *map(str, HOLDINGS))[0] == 0
    assert hgr(home, "user", "add", "auditor1", "--role", "auditor")[0] == 0
    result = runner.invoke(app, ["token", "create", "auditor1", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert hgr(home, "audit", "checkpoint")[0] == 0
    return result.stdout.strip().splitlines()[-1]


def _destroy(home: Path, database_url: str | None) -> None:
    if database_url:
        schema = database_url.rsplit("%3D", 1)[1]
        engine = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    shutil.rmtree(home)


def test_back_up_destroy_restore_and_verify(tmp_path: Path, database_url: str | None) -> None:
    home = tmp_path / "node"
    token = _node(home, database_url)
    kept_keys = tmp_path / "keys-apart"
    shutil.copytree(home / "keys", kept_keys)
    code, output = hgr(home, "backup", str(tmp_path / "backup"))
    assert code == 0, output
    assert not (tmp_path / "backup" / "files" / "keys").exists()  # the keys stay apart
    _destroy(home, database_url)

    rebuilt = tmp_path / "rebuilt"
    result = runner.invoke(
        app, ["restore", str(tmp_path / "backup"), str(rebuilt), "--keys", str(kept_keys)]
    )
    assert result.exit_code == 0, result.output
    assert "the restored node verifies" in result.output
    code, output = hgr(rebuilt, "audit", "verify", "--records")
    assert code == 0, output
    code, output = hgr(rebuilt, "summary")
    assert "BJ-H001" in output
    node = open_node(rebuilt)
    try:
        from hgr.auth.users import authenticate_token

        with node.db.reader() as session:
            assert authenticate_token(session, token).actor == "token:auditor1"
    finally:
        node.close()


def test_an_altered_backup_or_foreign_keys_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "node"
    _node(home, None)
    assert hgr(home, "backup", str(tmp_path / "backup"))[0] == 0
    other = tmp_path / "other"
    assert runner.invoke(app, ["init", str(other)]).exit_code == 0

    result = runner.invoke(
        app,
        ["restore", str(tmp_path / "backup"), str(tmp_path / "r1"), "--keys", str(other / "keys")],
    )
    assert result.exit_code != 0
    assert "E_BACKUP_KEYS" in result.output
    assert not (tmp_path / "r1").exists()

    dump = tmp_path / "backup" / "database.sqlite"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    result = runner.invoke(
        app,
        ["restore", str(tmp_path / "backup"), str(tmp_path / "r2"), "--keys", str(home / "keys")],
    )
    assert result.exit_code != 0
    assert "E_BACKUP_CORRUPT" in result.output
    assert not (tmp_path / "r2").exists()

    # The manifest rewritten to match the altered dump, or naming a key file: its MAC fails.
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["database.sqlite"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    manifest["files"]["files/keys/records.key"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    result = runner.invoke(
        app,
        ["restore", str(tmp_path / "backup"), str(tmp_path / "r3"), "--keys", str(home / "keys")],
    )
    assert result.exit_code != 0
    assert "E_BACKUP_CORRUPT" in result.output
    assert not (tmp_path / "r3").exists()

    result = runner.invoke(
        app, ["restore", str(tmp_path / "backup"), str(home), "--keys", str(home / "keys")]
    )
    assert result.exit_code != 0
    assert "E_RESTORE_EXISTS" in result.output
