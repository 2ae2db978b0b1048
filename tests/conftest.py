"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.storage_helpers import PG_SKIP_REASON, empty_postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema on TEST_DATABASE_URL's server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tone_coach.db'}"
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip(PG_SKIP_REASON)
    with empty_postgres_schema(server_url) as url:
        yield url


# Threads the Runtime starts; none may outlive the test that started it.
RUNTIME_THREADS = ("review", "tips-ticker", "slack-install-check", "test-server",
                   "job-outbox",
                   "shutdown")


@pytest.fixture(autouse=True)
def _no_runtime_threads_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        left = [t.name for t in set(threading.enumerate()) - before
                if t.is_alive() and t.name.startswith(RUNTIME_THREADS)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"threads left running: {sorted(left)}"
