"""The trend chart, looked at as a file: a real PNG, of a sensible size, drawn from data."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.chart import render_chart
from bot.digest.compute import team_digest
from bot.storage import Storage
from tests.digest.digest_helpers import TEAM, add_team_week

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def storage(tmp_path):
    """SQLite only: these tests are about words and pictures, not the database."""
    store = Storage(f"sqlite:///{tmp_path / 'digest.db'}")
    store.upgrade()
    yield store
    store.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_chart_is_a_png_of_sensible_size_with_gaps_for_missing_weeks(
    storage, guidelines, texts
):
    monday = datetime(2026, 10, 5, 12, 0, tzinfo=ZoneInfo("Europe/Tallinn"))
    for week in range(8):
        if week == 3:
            continue  # an empty week
        agents = 2 if week == 5 else 4  # a hidden week
        add_team_week(storage, monday + timedelta(weeks=week), agents=agents,
                      guidelines=("dont-argue", "empathy") if week < 4 else ("empathy",))
        add_team_week(storage, monday + timedelta(weeks=week, hours=1), agents=agents)
    digest = team_digest(storage, TEAM, date(2026, 11, 30), "Europe/Tallinn", guidelines.ids)
    titles = {g.id: g.localized_title("uk") for g in guidelines.guidelines}
    data = render_chart(digest, texts, "uk", titles)
    assert png_size(data) == (800, 600)
    assert 20_000 < len(data) < 400_000
    assert data.endswith(b"IEND\xaeB`\x82")


def test_serve_does_not_load_matplotlib_until_a_chart_is_drawn():
    code = ("import sys, bot.cli, bot.runtime, bot.slack.server, bot.slack.digest, "
            "bot.slack.tip_ticker, bot.slack.digest_command, bot.slack.listeners.home, "
            "bot.digest.report; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
