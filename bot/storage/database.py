"""Turning ``DATABASE_URL`` into a configured Engine, and connection failures into one line."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from tenacity import (
    retry,
    retry_if_exception_message,
    retry_if_exception_type,
    stop_after_delay,
    wait_random,
)

from bot.storage.errors import StorageError

DEFAULT_URL = "sqlite:///tone_coach.db"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# How long SQLite waits for another connection's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Fail fast at start-up rather than hang on an unreachable PostgreSQL host.
POSTGRES_CONNECT_TIMEOUT_S = 10


def resolve_url(url: str | None) -> URL:
    """Parse ``url``, or ``DATABASE_URL``, or the SQLite default; reject unsupported databases."""
    text = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
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
    return engine


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
