"""Applying Alembic migrations, one process at a time.

The Alembic configuration is built here rather than read from an alembic.ini. To write the
next migration against a scratch database at head::

    from alembic import command
    with storage.engine.begin() as conn:
        command.revision(alembic_config(conn), "what changed", autogenerate=True)
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select

from bot.storage.errors import StorageError

SCRIPT_LOCATION = "bot.storage:migrations"
# Any constant shared by every Tone Coach process; it only has to differ from other apps'
# advisory lock keys on the same PostgreSQL server. (The ASCII of "tonecoac".)
ADVISORY_LOCK_KEY = 0x746F6E65636F6163


def alembic_config(connection: Connection) -> Config:
    """An Alembic Config for our migrations, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str, *, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the database to ``revision`` while holding the migration lock.

    Everything runs in one transaction. On PostgreSQL a transaction-scoped advisory lock
    makes a second process wait, then find the work done; on SQLite the transaction's
    BEGIN IMMEDIATE (see database.py) takes the file's write lock to the same effect.
    Both databases have transactional DDL, so a failed migration leaves nothing behind.
    """
    if engine.dialect.name not in ("postgresql", "sqlite"):
        raise StorageError(f"migrations are not supported on {engine.dialect.name}")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Another instance may be migrating: wait for it, whatever the statement timeout.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        config = alembic_config(connection)
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, or None."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision this version of Tone Coach knows."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(config).get_current_head() or "base"
