"""The one database object: a configured Engine, its transactions, migrations and shutdown.

Every repository (reviews, claims, channels, tips, Slack OAuth) works through one
:class:`Database`, so the process has one connection pool and one SQLite write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    retry,
    retry_if_exception_message,
    retry_if_exception_type,
    stop_after_delay,
    wait_random,
)

from bot.storage.errors import StorageError
from bot.storage.migrate import current_revision, head_revision, migrate

DEFAULT_URL = "sqlite:///tone_coach.db"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# How long SQLite waits for another connection's write lock before "database is locked", and
# how long one PostgreSQL statement may run (or wait for a lock): a locked table costs the
# caller seconds, then an error it handles, never minutes of waiting.
SQLITE_BUSY_TIMEOUT_MS = 5_000
POSTGRES_STATEMENT_TIMEOUT_MS = 5_000
# Fail fast at start-up rather than hang on an unreachable PostgreSQL host.
POSTGRES_CONNECT_TIMEOUT_S = 10


def resolve_url(url: str | None) -> URL:
    """Parse ``url`` (or the SQLite default); reject unsupported databases.

    ``postgres://`` and ``postgresql://``, as hosting platforms set them, mean psycopg.
    """
    text = url or DEFAULT_URL
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text.removeprefix(prefix)
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        # The text may hold a password, so it is not repeated here.
        raise StorageError(f"DATABASE_URL is not a database URL: {exc}") from None
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise StorageError(
            f"unsupported database {safe_url(parsed)}: use sqlite:/// or postgresql+psycopg://"
        )
    return parsed


def safe_url(url: URL) -> str:
    """The URL as it may appear in logs and messages: no password, anywhere."""
    return url.difference_update_query(["password"]).render_as_string(hide_password=True)


def build_engine(url: URL) -> Engine:
    """One Engine for the whole process; connections come from its pool, checked before use."""
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    try:
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"cannot use database {safe_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    else:
        _configure_postgres(engine)
    return engine


def _configure_postgres(engine: Engine) -> None:
    """A statement timeout on every connection (set per session, so a URL's own ``options``
    such as a search_path are left alone)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {POSTGRES_STATEMENT_TIMEOUT_MS}")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for several threads and processes sharing one file.

    Follows SQLAlchemy's recipe for taking transaction control away from the sqlite3 driver,
    so that every transaction starts with BEGIN IMMEDIATE: it takes the write lock up front
    (waiting up to busy_timeout for it), so a transaction can never fail half-way through
    because another process wrote first, and migrations run under the same lock.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Stop the driver from issuing its own BEGIN; on_begin below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself may have to wait for a lock.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
            # In WAL mode NORMAL syncs at checkpoints, not on every commit: an app crash loses
            # nothing, only an OS crash can lose the last moments, and each commit on the
            # Slack ack path no longer waits for the disk.
            cursor.execute("PRAGMA synchronous = NORMAL")
            # SQLite ignores ON DELETE CASCADE unless asked, per connection.
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# When processes open a new file at the same moment, their switches to WAL can deadlock, and
# SQLite then fails one of them at once instead of waiting busy_timeout. Trying again works:
# by then the file is in WAL mode, which is stored in the file itself.
@retry(
    retry=retry_if_exception_type(sqlite3.OperationalError)
    & retry_if_exception_message(match="database is locked"),
    wait=wait_random(0.01, 0.1),
    stop=stop_after_delay(SQLITE_BUSY_TIMEOUT_MS / 1000),
    reraise=True,
)
def _use_wal(cursor: sqlite3.Cursor) -> None:
    """WAL mode, which lets readers carry on while another process writes."""
    cursor.execute("PRAGMA journal_mode = WAL")


def connect_error(url: URL, exc: DBAPIError) -> StorageError:
    """``cannot open database <url>: <reason>`` on one line, without the password."""
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    # psycopg says 'connection failed: connection to server at "h", port 9 failed: Connection
    # refused' and then a hint line; the part after the last "failed:" is the reason.
    reason = lines[0].rsplit(" failed: ", 1)[-1].removeprefix("FATAL:")
    reason = " ".join(reason.split())
    reason = reason[:1].lower() + reason[1:]
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return StorageError(f"cannot open database {safe_url(url)}: {reason}")


def utc(now: datetime | None) -> datetime:
    """``now`` in UTC (the current time when None); naive datetimes are refused."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


class Database:
    """One Engine with a connection pool; one transaction per repository call."""

    def __init__(self, url: str | None = None) -> None:
        """Use ``url`` (default ``sqlite:///tone_coach.db``). Nothing is opened yet: call
        ``upgrade()`` (or ``check()``) at start-up to find out whether it is usable."""
        self._url = resolve_url(url)
        self.engine = build_engine(self._url)
        # Rows are turned into plain values after commit; expiring them would only reload them.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a waiting connection polls with sleeps of up to
        # 100 ms. Threads of this process queue on a lock instead, and wake the moment it is
        # free; other processes still meet SQLite's own lock and busy_timeout.
        self._one_at_a_time: AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def url(self) -> str:
        """The database URL with any password hidden, fit for logs."""
        return safe_url(self._url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction, committed at the end (rolled back on error)."""
        with self._one_at_a_time, self._sessions.begin() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection in a transaction, for the hot paths (claims, review rows):
        no ORM unit of work, a fraction of the CPU."""
        with self._one_at_a_time, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A plain connection for one read on a hot path. It skips this process's writers'
        lock, so a burst of reviews does not queue its reads behind its own writes in Python;
        on SQLite the read still begins IMMEDIATE (``on_begin``): a DEFERRED read was measured
        and made the durable benchmark's end-to-end figures worse (docs/benchmarks-durable.md,
        sessions 5 and 7). On PostgreSQL it reads in autocommit: one round trip instead of
        three (BEGIN, the query, and the ROLLBACK when the connection goes back)."""
        with self.engine.connect() as connection:
            if self.dialect == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    def insert(self, model: type[Any]) -> Any:
        """An INSERT that can say ON CONFLICT, in this database's dialect.

        preserve_rowcount: SQLAlchemy only keeps rowcount for UPDATE and DELETE by default,
        and the claims read it to learn whether their row went in.
        """
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(model).execution_options(preserve_rowcount=True)

    def check(self) -> None:
        """Open a connection once; raise a one-line StorageError if the database is unusable."""
        try:
            with self.engine.connect():
                pass
        except DBAPIError as exc:
            raise connect_error(self._url, exc) from None

    def revision(self) -> str | None:
        """The schema revision the database is at (None for an empty database)."""
        self.check()
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return current_revision(connection)

    def upgrade(self) -> tuple[str | None, str]:
        """Apply pending migrations; returns (revision before, revision after).

        Safe when several processes start at once.
        """
        before = self.revision()
        migrate(self.engine, "head")
        return before, head_revision()

    def downgrade(self, revision: str = "base") -> None:
        """Undo migrations down to ``revision``; ``base`` drops every table but alembic_version."""
        self.check()
        migrate(self.engine, revision, downgrade=True)

    def close(self) -> None:
        """Close the pooled connections (at shutdown, or in tests)."""
        self.engine.dispose()
