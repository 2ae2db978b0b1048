"""The schema: built only by migrations, matching the models, holding no message text."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import String, inspect

from bot.storage import Storage
from bot.storage.schema import SLACK_TABLES, Base
from tests.storage.storage_helpers import run_in_processes, upgrade_worker

OUR_TABLES = {
    "processed_deliveries",
    "reviews",
    "review_findings",
    "review_feedback",
    "watched_channels",
    "tip_subscriptions",
    "tip_deliveries",
    "settings_changes",
    "digest_subscriptions",
    "digest_deliveries",
    "review_rollup",
    "finding_rollup",
}


def table_names(storage: Storage) -> set[str]:
    return set(inspect(storage.engine).get_table_names())


def newest_revision() -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def applied_revisions(storage: Storage) -> list[str]:
    with storage.engine.connect() as conn:
        return list(MigrationContext.configure(conn).get_current_heads())


def test_migrations_go_up_down_to_base_and_up_again(database_url: str) -> None:
    storage = Storage(database_url)
    storage.upgrade()
    assert table_names(storage) == OUR_TABLES | SLACK_TABLES | {"alembic_version"}

    storage.downgrade()
    assert table_names(storage) == {"alembic_version"}
    assert applied_revisions(storage) == []

    storage.upgrade()
    assert table_names(storage) == OUR_TABLES | SLACK_TABLES | {"alembic_version"}
    assert storage.deliveries.claim("Ev1") is True
    storage.close()


def test_upgrading_an_up_to_date_database_changes_nothing(storage: Storage) -> None:
    storage.deliveries.claim("Ev1")
    revisions = applied_revisions(storage)

    storage.upgrade()

    assert applied_revisions(storage) == revisions
    assert storage.deliveries.claim("Ev1") is False


def test_the_migrations_build_exactly_what_the_models_describe(storage: Storage) -> None:
    def ours(name: str | None, type_: str, parent_names: object) -> bool:
        return not (type_ == "table" and name in SLACK_TABLES | {"alembic_version"})

    with storage.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        assert compare_metadata(context, Base.metadata) == []


def test_no_column_can_hold_a_draft_or_its_rewrite(storage: Storage) -> None:
    inspector = inspect(storage.engine)
    for name in inspector.get_table_names():
        for col in inspector.get_columns(name):
            assert not any(word in col["name"] for word in ("text", "draft", "rewrite")), (
                f"{name}.{col['name']}"
            )
    for name in ("reviews", "review_findings", "review_feedback", "review_rollup",
                 "finding_rollup"):
        for col in inspector.get_columns(name):
            if isinstance(col["type"], String):
                assert col["type"].length is not None and col["type"].length <= 100, (
                    f"{name}.{col['name']} could hold free text"
                )


def test_two_processes_upgrading_an_empty_database_at_once_both_succeed(
    database_url: str,
) -> None:
    run_in_processes(upgrade_worker, 2, database_url)

    storage = Storage(database_url)
    assert table_names(storage) == OUR_TABLES | SLACK_TABLES | {"alembic_version"}
    assert applied_revisions(storage) == [newest_revision()]
    storage.close()
