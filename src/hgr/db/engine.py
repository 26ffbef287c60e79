"""Engines, sessions and schema migrations for SQLite and PostgreSQL, with the same code."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hgr.db.seals import SEAL_KEY, watch
from hgr.exceptions import Busy, ConfigurationError

__all__ = ["Database", "after_commit", "busy", "is_busy", "normalise_url", "upgrade_schema"]

MIGRATIONS = Path(__file__).with_name("migrations")
_HOOKS = "hgr.after_commit"  # session.info key: (action, undo) pairs of Database.transaction


def after_commit(
    session: Session, action: Callable[[], object], undo: Callable[[], object] | None = None
) -> None:
    """Run ``action`` once the transaction of ``session`` has committed, or ``undo`` if it
    rolls back: for a change outside the database that must not be seen before the database
    records it (an export package moved into place), and must not stay if it never does.

    Raises
    ------
    RuntimeError
        ``session`` was not opened by :meth:`Database.transaction`, which alone runs them.
    """
    hooks = session.info.get(_HOOKS)
    if hooks is None:
        raise RuntimeError("after_commit needs a session opened by Database.transaction")
    hooks.append((action, undo))


# Passwords tried first by anyone who finds the port open.
DEFAULT_PASSWORDS = {"postgres", "password", "changeme", "admin", "secret", "hgr", "test"}


def credential_refusals(url: str) -> list[str]:
    """What makes the credentials of a database URL unsafe to serve with: a well-known
    password, or none at all for PostgreSQL."""
    parsed = make_url(url)
    refusals = []
    if parsed.password and parsed.password.lower() in DEFAULT_PASSWORDS:
        refusals.append("the database password is a well-known default: change it")
    if parsed.get_backend_name() == "postgresql" and not parsed.password:
        refusals.append(
            "the database URL gives no password: give the node's role one "
            "(trust authentication lets anyone on the host act as it)"
        )
    return refusals


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection (sqlite.org/foreignkeys.html).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


POOL_SIZE = 20
WRITER_TURN_WAIT = 60
"""Seconds a writer waits for its turn among the process's writers (Database.one_writer):
a Beacon question decides at most a few thousand alleles, a second or two each turn."""
SQLITE_WAIT = 30
"""Seconds a SQLite connection waits for another's write to end before it gives up ("database
is locked"). SQLite writes one transaction at a time; Python's default of five seconds was
too short for twenty sign-ins to one account sent together, each checking an argon2 hash
while it holds the account's row (hgr.auth.passwords)."""
"""Connections kept open to a server database: one per request the server runs at once (the
default of five made every request beyond the fifth open and close a connection of its own)."""


def busy() -> Busy:
    """The refusal of a request that found the database busy for longer than it waits."""
    return Busy(
        "the node's database is busy with other writes: send the request again in a few seconds",
        retry_after=5,
        code="E_BUSY",
    )


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a file another writer held longer than
    SQLITE_WAIT: its transaction was rolled back whole, and can be sent again."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(url: str) -> threading.Lock:
    """The process's lock for the writers of one SQLite file."""
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(url, threading.Lock())


def _make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_WAIT})
    else:
        engine = create_engine(url, future=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """One node's database: an engine and a factory of transactional sessions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit_sessions = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        watch(self._sessions)
        watch(self._autocommit_sessions)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def seal_with(self, key: bytes) -> None:
        """Give every session of this database the node's record key, kept outside the
        database, with which the rows that grant access are sealed (hgr.auth.seals)."""
        for factory in (self._sessions, self._autocommit_sessions):
            factory.configure(info={SEAL_KEY: key})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error; then
        the actions registered with :func:`after_commit` run, or their undos."""
        with self._sessions() as session:
            hooks: list[tuple[Callable[[], object], Callable[[], object] | None]] = []
            session.info[_HOOKS] = hooks
            try:
                with session.begin():
                    yield session
            except BaseException:
                for _action, undo in hooks:
                    if undo is not None:
                        undo()
                raise
            for action, _undo in hooks:
                action()

    @contextmanager
    def one_writer(self) -> Iterator[None]:
        """Take a turn among this process's writers, on SQLite; nothing on PostgreSQL.

        SQLite writes one transaction at a time. A writer that finds the file locked waits
        at most SQLITE_WAIT seconds and then fails ("database is locked"), and a transaction
        that read before another committed cannot start writing at all (SQLITE_BUSY_SNAPSHOT,
        sqlite.org/rescode.html#busy_snapshot). Writers that take turns here queue instead,
        however long the one before them takes: for work that many callers do at once, such
        as answering Beacon questions, each of which writes.
        """
        if self.dialect != "sqlite":
            yield
            return
        lock = _writer_lock(self.url)
        # A turn is waited for WRITER_TURN_WAIT, and no longer: a queue that grew without
        # bound would hold the server's threads.
        if not lock.acquire(timeout=WRITER_TURN_WAIT):
            raise busy()
        try:
            yield
        finally:
            lock.release()

    def session(self) -> Session:
        """A bare session; the caller commits or rolls back (used by dry runs)."""
        return self._sessions()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def autocommit_reader(self) -> Iterator[Session]:
        """A session for a read of one statement, run outside any transaction.

        Each statement sees what was committed when it ran, as in :meth:`reader`, but no
        snapshot is shared between statements. Nothing opens or closes a transaction, which
        spares two round trips to a server database: for the checks made on every request,
        such as recognising the caller's token.
        """
        with self._autocommit_sessions() as session:
            yield session

    def ping(self) -> None:
        """Reach the database with the smallest query; raises when it cannot be reached."""
        with self.reader() as session:
            session.execute(text("SELECT 1"))

    def is_superuser(self) -> bool:
        """Whether the node's database role is a PostgreSQL superuser, which can switch off
        the append-only and numbering triggers (session_replication_role); False on SQLite,
        which has no roles."""
        if self.dialect != "postgresql":
            return False
        with self.reader() as session:
            return bool(
                session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            )

    def dispose(self) -> None:
        self.engine.dispose()


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with the Alembic migrations.

    Raises
    ------
    ConfigurationError
        When the database cannot be reached.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    try:
        command.upgrade(config, revision)
    except OperationalError as exc:
        shown = make_url(normalise_url(url)).render_as_string(hide_password=True)
        raise ConfigurationError(
            f"cannot reach the database at {shown}: {exc.orig}", code="E_DATABASE"
        ) from exc
