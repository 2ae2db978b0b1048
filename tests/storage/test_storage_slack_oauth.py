"""slack_sdk's own OAuth stores, working on the tables our migration creates."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from bot.storage import Storage
from bot.storage.schema import SLACK_TABLES

# SQLAlchemy 2.1 no longer installs greenlet by itself, and slack_sdk's SQLAlchemy stores
# import sqlalchemy.ext.asyncio, which needs it.
pytest.importorskip(
    "greenlet",
    reason="slack_sdk's SQLAlchemy stores need greenlet: depend on sqlalchemy[asyncio]",
)

from slack_sdk.oauth.installation_store import Installation  # noqa: E402
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore  # noqa: E402
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore  # noqa: E402


def test_the_migration_creates_slack_sdks_tables_as_slack_sdk_defines_them(
    storage: Storage,
) -> None:
    slack = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(slack, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(slack, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(slack, "slack_oauth_states")

    def only_slack(name: str | None, type_: str, parent_names: object) -> bool:
        return type_ != "table" or name in SLACK_TABLES

    with storage.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": only_slack})
        assert compare_metadata(context, slack) == []


def test_an_installation_is_saved_and_found(storage: Storage) -> None:
    store = storage.slack_oauth.installation_store(client_id="111.222")
    store.save(
        Installation(
            app_id="A1",
            team_id="T1",
            user_id="U1",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="UB1",
            bot_scopes=["chat:write", "commands"],
        )
    )

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-1"
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_user_id == "UB1"
    assert (
        storage.slack_oauth.installation_store(client_id="other")
        .find_bot(enterprise_id=None, team_id="T1")
        is None
    )


def test_an_oauth_state_is_consumed_once_and_expired_states_are_purged(
    storage: Storage,
) -> None:
    states = storage.slack_oauth.state_store()
    state = states.issue()
    storage.slack_oauth.state_store(expiration_seconds=-60).issue()  # already expired

    assert storage.purge()["oauth_states"] == 1

    assert states.consume(state) is True
    assert states.consume(state) is False
