"""PostgreSQL unreachable for 5 s in the middle of a burst: every request is still acked, every
review posted once, a repeated delivery still recognised, and the watched draft waits."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import make_url

from bot.storage import Storage
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.served import Served, app_env
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tcp_proxy import TcpProxy
from tests.jobs.test_embedded_crash import (
    BAD_DRAFT,
    REVIEWED,
    reviews_by_response_url,
    slow_model,
    wait_until,
)
from tests.storage.storage_helpers import PG_SKIP_REASON, empty_postgres_schema

SERVER_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not SERVER_URL, reason=PG_SKIP_REASON)


def watched_reviews(slack: FakeSlack) -> list:
    return [c for c in slack.calls_to("chat.postMessage")
            if c.args.get("channel") == "CWATCHED" and REVIEWED in str(c.args.get("blocks"))]


def test_five_seconds_without_the_database_in_the_middle_of_a_burst(tmp_path):
    with empty_postgres_schema(SERVER_URL) as direct_url, FakeSlack() as slack, \
            FakeOpenAI(slow_model(0.5)) as model:
        storage = Storage(direct_url)
        storage.upgrade()
        storage.channels.watch("T1", "CWATCHED")
        storage.close()
        target = make_url(direct_url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).up()
        through_proxy = target.set(port=proxy.port).render_as_string(hide_password=False)
        served = Served(app_env(slack, model.base_url, through_proxy), tmp_path)
        try:
            statuses = [served.command(slack, BAD_DRAFT.format(n=n), f"out{n}")
                        for n in range(10)]
            proxy.down()
            cut_at = time.monotonic()
            statuses += [served.command(slack, BAD_DRAFT.format(n=n), f"out{n}")
                         for n in range(10, 20)]
            ts = slack.add_message("CWATCHED", BAD_DRAFT.format(n=99))
            statuses.append(served.message("CWATCHED", ts, "text", "EvWatched"))
            statuses.append(served.message("CWATCHED", ts, "text", "EvWatched"))  # Slack's retry
            assert statuses == [200] * 22
            time.sleep(max(0.0, 5.0 - (time.monotonic() - cut_at)))
            proxy.up()
            wait_until(lambda: len(reviews_by_response_url(slack)) == 20
                       and watched_reviews(slack), 60)
            time.sleep(1.5)
            assert set(reviews_by_response_url(slack).values()) == {1}
            assert len(watched_reviews(slack)) == 1
            # The outage is never silent: whichever part met it first (the outbox storing the
            # burst, a worker fetching jobs, or the connection pool under procrastinate, which
            # reconnects by itself) logged a warning saying so.
            warnings = [line for line in served.log().splitlines() if " WARNING " in line]
            assert any(sign in line for line in warnings for sign in (
                "cannot store review jobs", "lost the database", "connection failed"))
        finally:
            served.terminate()
            proxy.down()
