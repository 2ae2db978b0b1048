"""The digest tests run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.digest.texts import DigestTexts, load_digest_texts
from bot.storage import Storage


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    storage = Storage(database_url)
    storage.upgrade()
    yield storage
    storage.close()


@pytest.fixture(scope="session")
def guidelines() -> GuidelineSet:
    return load_guidelines()


@pytest.fixture(scope="session")
def texts() -> DigestTexts:
    return load_digest_texts()
