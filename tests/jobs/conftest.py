"""An empty PostgreSQL schema for the tests of ``tone-coach worker`` (skipped without one)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.storage.storage_helpers import PG_SKIP_REASON, empty_postgres_schema


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip(PG_SKIP_REASON)
    with empty_postgres_schema(server_url) as url:
        yield url
