"""A node deployed carelessly refuses to run: key files others can read, a proxy wildcard that
lets anyone spoof X-Forwarded-For, a superuser or password-less database role, and uploaded
identifiers left on disk after a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from hgr.api.serve import check_service, database_refusals
from hgr.config import ServiceSettings, Settings
from hgr.console.uploads import PREFIX, clean_stale, upload_folder
from hgr.crypto import create_node_keys, load_node_keys
from hgr.crypto.keys import C4GH_SECRET, PSEUDONYM_KEY, SIGNING_KEY
from hgr.db import Database
from hgr.exceptions import ConfigurationError


@pytest.mark.parametrize("name", [C4GH_SECRET, SIGNING_KEY, PSEUDONYM_KEY])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_can_read_stops_the_node(tmp_path: Path, name: str, mode: int) -> None:
    keys = create_node_keys(tmp_path / "keys")
    (keys.directory / name).chmod(mode)
    # Before, a world-readable Crypt4GH secret (the key to every sealed file) was accepted.
    with pytest.raises(ConfigurationError, match="chmod 600") as refused:
        load_node_keys(keys.directory)
    assert refused.value.code == "E_KEY_MODE"
    refusals = check_service(Settings(home=tmp_path, service=ServiceSettings(development=True)))
    assert any(name in r for r in refusals), refusals


@pytest.mark.parametrize("proxy", ["*", "0.0.0.0/0", "::/0", "proxy.example", "10.0.0.1, *"])
def test_a_proxy_wildcard_is_refused(tmp_path: Path, proxy: str) -> None:
    create_node_keys(tmp_path / "keys")
    service = ServiceSettings(host="0.0.0.0", trusted_proxy=proxy)
    # Before, "*" was accepted on 0.0.0.0: a spoofed X-Forwarded-For then passed every limit.
    assert any(
        "trusted_proxy" in r for r in check_service(Settings(home=tmp_path, service=service))
    )


def test_explicit_proxies_are_accepted(tmp_path: Path) -> None:
    create_node_keys(tmp_path / "keys")
    service = ServiceSettings(host="0.0.0.0", trusted_proxy="10.0.0.1, 192.168.4.0/24")
    assert check_service(Settings(home=tmp_path, service=service)) == []


def test_a_database_url_without_a_password_is_refused(tmp_path: Path) -> None:
    create_node_keys(tmp_path / "keys")
    settings = Settings(home=tmp_path, database_url="postgresql://hgr@db.example/hgr")
    assert any("no password" in r for r in check_service(settings))


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_superuser_role_is_refused(db: Database, tmp_path: Path) -> None:
    with db.reader() as session:
        superuser = session.scalar(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
    if not superuser:
        pytest.skip("the test database's role is not a superuser")
    settings = Settings(home=tmp_path, database_url="postgresql://x:y@z/hgr")
    assert any("superuser" in r for r in database_refusals(settings, db))
    relaxed = Settings(home=tmp_path, service=ServiceSettings(development=True))
    assert database_refusals(relaxed, db) == []


def test_uploads_leave_no_plaintext_on_disk(tmp_path: Path) -> None:
    with upload_folder() as uploads:
        path = uploads.add("donors.csv", b"donor_id\nRAW-ID-0001\n")
        assert path.read_text() == "donor_id\nRAW-ID-0001\n"
        if hasattr(os, "memfd_create"):
            assert path.is_symlink()
            on_disk = [p for p in uploads.path.iterdir() if not p.is_symlink()]
            assert on_disk == []
        folder = uploads.path
    assert not folder.exists()


def test_stale_upload_folders_are_removed_at_start(tmp_path: Path) -> None:
    dead = tmp_path / f"{PREFIX}999999999-abc"  # no such process
    old = tmp_path / f"{PREFIX}x1y2z3"  # an older server's copy, raw ids in plaintext
    live = tmp_path / f"{PREFIX}{os.getpid()}-abc"
    for folder in (dead, old, live):
        folder.mkdir()
        (folder / "donors.csv").write_text("donor_id\nRAW-ID-0001\n")
    assert clean_stale(tmp_path) == 2
    assert not dead.exists()
    assert not old.exists()
    assert live.exists()
