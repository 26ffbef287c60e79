"""Shared fixtures: every registry test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at ``HGR_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test session works in a schema of its
own, so parallel runs and the database's other users are not disturbed. When the server cannot
be reached the PostgreSQL tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

import hgr.access.models
import hgr.audit.models
import hgr.auth.models
import hgr.catalogue.models
import hgr.debarment.models
import hgr.federation.models
import hgr.genotypes.models
import hgr.organisations.models
import hgr.privacy.models
import hgr.registry.history
import hgr.relatedness.models
import hgr.survey.models  # noqa: F401  (every table, record versions included)
from hgr.crypto import NodeKeys, create_node_keys
from hgr.dates import utc_today
from hgr.db import Base, Database, upgrade_schema
from hgr.registry.regions import default_region_file, load_regions
from hgr.registry.state import forget as forget_counts

SHARED_DATA = Path(
    os.environ.get(
        "HGR_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# An institution's example holdings: every template file but the institutions list.
HOLDINGS = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "institutions.csv")
POSTGRES_URL = os.environ.get("HGR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The day the date-dependent tests live in. The example holdings carry real validity windows
# (an ethics approval to 2029-01-14, a consent's time limit of 2030-12-31, a three-year use):
# read against the run's own date, their outcome would change as the years pass.
FROZEN_AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def shared(*parts: str) -> Path:
    """A file of ../shared/data, or skip when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} is not available")
    return path


# Hypothesis draws the same examples on every run ("deterministic", the default), and keeps
# no example database in the work tree; `pytest --hypothesis-profile=explore` searches anew
# with a random seed (printed with any failure, to replay it).
hypothesis.settings.register_profile("deterministic", derandomize=True, database=None)
hypothesis.settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
hypothesis.settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
def _no_ambient_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """A node named by the environment (HGR_HOME, HGR_DATABASE_URL, HGR_REMOTE_TOKEN) would
    be used by the CLI and by served nodes in place of the test's own."""
    for name in ("HGR_HOME", "HGR_DATABASE_URL", "HGR_REMOTE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # The command line speaks the terminal's language (hgr.i18n.command_line_locale): the
    # tests read English, whatever the developer's own terminal speaks.
    monkeypatch.setenv("HGR_LANG", "en")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once, never opened again: the copy every node this
    process initialises starts from."""
    path = tmp_path_factory.mktemp("template") / "hgr.sqlite"
    upgrade_schema(f"sqlite:///{path}")
    return path


@pytest.fixture
def migrated_sqlite(migrated_template: Path) -> Callable[[Path], str]:
    """Make a new SQLite database at a path, migrated to head (a copy of the template), and
    give its URL: another node's database, beside the test's own."""

    def make(path: Path) -> str:
        shutil.copyfile(migrated_template, path)
        return f"sqlite:///{path}"

    return make


@pytest.fixture(autouse=True)
def _nodes_start_from_the_template(
    monkeypatch: pytest.MonkeyPatch, migrated_template: Path
) -> None:
    """``hgr init`` (in this process) copies the migrated template where it would run every
    migration on a new SQLite file: the same schema, without 24 migrations per node. The
    migrations themselves are run by the database fixtures and tests/test_migrations.py;
    nodes served in other processes still run them."""

    def upgrade(url: str, revision: str = "head") -> None:
        target = sa.engine.make_url(url)
        file = Path(target.database or ":memory:")
        sqlite = target.get_backend_name() == "sqlite" and file.name != ":memory:"
        if sqlite and revision == "head" and file.parent.is_dir() and not file.exists():
            shutil.copyfile(migrated_template, file)
            return
        upgrade_schema(url, revision)

    monkeypatch.setattr("hgr.node.upgrade_schema", upgrade)


@pytest.fixture
def frozen_clock(time_machine: TimeMachineFixture) -> dt.datetime:
    """Every clock of this process (``utc_now``, ``date.today``, ``time.time``) set to
    FROZEN_AT, running on from there, so that no date the test compares moves with the run's
    date. Servers started in other processes keep the real clock: pin their data instead."""
    time_machine.move_to(FROZEN_AT, tick=True)
    return FROZEN_AT


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    schema = f"hgr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the PostgreSQL tests are mandatory)")
        pytest.skip(message)
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    upgrade_schema(url)
    yield url
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hgr.sqlite'}"
    upgrade_schema(url)
    return url


@pytest.fixture(scope="session")
def sqlite_triggers(sqlite_url: str) -> dict[str, str]:
    """The migrated SQLite schema's triggers (name -> CREATE statement), as first made."""
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(_TRIGGERS)).all()
    engine.dispose()
    return {str(name): str(sql) for name, sql in rows}


_TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"


def empty_database(db: Database) -> None:
    """Delete every row, the append-only audit tables included (as the database owner may).

    On PostgreSQL every table of the schema is emptied by DELETE with the triggers off (the
    replica role) and every sequence is set back to 1, as TRUNCATE ... RESTART IDENTITY would:
    TRUNCATE makes new files for each of the schema's tables, 60 times slower on an emptied
    test database than deleting the few rows a test wrote.
    """
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            names = session.scalars(sa.text(_PG_TABLES)).all()
            session.execute(sa.text("; ".join(f'DELETE FROM "{name}"' for name in names)))
            session.execute(sa.text(_PG_RESTART))
        else:
            with sqlite_triggers_dropped(session):
                for table in reversed(Base.metadata.sorted_tables):
                    session.execute(table.delete())


# The schema's tables but Alembic's version row, and its sequences restarted as new.
_PG_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
    "AND tablename <> 'alembic_version'"
)
_PG_RESTART = (
    "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S' "
    "AND c.relnamespace = current_schema()::regnamespace"
)


@contextmanager
def sqlite_triggers_dropped(session: Session) -> Iterator[None]:
    """Drop SQLite's triggers for the block and create them again after it, however the block
    ends (SQLite's DDL is not undone with the block's transaction)."""
    triggers = session.execute(sa.text(_TRIGGERS)).all()
    for name, _ in triggers:
        session.execute(sa.text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        for _, sql in triggers:
            session.execute(sa.text(sql))


@contextmanager
def as_superuser(db: Database) -> Iterator[Session]:
    """A transaction with the append-only triggers off, as a database superuser can have it
    (PostgreSQL's replica role; on SQLite, the triggers dropped for the block)."""
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield session
        else:
            with sqlite_triggers_dropped(session):
                yield session


def _restore_triggers(db: Database, triggers: dict[str, str]) -> None:
    """Create any of the schema's triggers that an earlier test left dropped: the
    append-only guarantees every test starts from are the migrated schema's."""
    with db.transaction() as session:
        present = set(session.scalars(sa.text(_TRIGGERS.replace("name, sql", "name"))))
        for name, sql in triggers.items():
            if name not in present:
                session.execute(sa.text(sql))


def _fresh(
    url: str, triggers: dict[str, str] | None, keys: NodeKeys, regions: bool = True
) -> Database:
    """The database at ``url`` emptied, with the default regions unless not ``regions`` (and
    on SQLite with the schema's ``triggers``), sealing with the record key of ``keys`` as a
    node's does."""
    forget_counts()  # a database made again repeats the ids its counts were kept under
    database = Database(url)
    database.seal_with(keys.record_key())
    if triggers is not None:
        _restore_triggers(database, triggers)
    empty_database(database)
    if regions:
        load_regions(database, default_region_file())
    return database


class Snapshots:
    """Whole databases as a fixture left them, put back in place of building them again.

    A fixture that fills a database the same way for every test (the API's two institutions
    and users) fills it once per database, base state and day, is snapshotted, and later
    tests get the snapshot back: every row, the audit log's and the sequences' included, as
    the fixture wrote it. On SQLite the file is copied with SQLite's backup API; on PostgreSQL
    each table's rows are kept in a schema of their own and copied back with the triggers off.

    A snapshot replaces the whole database, so the fixture that restores one must be the
    first to write after ``db``. The key holds the clock's day, so that tokens issued under a
    frozen clock are never handed to a test on the real one, and whatever names the base state
    (``base``: the regions loaded or not); what is kept beside the rows is given back as a
    copy, so that no test sees another's changes to it.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str, str], tuple[object, object]] = {}
        self._schemas: list[tuple[str, str]] = []  # (PostgreSQL url, snapshot schema)

    def restore(self, db: Database, name: str) -> Any:
        """Put back the snapshot ``name`` of ``db``'s database, and return a copy of what was
        kept with it; None when there is none yet."""
        kept = self._kept.get(self._key(db, name))
        if kept is None:
            return None
        state, extra = kept
        forget_counts()
        if db.dialect == "sqlite":
            assert isinstance(state, sqlite3.Connection)
            target = sqlite3.connect(_sqlite_path(db))
            state.backup(target)
            target.close()
        else:
            assert isinstance(state, str)
            _pg_copy(db, source=state, target=None)
        return copy.deepcopy(extra)

    def take(self, db: Database, name: str, extra: object) -> None:
        """Snapshot ``db``'s database as ``name``, with ``extra`` to give back on restore."""
        if db.dialect == "sqlite":
            source = sqlite3.connect(_sqlite_path(db))
            state: object = sqlite3.connect(":memory:", check_same_thread=False)
            source.backup(state)  # type: ignore[arg-type]
            source.close()
        else:
            state = f"snap_{uuid.uuid4().hex[:12]}"
            _pg_copy(db, source=None, target=str(state))
            self._schemas.append((db.url, str(state)))
        self._kept[self._key(db, name)] = (state, copy.deepcopy(extra))

    @staticmethod
    def _key(db: Database, name: str) -> tuple[str, str, str]:
        return db.url, name, utc_today().isoformat()

    def close(self) -> None:
        for url, schema in self._schemas:
            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def _sqlite_path(db: Database) -> str:
    return str(sa.engine.make_url(db.url).database)


def _pg_copy(db: Database, source: str | None, target: str | None) -> None:
    """Copy every table's rows, and the sequences, from the snapshot schema ``source`` into
    the database's own schema, or from it into a new snapshot schema ``target``."""
    with db.transaction() as session:
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        names = session.scalars(sa.text(_PG_TABLES)).all()
        if target is not None:
            session.execute(sa.text(f'CREATE SCHEMA "{target}"'))
            for name in names:
                session.execute(sa.text(f'CREATE TABLE "{target}"."{name}" AS TABLE "{name}"'))
            session.execute(
                sa.text(
                    f'CREATE TABLE "{target}"."_sequences" AS SELECT sequencename AS name, '
                    "last_value FROM pg_sequences WHERE schemaname = current_schema()"
                )
            )
            return
        assert source is not None
        statements = [f'DELETE FROM "{name}"' for name in names]
        statements += [
            f'INSERT INTO "{name}" OVERRIDING SYSTEM VALUE SELECT * FROM "{source}"."{name}"'
            for name in names
        ]
        session.execute(sa.text("; ".join(statements)))
        session.execute(sa.text(_PG_RESTART))
        session.execute(
            sa.text(
                f'SELECT setval(quote_ident(name), last_value) FROM "{source}"."_sequences" '
                "WHERE last_value IS NOT NULL"
            )
        )


@pytest.fixture(scope="session")
def snapshots() -> Iterator[Snapshots]:
    kept = Snapshots()
    yield kept
    kept.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, keys: NodeKeys) -> Iterator[Database]:
    """An empty, migrated registry with the default regions, on each database (an audit log
    with no event, for tests marked ``without_regions``)."""
    regions = request.node.get_closest_marker("without_regions") is None
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
        database = _fresh(url, request.getfixturevalue("sqlite_triggers"), keys, regions)
    else:
        database = _fresh(request.getfixturevalue("postgres_schema_url"), None, keys, regions)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(
    sqlite_url: str, sqlite_triggers: dict[str, str], keys: NodeKeys
) -> Iterator[Database]:
    """The ``db`` fixture on SQLite alone, for tests whose code is the same on both."""
    database = _fresh(sqlite_url, sqlite_triggers, keys)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> NodeKeys:
    return create_node_keys(tmp_path_factory.mktemp("keys"))


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(n)`` for n in range(count), from ``count`` threads released together; an
    exception a thread raised is returned in its place."""
    start = threading.Barrier(count)

    def run(n: int) -> Any:
        start.wait()
        try:
            return work(n)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table, to prove that a failed import wrote nothing."""
    with db.reader() as session:
        return {
            t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def register_pedigree(db: Database, institution: str, family: str) -> None:
    """Register ``family`` as an important pedigree, as the province and the nation would
    (declared, approved, registered): the catalogue then protects it (HGR Reg. Art. 28 ¶1)."""
    from hgr.audit import Actor
    from hgr.catalogue import entries

    officer = Actor("cli:test", "operator")
    with db.transaction() as session:
        entry = entries.declare_pedigree(session, officer, institution, family)
        entries.review(
            session,
            officer,
            entry,
            approve=True,
            note="registered for the test, whatever the evidence",
        )
        entries.register(session, officer, entry)


def list_organisation(
    session: Session,
    number: str,
    organisation: str,
    country: str,
    identifiers: list[str],
    regime: str = "cn-art43",
) -> None:
    """List ``organisation`` on the debarment list, permanently and on a mandatory ground, as
    a listing's last step leaves it, with the audit event the node's own writes make."""
    from hgr.audit import Actor, record
    from hgr.dates import utc_now, utc_today
    from hgr.debarment.models import DebarmentEntry

    today = utc_today()
    session.add(
        DebarmentEntry(
            number=number,
            organisation=organisation,
            country=country,
            identifiers=identifiers,
            regime=regime,
            ground="HGR Reg. Art. 41",
            mandatory=True,
            status="listed",
            opened_on=today,
            listed_on=today,
            permanent=True,
            updated_at=utc_now(),
        )
    )
    record(session, Actor("cli:test", "operator"), "debarment.enter", f"debarment/{number}")


def register_named(
    session: Session, name: str, country: str, identifiers: tuple[str, ...] | list[str] = ()
) -> None:
    """Register the organisation ``name`` (of ``country``, with ``identifiers``) under a key
    made from its name, as an officer would, unless the registry knows it already."""
    from hgr.audit import Actor
    from hgr.organisations import Fact, organisations_matching, register_organisation
    from hgr.organisations.models import Organisation

    if organisations_matching(session, identifiers, name):
        return
    key = (
        "-".join(
            "".join(c if c.isascii() and c.isalnum() else " " for c in name.casefold()).split()
        )[:60]
        or "org"
    )
    taken = set(
        session.scalars(sa.select(Organisation.key).where(Organisation.key.like(f"{key}%")))
    )
    key = next(
        k for n in range(len(taken) + 1) if (k := key if n == 0 else f"{key}-{n}") not in taken
    )
    register_organisation(
        session,
        Actor("cli:test", "operator"),
        key,
        country,
        name,
        Fact("test registry", "registry officer"),
        identifiers=identifiers,
    )


def register_parties(session: Session, request: object) -> None:
    """Register each organisation of ``request`` (an AccessRequest, or its fields as a dict)
    that the organisation registry does not know yet (register_named); the provider is left
    alone where it is one of the node's institutions."""
    from hgr.access.parties import ROLES, node_institution
    from hgr.policy import AccessRequest

    asked = request if isinstance(request, AccessRequest) else AccessRequest.model_validate(request)
    for role in ROLES:
        party = getattr(asked, role)
        if party is None or party.key is not None:
            continue
        if role == "provider" and node_institution(session, party) is not None:
            continue
        register_named(session, party.name, party.country or "CN", party.identifiers)
