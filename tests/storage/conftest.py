"""The ``storage`` fixture: every storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.storage import Storage


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    """A Storage on an empty database, migrated to the latest schema."""
    storage = Storage(database_url)
    storage.upgrade()
    yield storage
    storage.close()
