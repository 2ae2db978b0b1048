"""Choosing the database, and saying clearly at start-up when it cannot be used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.settings import Settings
from bot.storage import Storage, StorageError
from tests.storage.storage_helpers import PG_SKIP_REASON


def test_the_default_database_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    storage = Storage()
    storage.upgrade()

    assert storage.url == "sqlite:///tone_coach.db"
    assert (tmp_path / "tone_coach.db").exists()
    storage.close()


def test_database_url_and_retention_days_come_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/from_env.db")
    monkeypatch.setenv("RETENTION_DAYS", "30")
    settings = Settings.load(env_file=None)

    storage = Storage(settings.database_url, retention_days=settings.retention_days)

    assert storage.url == f"sqlite:///{tmp_path}/from_env.db"
    assert storage.retention_days == 30


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_the_url_a_hosting_platform_sets_means_postgresql_with_psycopg(scheme: str) -> None:
    storage = Storage(f"{scheme}tone:s3cret@db.internal:5432/tone_coach")
    assert storage.url == "postgresql+psycopg://tone:***@db.internal:5432/tone_coach"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason=PG_SKIP_REASON)
def test_a_postgres_url_without_a_driver_opens_the_database() -> None:
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgres://")
    storage = Storage(url)
    storage.check()
    storage.close()


def test_the_url_never_shows_the_password() -> None:
    storage = Storage("postgresql+psycopg://tone:s3cret@db.internal:5432/tone_coach")
    assert storage.url == "postgresql+psycopg://tone:***@db.internal:5432/tone_coach"
    assert "s3cret" not in repr(storage)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:9/test",
            "postgresql+psycopg://postgres@127.0.0.1:9/test",
        ),
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:9/test",
            "postgresql+psycopg://postgres:***@127.0.0.1:9/test",
        ),
    ],
)
def test_an_unreachable_database_fails_start_up_with_one_clear_line(url: str, shown: str) -> None:
    storage = Storage(url)

    for start_up in (storage.check, storage.upgrade):
        with pytest.raises(StorageError) as raised:
            start_up()
        assert str(raised.value) == f"cannot open database {shown}: connection refused"


def test_a_sqlite_file_that_cannot_be_created_fails_start_up_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing-folder/tone_coach.db"

    with pytest.raises(StorageError) as raised:
        Storage(url).upgrade()

    assert str(raised.value) == f"cannot open database {url}: unable to open database file"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("mysql+pymysql://root:s3cret@localhost/tone", "unsupported database"),
        ("postgresql+nosuchdriver://localhost/tone", "cannot use database"),
    ],
)
def test_a_wrong_database_url_is_refused_without_showing_it_whole(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as raised:
        Storage(url)
    assert "s3cret" not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_sqlite_is_set_up_for_several_threads_and_processes(tmp_path: Path) -> None:
    storage = Storage(f"sqlite:///{tmp_path}/tone_coach.db")

    with storage.engine.connect() as conn:
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert conn.scalar(text("PRAGMA busy_timeout")) >= 5000
        assert conn.scalar(text("PRAGMA foreign_keys")) == 1
    storage.close()
