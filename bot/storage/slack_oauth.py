"""slack_sdk's OAuth installation and state stores, on Tone Coach's database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.database import Database

if TYPE_CHECKING:
    # Imported lazily below: slack_sdk's modules pull in sqlalchemy.ext.asyncio, which needs
    # greenlet, and nothing else in storage should depend on that.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore


class SlackOAuthStores:
    """The tables are made by the initial migration; slack_sdk's classes read and write them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def installation_store(self, client_id: str) -> SQLAlchemyInstallationStore:
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

        return SQLAlchemyInstallationStore(client_id=client_id, engine=self.db.engine)

    def state_store(self, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
        from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

        return SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds, engine=self.db.engine
        )
