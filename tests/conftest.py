"""Shared fixtures: every registry test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at ``HGR_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test session works in a schema of its
own, so parallel runs and the database's other users are not disturbed. When the server cannot
be reached the PostgreSQL tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import hgr.access.models
import hgr.audit.models
import hgr.auth.models
import hgr.beacon.models
import hgr.catalogue.models
import hgr.debarment.models
import hgr.genotypes.models
import hgr.relatedness.models
import hgr.survey.models  # noqa: F401  (requests, users, stores, surveys, catalogue, lists)
from hgr.crypto import NodeKeys, create_node_keys
from hgr.db import Base, Database, upgrade_schema
from hgr.registry.regions import default_region_file, load_regions

SHARED_DATA = Path(
    os.environ.get(
        "HGR_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# An institution's example holdings: every template file but the institutions list.
HOLDINGS = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "institutions.csv")
POSTGRES_URL = os.environ.get("HGR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def shared(*parts: str) -> Path:
    """A file of ../shared/data, or skip when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} is not available")
    return path


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


def _empty(db: Database) -> None:
    """Delete every row, the append-only audit tables included (as the database owner may)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.transaction() as session:
        if db.dialect == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            names = ", ".join(t.name for t in tables)
            session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            with sqlite_triggers_dropped(session):
                for table in tables:
                    session.execute(table.delete())


@contextmanager
def sqlite_triggers_dropped(session: Session) -> Iterator[None]:
    """Drop SQLite's triggers for the block and create them again after it."""
    triggers = session.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    ).all()
    for name, _ in triggers:
        session.execute(sa.text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql in triggers:
        session.execute(sa.text(sql))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """An empty, migrated registry with the default regions, on each database."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("postgres_schema_url")
    database = Database(url)
    _empty(database)
    load_regions(database, default_region_file())
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> NodeKeys:
    return create_node_keys(tmp_path_factory.mktemp("keys"))


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table, to prove that a failed import wrote nothing."""
    with db.reader() as session:
        return {
            t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }
