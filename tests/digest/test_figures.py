"""The digest's figures, counted by the database (SQLite and PostgreSQL) and made private.

The digest in these tests goes out on Monday 30 November 2026 in Tallinn: its week is
Monday 23 to Sunday 29 November, and the trend starts on Monday 5 October.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.digest.compute import own_trend, team_digest
from bot.digest.figures import EMPTY, HIDDEN, SHOWN
from bot.digest.schedule import window_ending
from tests.digest.digest_helpers import TEAM, add_review, add_team_week

TALLINN = "Europe/Tallinn"
DIGEST_DAY = date(2026, 11, 30)


def tallinn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(TALLINN))


def digest(storage, guidelines, zone: str = TALLINN):
    return team_digest(storage, TEAM, DIGEST_DAY, zone, guidelines.ids)


def drafts_per_week(storage, zone: str) -> dict[int, int]:
    counts = storage.digests.counts(TEAM, window_ending(DIGEST_DAY, zone))
    return {index: totals.drafts for index, totals in sorted(counts.totals.items())}


def test_weeks_start_at_midnight_in_the_channel_time_zone(storage):
    # Both on 22 November in UTC, but on either side of Monday's midnight in Tallinn.
    add_review(storage, tallinn(2026, 11, 22, 23, 30), "U1")  # Sunday: the week before
    add_review(storage, tallinn(2026, 11, 23, 0, 30), "U1")  # Monday: the digest's week
    # The same two moments seen from New York fall in one week there.
    assert drafts_per_week(storage, TALLINN) == {6: 1, 7: 1}
    assert drafts_per_week(storage, "America/New_York") == {6: 2}


def test_week_boundaries_follow_the_daylight_saving_change(storage):
    # Tallinn leaves summer time on Sunday 25 October 2026 (UTC+3 before, UTC+2 after).
    add_review(storage, tallinn(2026, 10, 18, 23, 30), "U1")  # Sunday, summer time
    add_review(storage, tallinn(2026, 10, 19, 0, 30), "U1")  # Monday, summer time
    add_review(storage, tallinn(2026, 10, 25, 23, 30), "U1")  # Sunday, winter time
    add_review(storage, tallinn(2026, 10, 26, 0, 30), "U1")  # Monday, winter time
    assert drafts_per_week(storage, TALLINN) == {1: 1, 2: 2, 3: 1}


def test_an_empty_week_says_so_and_keeps_the_weeks_around_it(storage, guidelines):
    add_team_week(storage, tallinn(2026, 11, 17, 10, 0))  # the week before
    result = digest(storage, guidelines)
    assert result.this_week.status == EMPTY
    assert (result.this_week.drafts, result.this_week.agents) == (0, 0)
    assert result.weeks[-2].status == SHOWN and result.weeks[-2].drafts == 6
    assert result.fine_change is None  # nothing to compare this week with
    assert [week.start for week in result.weeks][::7] == [date(2026, 10, 5), date(2026, 11, 23)]


def test_a_week_used_by_fewer_than_three_agents_is_hidden_entirely(storage, guidelines):
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), agents=2, per_agent=10,
                  guidelines=("empathy",))
    week = digest(storage, guidelines).this_week
    assert week.status == HIDDEN
    assert (week.drafts, week.agents, week.fine_share, week.per_100) == (None, None, None, {})


def test_cells_from_one_or_two_agents_are_hidden_and_zeros_stay(storage, guidelines):
    at = tallinn(2026, 11, 24, 10, 0)
    add_team_week(storage, at, agents=4, per_agent=3)  # four agents, all via the command
    # Two agents found "empathy"; three found "dont-argue"; nobody anything else.
    for agent in ("U0", "U1"):
        add_review(storage, at, agent, guidelines=("empathy",))
    for agent in ("U0", "U1", "U2"):
        add_review(storage, at, agent, guidelines=("dont-argue",))
    add_review(storage, at, "U3", entry_point="shortcut")  # one agent uses the shortcut
    add_review(storage, at, "U3", fallback=True)  # one agent's review fell back
    # Votes: three people on the model's reviews, two on the offline reviewer's.
    add_review(storage, at, "U0", votes={"U0": True, "U1": True, "U2": False})
    add_review(storage, at, "U1", engine="offline", votes={"U1": True, "U2": True})

    week = digest(storage, guidelines).this_week
    assert week.status == SHOWN and week.agents == 4 and week.drafts == 21
    assert week.per_100["empathy"] is None
    assert week.per_100["dont-argue"] == pytest.approx(100 * 3 / 21)
    assert week.per_100["stay-calm"] == 0.0
    # The shortcut (one agent) is hidden, and so is the next smallest entry point, or the
    # week's total minus the command's count would give the shortcut's away.
    assert week.entry_points["shortcut"] is None
    assert week.entry_points["command"] is None
    assert week.entry_points["reaction"] == 0 and week.entry_points["watch"] == 0
    assert week.fallbacks is None
    assert week.votes == {"llm": (2, 1), "offline": None}


def test_a_guideline_that_never_fires_is_listed_at_zero_and_left_out_of_the_chart(
    storage, guidelines
):
    for day in (3, 10, 17, 24):  # four weeks of "dont-argue" only
        add_team_week(storage, tallinn(2026, 11, day, 12, 0), guidelines=("dont-argue",))
    result = digest(storage, guidelines)
    trends = {trend.guideline: trend for trend in result.trends()}
    assert set(trends) == set(guidelines.ids)
    assert (trends["stay-calm"].this_week, trends["stay-calm"].baseline) == (0.0, 0.0)
    assert trends["stay-calm"].direction == "steady"
    assert trends["dont-argue"].this_week == 100.0
    assert result.top_guidelines() == ["dont-argue"]


def test_this_week_is_compared_with_the_average_of_the_four_shown_weeks_before(
    storage, guidelines
):
    # Weeks 3..6 (before this one): 50, 0, hidden (two agents), 100 findings per 100 drafts.
    add_team_week(storage, tallinn(2026, 10, 27, 12, 0), agents=3, per_agent=1,
                  guidelines=("no-blame",))
    add_team_week(storage, tallinn(2026, 10, 27, 12, 0), agents=3, per_agent=1)
    add_team_week(storage, tallinn(2026, 11, 3, 12, 0), agents=3, per_agent=1)
    add_team_week(storage, tallinn(2026, 11, 10, 12, 0), agents=2, per_agent=1,
                  guidelines=("no-blame",))
    add_team_week(storage, tallinn(2026, 11, 17, 12, 0), agents=3, per_agent=1,
                  guidelines=("no-blame",))
    add_team_week(storage, tallinn(2026, 11, 24, 12, 0), agents=3, per_agent=1)
    [trend] = [t for t in digest(storage, guidelines).trends() if t.guideline == "no-blame"]
    assert trend.baseline == pytest.approx(50.0)
    assert trend.this_week == 0.0 and trend.direction == "down"


def test_fine_on_the_first_check_and_its_change_from_the_week_before(storage, guidelines):
    add_team_week(storage, tallinn(2026, 11, 18, 9, 0), per_agent=1, guidelines=("empathy",))
    add_team_week(storage, tallinn(2026, 11, 18, 9, 0), per_agent=1)
    add_team_week(storage, tallinn(2026, 11, 25, 9, 0), per_agent=3)
    add_team_week(storage, tallinn(2026, 11, 25, 9, 0), per_agent=1, guidelines=("empathy",))
    result = digest(storage, guidelines)
    assert result.weeks[-2].fine_share == pytest.approx(0.5)
    assert result.this_week.fine_share == pytest.approx(0.75)
    assert result.fine_change == pytest.approx(0.25)


def test_median_time_to_a_review_per_week(storage, guidelines):
    at = tallinn(2026, 11, 25, 9, 0)
    for agent, latency in enumerate((400, 100, 300, 200)):  # even count: mean of the middle
        add_review(storage, at, f"U{agent}", latency_ms=latency)
    last_week = tallinn(2026, 11, 18, 9, 0)
    for agent, latency in enumerate((5000, 100, 900)):  # odd count: the middle one
        add_review(storage, last_week, f"U{agent}", latency_ms=latency)
    result = digest(storage, guidelines)
    # Read from the roll-up's latency histogram (buckets 250 ms wide below 5 s), by linear
    # interpolation in the bucket holding the middle: two reviews in 0-250 ms and two in
    # 250-500 ms put the middle exactly on 250 ms.
    assert result.this_week.median_seconds == pytest.approx(0.25)
    # The middle review (900 ms) is alone in 750-1000 ms: read as that bucket's middle.
    assert result.weeks[-2].median_seconds == pytest.approx(0.875)


def test_other_workspaces_do_not_count(storage, guidelines):
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), team="T2")
    assert digest(storage, guidelines).this_week.status == EMPTY
    assert storage.digests.teams() == ["T2"]


def test_an_agents_own_trend_shows_only_their_reviews_and_hides_nothing(storage, guidelines):
    now = tallinn(2026, 11, 30, 15, 0)
    add_review(storage, tallinn(2026, 11, 30, 9, 0), "U1", guidelines=("empathy",))
    add_review(storage, tallinn(2026, 11, 30, 10, 0), "U1")
    add_review(storage, tallinn(2026, 11, 30, 10, 0), "U2", guidelines=("dont-argue",))
    add_review(storage, tallinn(2026, 11, 20, 10, 0), "U1")
    weeks = own_trend(storage, TEAM, "U1", guidelines.ids, now=now)
    assert len(weeks) == 8
    assert weeks[-1].end == date(2026, 11, 30)  # today counts
    assert (weeks[-1].drafts, weeks[-1].agents, weeks[-1].fine_share) == (2, 1, 0.5)
    assert weeks[-1].per_100["empathy"] == 50.0 and weeks[-1].per_100["dont-argue"] == 0.0
    assert weeks[-2].drafts == 1
