"""Helpers for the tips tests: building services, and an app instance in another process.

The worker lives here rather than in a test module so that spawned processes can import it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot.coaching.coach import Coach
from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.settings import Settings
from bot.slack.services import Services
from bot.slack.tip_delivery import Deliverer
from bot.storage import Storage
from tests.storage.storage_helpers import PROCESS_TIMEOUT_S

TEAM = "T1"


def make_services(
    storage: Storage, api_url: str, guidelines: GuidelineSet | None = None, **settings: Any
) -> Services:
    """Services for one workspace, with the offline coach and Slack at ``api_url``."""
    options = {"bot_token": "xoxb-test", "api_url": api_url, **settings}
    return Services(
        coach=Coach(guidelines or load_guidelines()),
        storage=storage,
        settings=Settings(_env_file=None, **options),
    )


def instance_worker(barrier: Any, database_url: str, api_url: str, now: str) -> list[str]:
    """Start like an app instance, wait for the others, then deliver the tips due at ``now``.

    Returns the status of each delivery this instance attempted.
    """
    storage = Storage(database_url)
    storage.check()
    services = make_services(storage, api_url)
    client = WebClient(token="xoxb-test", base_url=api_url)
    # Loads the tips file now, so that the race is between the deliveries themselves.
    deliverer = Deliverer(services, lambda team_id: client)
    barrier.wait(PROCESS_TIMEOUT_S)
    results = deliverer.deliver_due(datetime.fromisoformat(now))
    storage.close()
    return [result.status for result in results]
