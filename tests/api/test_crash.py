"""kill -9 the server in the middle of a large import: after a restart nothing is partial, the
audit log verifies, and the same upload then goes through (security.md T11)."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from hgr.audit import checkpoint, verify_log
from hgr.auth.roles import Role
from hgr.auth.users import add_user, create_token
from hgr.config import Settings, write_settings
from hgr.crypto import NodeKeys
from hgr.db import Database
from hgr.node import Node
from hgr.registry.importer import import_files
from tests.api.conftest import ADMIN
from tests.conftest import EXAMPLES, table_counts

DONORS = 20_000
HGR = Path(sys.executable).parent / "hgr"


def _templates(folder: Path) -> list[Path]:
    donors, samples = folder / "donors.csv", folder / "samples.csv"
    with donors.open("w", newline="") as d, samples.open("w", newline="") as s:
        dw, sw = csv.writer(d), csv.writer(s)
        dw.writerow(["donor_id", "sex", "birth_year", "residence_region", "population"])
        sw.writerow(["sample_id", "donor_id", "material_type", "collection_id", "collection_date"])
        for i in range(DONORS):
            dw.writerow(
                [f"CR{i:06d}", "female" if i % 2 else "male", 1940 + i % 60, "110000", "Han"]
            )
            for n, material in enumerate(("whole_blood", "dna")):
                sw.writerow([f"CS{i:06d}-{n}", f"CR{i:06d}", material, "COL-POP", "2021-03-01"])
    return [donors, samples]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    # Its own temporary folder, to see what a killed server leaves there.
    env = {**os.environ, "TMPDIR": str(home / "tmp")}
    process = subprocess.Popen(
        [str(HGR), "serve", "--home", str(home), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    assert process.stderr is not None
                    failure = process.stderr.read().decode(errors="replace")
                    raise RuntimeError(f"hgr serve did not start: {failure}") from None
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


SERVER_NAME = f"hgr-crash-{uuid.uuid4().hex[:12]}"


@contextmanager
def _writing(db: Database) -> Iterator[Callable[[], bool]]:
    """A probe: whether the server is inside the import's write transaction."""
    if db.dialect == "postgresql":
        probe = sa.create_engine(db.engine.url)

        def busy() -> bool:
            with probe.connect() as connection:
                return bool(
                    connection.scalar(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                            "AND state <> 'idle' AND query ILIKE 'INSERT INTO sample%'"
                        ),
                        {"name": SERVER_NAME},
                    )
                )

        try:
            yield busy
        finally:
            probe.dispose()
        return
    # SQLite in WAL mode: a large write transaction spills pages into the -wal file before
    # it commits.
    wal = Path(str(db.engine.url.database) + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    yield lambda: wal.exists() and wal.stat().st_size > start + 4 * 1024 * 1024


def _upload(port: int, token: str, paths: list[Path]) -> requests.Response:
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in paths]
    return requests.post(
        f"http://127.0.0.1:{port}/registry/import",
        files=files,
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )


@pytest.mark.slow
def test_kill_9_mid_import_leaves_nothing_partial(
    db: Database, keys: NodeKeys, tmp_path: Path
) -> None:
    import_files(db, keys, [EXAMPLES / "institutions.csv"])
    import_files(db, keys, [EXAMPLES / "collections.csv"], institution="BJ-H001")
    with db.transaction() as session:
        add_user(session, ADMIN, "steward", Role.INSTITUTION_STEWARD, "BJ-H001")
        token = create_token(session, ADMIN, "steward").value
    home = tmp_path / "node"
    home.mkdir()
    shutil.copytree(keys.directory, home / "keys")
    # The server's connections carry a name of their own, so that the probe below sees this
    # server's import and not one that another test (or another worker) runs at the moment.
    url = db.engine.url
    if db.dialect == "postgresql":
        url = url.update_query_dict({"application_name": SERVER_NAME})
    settings = Settings(home=home, database_url=url.render_as_string(False))
    write_settings(settings)
    if db.dialect == "postgresql":  # the test role: a password-less superuser, for development
        with (home / "node.toml").open("a", encoding="utf-8") as toml:
            toml.write("[service]\ndevelopment = true\n")
    (home / "tmp").mkdir()
    paths = _templates(tmp_path)
    before = table_counts(db)
    port = _free_port()

    with _server(home, port) as server, _writing(db) as busy:
        outcome: list[object] = []
        sender = threading.Thread(target=lambda: outcome.append(_try_upload(port, token, paths)))
        sender.start()
        deadline = time.monotonic() + 120
        while not busy():
            assert time.monotonic() < deadline, "the import never started writing"
            assert sender.is_alive(), f"the import finished before it could be killed: {outcome}"
            time.sleep(0.02)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        sender.join(60)
    assert isinstance(outcome[0], requests.ConnectionError), outcome

    # Nothing of the killed transaction is visible (PostgreSQL rolls it back when it notices
    # the dead client; SQLite ignores the uncommitted frames in its write-ahead log).
    assert table_counts(db) == before
    # And no copy of the uploaded identifiers stays on disk: they were held in memory.
    left = [p for p in (home / "tmp").rglob("*") if p.is_file() and not p.is_symlink()]
    assert left == [], left

    with _server(home, port):
        assert not list((home / "tmp").glob("hgr-upload-*"))  # the dead server's, removed
        donors = requests.get(
            f"http://127.0.0.1:{port}/registry/donors",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert donors.json()["total"] == before["donor"]
        response = _upload(port, token, paths)
        assert response.status_code == 200, response.text
        assert response.json()["changes"]["donors"]["inserted"] == DONORS
    after = table_counts(db)
    assert after["donor"] == before["donor"] + DONORS
    assert after["sample"] == before["sample"] + 2 * DONORS

    signer = Node(settings, db, keys).signer()
    with db.transaction() as session:
        checkpoint(session, signer)
    with db.reader() as session:
        report = verify_log(session, signer.verifier)
    assert report.ok, report.problems
    assert report.events == after["audit_event"]


def _try_upload(port: int, token: str, paths: list[Path]) -> object:
    try:
        return _upload(port, token, paths)
    except requests.RequestException as exc:
        return exc
