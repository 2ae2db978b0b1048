"""Delivering tips: one per channel per local day at its local time, whatever the clock does.

Each call to ``deliver`` is a tick of the scheduler at a moment the test chooses, with a fresh
Deliverer, as if the app had just (re)started: only the database remembers what was posted.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.slack.tip_delivery import MAX_ATTEMPTS, Deliverer, deliver_due_tips
from bot.slack.tips_command import handle_tips_command
from bot.storage import ReviewRecord, TipSubscription
from tests.storage.storage_helpers import run_in_processes
from tests.tips.tips_helpers import TEAM, instance_worker

TALLINN = ZoneInfo("Europe/Tallinn")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WORKDAYS, "sat", "sun")


def tallinn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TALLINN)


def subscribe(services, channel: str = "C1", time: str = "09:30", zone: str = "Europe/Tallinn",
              days=WORKDAYS, language: str = "en") -> None:
    services.storage.tips.subscribe(TipSubscription(TEAM, channel, time, zone, days, language))


def deliver(services, client, catalog, at: datetime) -> list:
    """One tick at ``at``: what it did, leaving out days an earlier tick had already taken."""
    results = deliver_due_tips(services, at.astimezone(UTC), lambda team_id: client, catalog)
    return [result for result in results if result.status != "taken"]


def posts(slack) -> list[dict]:
    return [call.args for call in slack.calls_to("chat.postMessage")]


def readable(post: dict) -> str:
    return json.dumps(post["blocks"], ensure_ascii=False)


def test_a_normal_day_one_tip_at_the_time_and_none_after(services, client, catalog, slack):
    subscribe(services)
    assert deliver(services, client, catalog, tallinn(2026, 3, 2, 9, 29, 59)) == []
    [result] = deliver(services, client, catalog, tallinn(2026, 3, 2, 9, 30))
    assert (result.status, result.local_date) == ("posted", date(2026, 3, 2))
    for later in (tallinn(2026, 3, 2, 9, 30, 30), tallinn(2026, 3, 2, 14, 0),
                  tallinn(2026, 3, 2, 23, 59, 59)):
        assert deliver(services, client, catalog, later) == []
    [post] = posts(slack)
    tip = catalog[result.tip_id]
    assert post["channel"] == "C1"
    assert tip.text["en"] in readable(post)
    assert tip.before["en"] in readable(post) and tip.after["en"] in readable(post)
    assert services.titles("en")[tip.guideline] in readable(post)
    assert tip.text["en"] in post["text"] and "*" not in post["text"]


def test_no_tip_on_the_weekend_for_a_monday_to_friday_channel(services, client, catalog, slack):
    subscribe(services)
    saturday = tallinn(2026, 3, 7, 0, 0)
    for hour in range(48):
        assert deliver(services, client, catalog, saturday + timedelta(hours=hour)) == []
    assert deliver(services, client, catalog, tallinn(2026, 3, 9, 9, 30))[0].status == "posted"
    assert len(posts(slack)) == 1


def tick_through(services, client, catalog, start: datetime, days: int) -> list[datetime]:
    """Tick every 30 minutes from ``start`` (UTC) for ``days``; return when tips were posted."""
    posted = []
    for step in range(days * 48):
        now = start + timedelta(minutes=30 * step)
        if deliver(services, client, catalog, now):
            posted.append(now)
    return posted


def test_the_spring_dst_change_in_tallinn_keeps_the_tip_at_09_30_local(services, client,
                                                                      catalog):
    subscribe(services, days=EVERY_DAY)
    posted = tick_through(services, client, catalog, datetime(2026, 3, 28, tzinfo=UTC), 3)
    assert posted == [
        datetime(2026, 3, 28, 7, 30, tzinfo=UTC),  # EET, UTC+2
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC),  # EEST since 04:00 that morning, UTC+3
        datetime(2026, 3, 30, 6, 30, tzinfo=UTC),
    ]
    assert {moment.astimezone(TALLINN).strftime("%H:%M") for moment in posted} == {"09:30"}


def test_the_autumn_dst_change_in_tallinn_keeps_the_tip_at_09_30_local(services, client,
                                                                      catalog):
    subscribe(services, days=EVERY_DAY)
    posted = tick_through(services, client, catalog, datetime(2026, 10, 24, tzinfo=UTC), 3)
    assert posted == [
        datetime(2026, 10, 24, 6, 30, tzinfo=UTC),  # EEST, UTC+3
        datetime(2026, 10, 25, 7, 30, tzinfo=UTC),  # EET again since 04:00, UTC+2
        datetime(2026, 10, 26, 7, 30, tzinfo=UTC),
    ]


def test_after_downtime_the_tip_goes_out_later_the_same_day_but_never_the_next(
    services, client, catalog, slack
):
    subscribe(services)
    # Down from before 09:30 on Monday until 15:00.
    [late] = deliver(services, client, catalog, tallinn(2026, 3, 2, 15, 0))
    assert (late.status, late.local_date) == ("posted", date(2026, 3, 2))
    # Restarted again the same evening: nothing more.
    assert deliver(services, client, catalog, tallinn(2026, 3, 2, 18, 0)) == []
    # Down all of Tuesday: Wednesday morning does not make up for Tuesday.
    assert deliver(services, client, catalog, tallinn(2026, 3, 4, 8, 0)) == []
    [wednesday] = deliver(services, client, catalog, tallinn(2026, 3, 4, 9, 30))
    assert wednesday.local_date == date(2026, 3, 4)
    assert len(posts(slack)) == 2


def test_a_channel_goes_through_every_tip_before_any_repeats(services, client, catalog, slack):
    subscribe(services, days=EVERY_DAY, language="ru")
    size = len(catalog.tips)
    first_day = tallinn(2026, 3, 2, 10, 0)
    for day in range(size + 2):
        deliver(services, client, catalog, first_day + timedelta(days=day))
    history = services.storage.tips.history(TEAM, "C1")
    assert len(history) == size + 2
    assert sorted(history[:size]) == sorted(catalog.ids)
    assert len(set(history[size:])) == 2 and history[size] != history[size - 1]
    # What was posted is what the history says, in the channel's language.
    for tip_id, post in zip(history, posts(slack), strict=True):
        assert catalog[tip_id].text["ru"] in readable(post)


def record_findings(storage, guideline: str, count: int, at: datetime) -> None:
    for _ in range(count):
        storage.reviews.record(
            ReviewRecord(TEAM, "C9", "UAGENT", "command", "needs_work", [guideline], "offline",
                         None, 10, 0, 0),
            now=at,
        )


def test_the_tip_leans_toward_the_teams_most_frequent_finding_and_says_so(
    services, client, catalog, slack
):
    subscribe(services, language="ru")
    monday = tallinn(2026, 3, 2, 9, 30)
    record_findings(services.storage, "empathy", 9, monday - timedelta(days=20))  # too old
    record_findings(services.storage, "no-blame", 4, monday - timedelta(days=3))
    record_findings(services.storage, "empathy", 2, monday - timedelta(days=1))
    [result] = deliver(services, client, catalog, monday)
    assert catalog[result.tip_id].guideline == "no-blame"
    [post] = posts(slack)
    title = services.titles("ru")["no-blame"]
    assert f"Самое частое замечание недели: {title}" in readable(post)


def test_without_findings_the_message_claims_none(services, client, catalog, slack):
    subscribe(services)
    deliver(services, client, catalog, tallinn(2026, 3, 2, 9, 30))
    assert "most frequent finding" not in readable(posts(slack)[0])


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived", "channel_not_found"])
def test_a_channel_the_bot_cannot_post_in_is_paused_reported_and_not_retried(
    services, client, catalog, slack, error
):
    subscribe(services)
    slack.fail("chat.postMessage", error)
    [result] = deliver(services, client, catalog, tallinn(2026, 3, 2, 9, 30))
    assert (result.status, result.error) == ("paused", error)
    sub = services.storage.tips.subscription(TEAM, "C1")
    assert sub.last_error == error
    status = handle_tips_command(services.storage, {"team_id": TEAM, "channel_id": "C1"}, "",
                                 now=tallinn(2026, 3, 2, 12, 0))["text"]
    assert "paused" in status and error in status and "Monday 2 March" in status
    assert "/tone-check tips 09:30 Europe/Tallinn mon-fri en" in status
    for day in range(1, 8):
        assert deliver(services, client, catalog, tallinn(2026, 3, 2 + day, 12, 0)) == []
    assert len(slack.calls_to("chat.postMessage")) == 1  # the failed attempt only
    assert services.storage.tips.history(TEAM, "C1") == []  # the failed tip stays in the cycle


def test_running_the_command_again_resumes_a_paused_channel_the_same_day(
    services, client, catalog, slack
):
    subscribe(services)
    slack.fail("chat.postMessage", "not_in_channel")
    deliver(services, client, catalog, tallinn(2026, 3, 2, 9, 30))
    handle_tips_command(services.storage, {"team_id": TEAM, "channel_id": "C1"},
                        "09:30 Europe/Tallinn", now=tallinn(2026, 3, 2, 11, 0))
    [result] = deliver(services, client, catalog, tallinn(2026, 3, 2, 11, 0))
    assert result.status == "posted"
    assert deliver(services, client, catalog, tallinn(2026, 3, 2, 11, 30)) == []  # one a day


def test_a_slack_outage_is_retried_the_same_day_without_pausing_the_channel(
    services, client, catalog, slack
):
    subscribe(services)
    slack.fail("chat.postMessage", "internal_error")
    deliverer = Deliverer(services, lambda team_id: client, catalog)
    [result] = deliverer.deliver_due(tallinn(2026, 3, 2, 9, 30))
    assert (result.status, result.error) == ("failed", "internal_error")
    assert services.storage.tips.subscription(TEAM, "C1").last_error is None
    assert services.storage.tips.history(TEAM, "C1") == []  # a failed tip does not count
    [retried] = deliverer.deliver_due(tallinn(2026, 3, 2, 9, 31))
    assert retried.status == "posted"
    assert services.storage.tips.history(TEAM, "C1") == [retried.tip_id]
    assert deliverer.deliver_due(tallinn(2026, 3, 2, 9, 32)) == []
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_a_tip_that_keeps_failing_is_given_up_for_the_day_and_tried_the_next(
    services, client, catalog, slack
):
    subscribe(services)
    deliverer = Deliverer(services, lambda team_id: client, catalog)
    for attempt in range(MAX_ATTEMPTS):
        slack.fail("chat.postMessage", "internal_error")
        [result] = deliverer.deliver_due(tallinn(2026, 3, 2, 9, 30 + attempt))
        assert result.status == "failed"
    assert deliverer.deliver_due(tallinn(2026, 3, 2, 10, 0)) == []
    [tuesday] = deliverer.deliver_due(tallinn(2026, 3, 3, 9, 30))
    assert tuesday.status == "posted"


def test_one_broken_channel_does_not_hold_up_the_others(services, client, catalog, slack):
    subscribe(services, "C1")
    services.storage.tips.subscribe(
        TipSubscription("T2", "C2", "09:30", "Europe/Tallinn", WORKDAYS, "en"))

    def client_for_team(team_id: str):
        if team_id == "T2":
            raise ConnectionError("installation store unreachable")
        return client

    monday = tallinn(2026, 3, 2, 9, 30).astimezone(UTC)
    [result] = deliver_due_tips(services, monday, client_for_team, catalog)
    assert (result.channel_id, result.status) == ("C1", "posted")
    # T2 claimed nothing, so a later tick (once the store is back) still posts its tip.
    [retried] = deliver(services, client, catalog, monday + timedelta(minutes=1))
    assert (retried.channel_id, retried.status) == ("C2", "posted")


def test_a_running_deliverer_settles_each_day_once(services, client, catalog, slack):
    subscribe(services)
    deliverer = Deliverer(services, lambda team_id: client, catalog)
    monday = tallinn(2026, 3, 2, 9, 30).astimezone(UTC)
    assert [r.status for r in deliverer.deliver_due(monday)] == ["posted"]
    for minute in range(1, 10):
        assert deliverer.deliver_due(monday + timedelta(minutes=minute)) == []
    assert len(posts(slack)) == 1


def test_with_oauth_each_workspace_posts_with_its_own_install(services, catalog, slack):
    from slack_sdk.oauth.installation_store import Installation

    oauth = type(services)(services.coach, services.storage, type(services.settings)(
        client_id="111.222", client_secret="s", api_url=slack.api_url))
    oauth.storage.slack_oauth.installation_store("111.222").save(Installation(
        app_id="A1", team_id=TEAM, user_id="U1", bot_token="xoxb-t1", bot_id="B1",
        bot_user_id="UBOT"))
    subscribe(oauth, "C1")
    oauth.storage.tips.subscribe(
        TipSubscription("T9", "C9", "09:30", "Europe/Tallinn", WORKDAYS, "en"))
    results = deliver_due_tips(oauth, tallinn(2026, 3, 2, 9, 30), oauth.clients.for_team, catalog)
    assert {(r.team_id, r.status) for r in results} == {(TEAM, "posted"), ("T9", "paused")}
    assert oauth.storage.tips.subscription("T9", "C9").last_error == "not_installed"
    assert [post["channel"] for post in posts(slack)] == ["C1"]


# --- two instances at once, as real processes ---------------------------------------------

def test_two_instances_at_once_post_exactly_one_tip_per_channel(database_url, slack):
    from bot.storage import Storage

    storage = Storage(database_url)
    storage.upgrade()
    channels = ["C1", "C2", "C3"]
    for channel in channels:
        storage.tips.subscribe(TipSubscription(TEAM, channel, "09:30", "Europe/Tallinn",
                                               WORKDAYS, "en"))
    now = tallinn(2026, 3, 2, 9, 30).astimezone(UTC).isoformat()

    outcomes = run_in_processes(instance_worker, 2, database_url, slack.api_url, now)

    assert sorted(status for statuses in outcomes for status in statuses) == (
        ["posted"] * 3 + ["taken"] * 3
    )
    assert sorted(post["channel"] for post in posts(slack)) == channels
    for channel in channels:
        assert len(storage.tips.history(TEAM, channel)) == 1
    storage.close()
