"""Backing a node up, and rebuilding it from the backup.

A backup is a folder:

- ``database.sqlite``, a consistent copy taken with SQLite's online backup API while the node
  may be writing (sqlite.org/backup.html); or ``database.pgdump``, PostgreSQL's ``pg_dump
  --format=custom``, which reads one snapshot;
- ``files/``, everything else under the node's home: settings, genotype stores, export
  packages, the audit head kept outside the database, the heads it witnesses;
- ``manifest.json``, the SHA-256 of every file, the schema revision and the audit head at the
  time, and ``manifest.hmac``, its MAC under the node's record key, so that a restore refuses
  a backup that was altered or cut short, or a manifest rewritten to match.

**The keys are not in it, on purpose.** The pseudonym key re-identifies every donor, the
Crypt4GH secret opens every sealed file, and the signing and record keys speak for the node. A
backup travels, and it is kept for years, often by other people. Stored with its keys, a stolen
backup would carry the data and the means to re-identify and forge it. Keep the key folder
apart, offline, as the node's operator's own secret, and give it to ``hgr restore --keys``.

:func:`restore` rebuilds a node in an empty folder and checks it as ``hgr audit verify
--records`` does; it refuses keys that do not match the backup's signed audit head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from hgr.audit import latest_checkpoint, parse_checkpoint, verify_log
from hgr.audit.heads import read_head
from hgr.audit.records import unsealed_rows
from hgr.auth.seals import unsealed_accounts
from hgr.config import NODE_FILE, load_settings
from hgr.crypto.digests import file_sha256
from hgr.crypto.keys import PRIVATE_KEYS, RECORD_KEY, SIGNING_PUB, load_node_keys
from hgr.crypto.signing import load_verifier
from hgr.dates import utc_now
from hgr.exceptions import ConfigurationError, IntegrityBroken, UsageError
from hgr.node import Node, open_node

__all__ = ["BackupManifest", "RestoreReport", "backup", "restore"]

MANIFEST = "manifest.json"
MANIFEST_MAC = "manifest.hmac"
FORMAT = "hgr-backup/1"
# What of the home a backup leaves out: the keys (kept apart, see above), the live SQLite files
# (copied through the backup API instead) and settings backups of ``hgr init --force``.
_SKIPPED = {"keys", "hgr.sqlite", "hgr.sqlite-wal", "hgr.sqlite-shm", "hgr.sqlite-journal"}


@dataclass
class BackupManifest:
    """What a backup holds: its files and their digests, and the node's state when taken."""

    node: str
    taken_at: str
    database: str  # sqlite | postgresql
    schema_revision: str
    audit_size: int
    audit_root: str
    files: dict[str, str] = field(default_factory=dict)  # relative path -> SHA-256
    format: str = FORMAT

    def _text(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"

    def write(self, folder: Path, key: bytes) -> None:
        """Write the manifest and its MAC (keyed with the node's record key, so that whoever
        can edit the backup cannot rewrite its digests to match)."""
        text = self._text()
        (folder / MANIFEST).write_text(text, encoding="utf-8")
        (folder / MANIFEST_MAC).write_text(_mac(key, text) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, folder: Path, key: bytes) -> BackupManifest:
        """The manifest of the backup in ``folder``, checked against its MAC and confined to
        the backup's own files.

        Raises UsageError for a folder that is no backup, IntegrityBroken
        (``E_BACKUP_CORRUPT``) for a manifest that was altered or names a path it must not.
        """
        try:
            text = (folder / MANIFEST).read_text(encoding="utf-8")
            mac = (folder / MANIFEST_MAC).read_text(encoding="utf-8").strip()
            manifest = cls(**json.loads(text))
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(
                f"{folder} is not an hgr backup (its {MANIFEST} is missing or unreadable: {exc})",
                code="E_BACKUP",
            ) from exc
        if manifest.format != FORMAT:
            raise UsageError(
                f"{folder} is a backup of format {manifest.format}, not {FORMAT}", code="E_BACKUP"
            )
        if not hmac.compare_digest(_mac(key, text), mac):
            raise IntegrityBroken(
                f"the manifest of {folder} was altered, or these are not the node's keys",
                code="E_BACKUP_CORRUPT",
            )
        for relative in manifest.files:
            parts = Path(relative).parts
            if (
                Path(relative).is_absolute()
                or ".." in parts
                or (parts[0] == "files" and parts[1:2] == ("keys",))
                or (parts[0] != "files" and len(parts) != 1)
            ):
                raise IntegrityBroken(
                    f"the manifest names {relative!r}, which a backup never holds",
                    code="E_BACKUP_CORRUPT",
                )
        return manifest


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _postgres_target(url: str) -> tuple[str, list[str], dict[str, str]]:
    """A libpq connection string for ``url`` without its password, the pg_dump/pg_restore
    options that keep to its schema when the URL names one through
    ``options=-csearch_path=...``, and the environment that carries the password (a command
    line is visible to every user of the host; the environment is not)."""
    parsed = make_url(url)
    query = dict(parsed.query)
    options = str(query.get("options", ""))
    schema = options.removeprefix("-csearch_path=") if "search_path" in options else ""
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string()
    return plain, (["--schema", urllib.parse.unquote(schema)] if schema else []), env


def _run(command: list[str], what: str, env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"{command[0]} is not installed: {what} needs PostgreSQL's "
            "client tools (Debian: postgresql-client)",
            code="E_PG_TOOLS",
        ) from exc
    if done.returncode != 0:
        raise ConfigurationError(f"{what} failed: {done.stderr.strip()[-500:]}", code="E_PG_FAILED")


def backup(node: Node, destination: Path) -> BackupManifest:
    """Take a consistent backup of ``node`` into the new folder ``destination``.

    Raises UsageError when ``destination`` exists and is not empty.
    """
    if destination.exists() and any(destination.iterdir()):
        raise UsageError(
            f"{destination} is not empty: back up into a new folder", code="E_BACKUP_EXISTS"
        )
    destination.mkdir(parents=True, exist_ok=True)
    os.chmod(destination, 0o700)
    # The files first: the audit head kept among them is then never newer than the database
    # copied after it (a log that extends its head verifies; one shorter than it does not).
    files: dict[str, str] = {}
    home = node.settings.home
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if relative.parts[0] in _SKIPPED or relative.name.startswith(f"{NODE_FILE}."):
            continue
        if path.is_file() and not path.is_symlink():
            copied = destination / "files" / relative
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copied)
            files[str(Path("files") / relative)] = file_sha256(copied)
    with node.db.reader() as session:
        head = latest_checkpoint(session)
        revision = str(session.scalar(text("SELECT version_num FROM alembic_version")))
    if node.db.dialect == "sqlite":
        target = destination / "database.sqlite"
        source = sqlite3.connect(str(make_url(node.db.url).database))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        target = destination / "database.pgdump"
        connection, schema, env = _postgres_target(node.db.url)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                *schema,
                f"--file={target}",
                f"--dbname={connection}",
            ],
            "pg_dump",
            env,
        )
    manifest = BackupManifest(
        node=node.settings.name,
        taken_at=utc_now().isoformat(),
        database=node.db.dialect,
        schema_revision=revision,
        audit_size=head.size if head else 0,
        audit_root=head.root.hex() if head else "",
    )
    manifest.files.update(files)
    manifest.files[target.name] = file_sha256(target)
    manifest.write(destination, node.keys.record_key())
    return manifest


