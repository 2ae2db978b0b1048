"""A locked table costs seconds, and Slack still gets its ack at once (PostgreSQL)."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import make_url

from bot.storage import Storage
from tests.slack.conftest import start_app
from tests.storage.storage_helpers import PG_SKIP_REASON, empty_postgres_schema

SERVER_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not SERVER_URL, reason=PG_SKIP_REASON)


def test_watch_on_a_locked_table_acks_at_once_and_answers_within_seconds(slack, model):
    with empty_postgres_schema(SERVER_URL) as url:
        storage = Storage(url)
        storage.upgrade()
        app, server = start_app(slack, model, storage)
        parsed = make_url(url)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(dsn) as locker:
                locker.execute("LOCK TABLE watched_channels IN ACCESS EXCLUSIVE MODE")
                # The lock is held until the answer comes: only a statement timeout lets
                # the subcommand answer at all.
                answer = app.answer("watch", channel="CLOCKED", timeout=30)
                locker.rollback()
            assert "database did not answer" in answer["text"]
            assert not storage.channels.is_watched("T1", "CLOCKED")
        finally:
            server.close()
            app.services.jobs.stop(5)
            storage.close()
