"""Fixtures for the daily tips: a real database, the fake Slack Web API, a controlled clock.

Time is never read from the system here: every test passes the moment it pretends it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.storage import Storage
from bot.tips.catalog import TipCatalog, load_tips
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import answer_like_a_model, start_app
from tests.tips.tips_helpers import make_services


@pytest.fixture(scope="session")
def guidelines() -> GuidelineSet:
    return load_guidelines()


@pytest.fixture(scope="session")
def catalog(guidelines: GuidelineSet) -> TipCatalog:
    return load_tips(guidelines=guidelines)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Storage(f"sqlite:///{tmp_path / 't.db'}")
    store.upgrade()
    yield store
    store.close()


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def slack(slack_server: FakeSlack) -> FakeSlack:
    """The fake Slack Web API, with no calls or scripted failures left from other tests.

    One server for the session: stopping one takes half a second (its poll interval).
    """
    slack_server.reset()
    return slack_server


@pytest.fixture
def services(storage, slack, guidelines):
    return make_services(storage, slack.api_url, guidelines)


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


@pytest.fixture
def app(slack, storage):
    """The real app over HTTP (as in tests/slack), without the tips scheduler running."""
    with FakeOpenAI(answer_like_a_model) as model:
        running, server = start_app(slack, model, storage)
        yield running
        server.close()