def _require_signer(source: Path, keys: Path) -> None:
    """Refuse a key folder whose signing key did not sign the backup's kept audit head: it
    belongs to another node, and the restored one could verify nothing."""
    note = source / "files" / "audit" / "head.note"
    if not note.is_file():
        return  # a node that never signed a checkpoint
    head = parse_checkpoint(note.read_text(encoding="utf-8"))
    if not head.verify(load_verifier(keys / SIGNING_PUB, head.origin)):
        raise ConfigurationError(
            f"the keys in {keys} did not sign this backup's audit head: give the node's own "
            "key folder",
            code="E_BACKUP_KEYS",
        )


@dataclass
class RestoreReport:
    """What a restore rebuilt and what verifying it found."""

    home: Path
    files: int
    events: int
    problems: list[str]


def restore(
    source: Path,
    home: Path,
    keys: Path,
    *,
    database_url: str | None = None,
    now: dt.datetime | None = None,
) -> RestoreReport:
    """Rebuild the node backed up in ``source`` in the new folder ``home``, with the key folder
    ``keys``, and verify it (audit log, its kept head, and every sealed row).

    ``database_url`` is where a PostgreSQL backup is restored (it must hold no hgr tables);
    by default, the one in the backed-up settings. Raises IntegrityBroken (``E_BACKUP_CORRUPT``)
    for a file that is missing or altered, ConfigurationError (``E_BACKUP_KEYS``) for keys that
    did not sign the backup's audit head, UsageError (``E_RESTORE_EXISTS``) for a ``home`` that
    is not empty.
    """
    if home.exists() and any(home.iterdir()):
        raise UsageError(f"{home} is not empty: restore into a new folder", code="E_RESTORE_EXISTS")
    missing = [name for name in (*PRIVATE_KEYS, SIGNING_PUB) if not (keys / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"the key folder {keys} lacks {', '.join(missing)}", code="E_BACKUP_KEYS"
        )
    _require_signer(source, keys)
    manifest = BackupManifest.read(source, (keys / RECORD_KEY).read_bytes())
    for relative, digest in manifest.files.items():
        path = source / relative
        if not path.is_file() or file_sha256(path) != digest:
            raise IntegrityBroken(
                f"the backup's {relative} is missing or altered: it does not match the manifest",
                code="E_BACKUP_CORRUPT",
            )
    home.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(keys, home / "keys")
        load_node_keys(home / "keys")  # refuses key files others may read
        for relative in manifest.files:
            if relative.startswith("files/"):
                target = home / Path(relative).relative_to("files")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / relative, target)
        settings = load_settings(home)
        if manifest.database == "sqlite":
            shutil.copy2(source / "database.sqlite", home / "hgr.sqlite")
            # Named outright: $HGR_DATABASE_URL must not send the check to another database.
            url = f"sqlite:///{(home / 'hgr.sqlite').resolve()}"
        else:
            url = database_url or settings.database_url
            connection, _schema, env = _postgres_target(url)  # the dump recreates its schema
            # One transaction: a restore that fails leaves the database as it found it.
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={connection}",
                    str(source / "database.pgdump"),
                ],
                "pg_restore",
                env,
            )
        node = open_node(home, database_url=url)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    try:
        verifier = node.verifier()
        kept = read_head(node.settings.audit_head_file, verifier)
        # Events waiting when the backup was taken are judged at that moment, not today's.
        taken = dt.datetime.fromisoformat(manifest.taken_at)
        with node.db.reader() as session:
            report = verify_log(session, verifier, kept=kept, now=now or taken)
            key = node.keys.record_key()
            problems = [
                *report.problems,
                *unsealed_accounts(session, key),
                *unsealed_rows(session, key),
            ]
        return RestoreReport(home, len(manifest.files), report.events, problems)
    finally:
        node.close()
