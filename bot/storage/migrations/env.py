"""Alembic environment for Tone Coach.

There is no alembic.ini: bot.storage.migrate builds the configuration and hands over an open
connection, already holding the migration lock, in ``config.attributes["connection"]``.
"""

from alembic import context

from bot.storage.schema import SLACK_TABLES, Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through bot.storage (Storage.upgrade or `tone-coach db upgrade`)"
    )


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave slack_sdk's tables out of autogenerate: no model maps them, yet they must stay."""
    return not (type_ == "table" and name in SLACK_TABLES)


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    # SQLite can barely ALTER TABLE; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
