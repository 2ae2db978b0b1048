"""Settings are read once, from the environment and .env in the working directory, and a
bad value is one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in ("PORT", "LOG_LEVEL", "DATABASE_URL", "TONE_COACH_WATCH_CHANNELS",
                 "TONE_COACH_MODEL_TIMEOUT", "TONE_COACH_WORKERS", "OPENAI_API_KEY",
                 "TONE_COACH_SHARED_CHANNELS", "TONE_COACH_ADMINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("TONE_COACH_MODEL_TIMEOUT", "abc", "TONE_COACH_MODEL_TIMEOUT: must be a number"),
    ("PORT", "abc", "PORT: must be a whole number"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL: must be one of DEBUG, INFO"),
    ("TONE_COACH_WORKERS", "0", "TONE_COACH_WORKERS: "),
    ("TONE_COACH_DRAIN_SECONDS", "-1", "TONE_COACH_DRAIN_SECONDS: "),
    ("TONE_COACH_RESPONSE_FORMAT", "xml", "TONE_COACH_RESPONSE_FORMAT: must be"),
    ("TONE_COACH_WATCH_CHANNELS", "C0123:everything", "TONE_COACH_WATCH_CHANNELS: mode"),
    ("TONE_COACH_WATCH_CHANNELS", "general", "TONE_COACH_WATCH_CHANNELS: 'general'"),
    ("TONE_COACH_HTTP_CONNECTIONS", "0", "TONE_COACH_HTTP_CONNECTIONS: "),
    ("TONE_COACH_HTTP_IDLE_TIMEOUT", "forever", "TONE_COACH_HTTP_IDLE_TIMEOUT: "),
    ("TONE_COACH_SHARED_CHANNELS", "public", "TONE_COACH_SHARED_CHANNELS: must be 'private'"),
    ("TONE_COACH_ADMINS", "U0LEAD, @anna", "TONE_COACH_ADMINS: '@anna' is not a user id"),
])
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch, name, value, complaint):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        Settings.load(env_file=None)
    assert str(raised.value).startswith(complaint), str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_secret_is_never_repeated_in_the_error(monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "0")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    with pytest.raises(ConfigError) as raised:
        Settings.load(env_file=None)
    assert "sk-very-secret" not in str(raised.value)


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_hosting_platform_database_urls_are_accepted(monkeypatch, scheme):
    monkeypatch.setenv("DATABASE_URL", f"{scheme}u:p@db/tone")
    assert Settings.load(env_file=None).database_url == "postgresql+psycopg://u:p@db/tone"


def test_watch_channels_take_a_mode_per_channel(monkeypatch):
    monkeypatch.setenv("TONE_COACH_WATCH_CHANNELS", "C0123, C0456:replies ,G0789:top")
    settings = Settings.load(env_file=None)
    assert settings.watch_channels == {"C0123": "top", "C0456": "replies", "G0789": "top"}


def test_admins_and_the_shared_channel_rule(monkeypatch):
    assert Settings.load(env_file=None).shared_channels == "private"
    assert Settings.load(env_file=None).admins == ()
    monkeypatch.setenv("TONE_COACH_SHARED_CHANNELS", "Allow")
    monkeypatch.setenv("TONE_COACH_ADMINS", "U0LEAD, S0LEADS,workspace-admins")
    settings = Settings.load(env_file=None)
    assert settings.shared_channels == "allow"
    assert settings.admins == ("U0LEAD", "S0LEADS", "workspace-admins")


def test_dot_env_is_read_from_the_working_directory_and_the_environment_wins(
    tmp_path, monkeypatch
):
    (tmp_path / ".env").write_text("PORT=4000\nLOG_LEVEL=debug\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = Settings.load()
    assert (settings.port, settings.log_level) == (4000, "WARNING")


def test_the_cli_reports_a_bad_setting_on_one_line_with_exit_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TONE_COACH_MODEL_TIMEOUT": "abc"}
    result = subprocess.run([sys.executable, "-m", "bot", "check", "hello"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tone-coach: error: TONE_COACH_MODEL_TIMEOUT: must be a number (got 'abc')"
    ]


def test_only_the_settings_module_reads_the_environment():
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if ("os.environ" in text or "getenv" in text) and path.name != "settings.py":
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
