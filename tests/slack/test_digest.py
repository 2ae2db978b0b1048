"""The weekly digest in Slack: posted once per channel per week, with its chart uploaded the
way Slack documents (files.getUploadURLExternal, the bytes, files.completeUploadExternal).

Each ``deliver`` is a ticker round at a chosen moment with a fresh deliverer, as if the app
had just (re)started: only the database remembers what went out.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.digest import DigestDeliverer
from bot.slack.digest_command import handle_digest_command
from bot.slack.listeners.home import home_view
from bot.slack.tip_delivery import MAX_ATTEMPTS
from bot.slack.tip_ticker import TipScheduler
from bot.storage import DigestSubscription, Storage
from tests.digest.digest_helpers import TEAM, add_review, add_team_week, instance_worker
from tests.storage.storage_helpers import run_in_processes
from tests.tips.tips_helpers import make_services

TALLINN = ZoneInfo("Europe/Tallinn")
SUBSCRIBED = datetime(2026, 11, 27, tzinfo=UTC)  # a Friday: the first digest is Monday 30th
PNG = b"\x89PNG\r\n\x1a\n"


def tallinn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TALLINN)


@pytest.fixture
def services(storage, slack):
    return make_services(storage, slack.api_url)


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def subscribe(storage: Storage, channel: str = "C1", language: str = "en") -> None:
    storage.digests.subscribe(
        DigestSubscription(TEAM, channel, "mon", "09:00", "Europe/Tallinn", language),
        now=SUBSCRIBED,
    )


def deliver(services, client, at: datetime) -> list:
    results = DigestDeliverer(services, lambda team_id: client).deliver_due(at)
    return [result for result in results if result.status != "taken"]


def posts(slack) -> list[dict]:
    return [call.args for call in slack.calls_to("chat.postMessage")]


def test_the_digest_is_posted_then_its_chart_through_the_external_upload_flow(
    services, client, slack, storage
):
    subscribe(storage, language="pl")
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), agents=3, guidelines=("empathy",))
    add_team_week(storage, tallinn(2026, 11, 25, 10, 0), agents=3)

    [result] = deliver(services, client, tallinn(2026, 11, 30, 9, 0))

    assert (result.status, result.week_of, result.error) == ("posted", date(2026, 11, 30), None)
    [post] = posts(slack)
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert post["channel"] == "C1"
    assert "Tygodniowe podsumowanie Tone Coach" in blocks
    assert "od 2026-11-23 do 2026-11-29" in blocks
    assert "Sprawdzone szkice: 12, liczba osób: 3." in blocks
    [asked] = slack.calls_to("files.getUploadURLExternal")
    [shared] = slack.shared_files("C1")
    assert shared.data.startswith(PNG) and int(asked.args["length"]) == len(shared.data)
    assert shared.filename == "tone-coach-digest-2026-11-30.png"
    assert shared.alt_txt.startswith("Wykres liniowy z ostatnich 8 tygodni")
    assert services.coach.guidelines["empathy"].localized_title("pl") in shared.alt_txt
    assert shared.title == "Wykres: ostatnie 8 tygodni"
    # The order Slack asks for: the URL, the bytes, then completing the upload.
    order = [c.method for c in slack.calls
             if c.method in ("files.getUploadURLExternal", "upload",
                             "files.completeUploadExternal")]
    assert order == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert storage.digests.delivery(TEAM, "C1", date(2026, 11, 30)) == ("posted", None)


def test_one_digest_per_week_even_after_downtime(services, client, slack, storage):
    subscribe(storage)
    assert deliver(services, client, tallinn(2026, 11, 30, 8, 59)) == []  # not yet
    # Down from Monday morning until Wednesday afternoon: it goes out then.
    [late] = deliver(services, client, tallinn(2026, 12, 2, 15, 0))
    assert (late.status, late.week_of) == ("posted", date(2026, 11, 30))
    for later in (tallinn(2026, 12, 2, 15, 1), tallinn(2026, 12, 6, 23, 59)):
        assert deliver(services, client, later) == []
    [next_week] = deliver(services, client, tallinn(2026, 12, 7, 9, 0))
    assert next_week.week_of == date(2026, 12, 7)
    assert len(posts(slack)) == 2 and len(slack.shared_files("C1")) == 2
    # Late or not, each digest covers the week before its Monday.
    texts = [post["blocks"][1]["text"]["text"] for post in posts(slack)]
    assert "2026-11-23 to 2026-11-29" in texts[0] and "2026-11-30 to 2026-12-06" in texts[1]


def test_two_instances_post_each_channel_once(database_url, slack):
    storage = Storage(database_url)
    storage.upgrade()
    for channel in ("C1", "C2"):
        subscribe(storage, channel)
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), agents=3)
    now = tallinn(2026, 11, 30, 9, 0).astimezone(UTC).isoformat()

    outcomes = run_in_processes(instance_worker, 2, database_url, slack.api_url, now)

    assert sorted(s for statuses in outcomes for s in statuses) == ["posted"] * 2 + ["taken"] * 2
    assert sorted(post["channel"] for post in posts(slack)) == ["C1", "C2"]
    assert len(slack.shared_files()) == 2
    storage.close()


def test_a_bot_removed_from_the_channel_pauses_the_digest_and_the_status_says_why(
    services, client, slack, storage
):
    subscribe(storage)
    slack.fail("chat.postMessage", "not_in_channel")
    [result] = deliver(services, client, tallinn(2026, 11, 30, 9, 0))
    assert (result.status, result.error) == ("paused", "not_in_channel")
    assert deliver(services, client, tallinn(2026, 12, 7, 9, 0)) == []  # paused, not retried
    assert slack.calls_to("files.getUploadURLExternal") == []
    said = handle_digest_command(services, {"team_id": TEAM, "channel_id": "C1"}, "",
                                 now=tallinn(2026, 12, 7, 10, 0))["text"]
    assert "paused" in said and "invite me" in said and "not_in_channel" in said


def test_a_chart_that_cannot_be_uploaded_leaves_the_digest_posted_and_says_why(
    services, client, slack, storage
):
    subscribe(storage)
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), agents=3)
    slack.fail("files.getUploadURLExternal", "missing_scope")
    [result] = deliver(services, client, tallinn(2026, 11, 30, 9, 0))
    assert (result.status, result.error) == ("posted", "chart not posted: missing_scope")
    assert len(posts(slack)) == 1 and slack.shared_files() == []
    said = handle_digest_command(services, {"team_id": TEAM, "channel_id": "C1"}, "",
                                 now=tallinn(2026, 11, 30, 10, 0))["text"]
    assert "chart not posted: missing_scope" in said and "files:write" in said
    # Not paused: next week's digest goes out as usual.
    [again] = deliver(services, client, tallinn(2026, 12, 7, 9, 0))
    assert again.status == "posted" and len(slack.shared_files()) == 1


def test_a_failed_digest_is_tried_again_on_the_next_tick_and_posted_once(
    services, client, slack, storage
):
    subscribe(storage)
    add_team_week(storage, tallinn(2026, 11, 24, 10, 0), agents=3)
    slack.fail("chat.postMessage", "internal_error")  # once: the next call works
    deliverer = DigestDeliverer(services, lambda team_id: client)

    [failed] = deliverer.deliver_due(tallinn(2026, 11, 30, 9, 0))
    assert (failed.status, failed.error) == ("failed", "internal_error")
    assert storage.digests.delivery(TEAM, "C1", date(2026, 11, 30)) == ("failed",
                                                                          "internal_error")
    assert storage.digests.subscription(TEAM, "C1").last_error is None  # not paused

    [retried] = deliverer.deliver_due(tallinn(2026, 11, 30, 9, 1))
    assert retried.status == "posted"
    assert storage.digests.delivery(TEAM, "C1", date(2026, 11, 30)) == ("posted", None)
    assert deliverer.deliver_due(tallinn(2026, 11, 30, 9, 2)) == []
    # Another instance, or this one restarted, finds the week posted.
    assert deliver(services, client, tallinn(2026, 11, 30, 9, 3)) == []
    assert len(slack.calls_to("chat.postMessage")) == 2  # the failure and the one post
    assert len(slack.shared_files("C1")) == 1


def test_a_digest_that_keeps_failing_is_given_up_until_next_week(
    services, client, slack, storage
):
    subscribe(storage)
    deliverer = DigestDeliverer(services, lambda team_id: client)
    for attempt in range(MAX_ATTEMPTS):
        slack.fail("chat.postMessage", "internal_error")
        [result] = deliverer.deliver_due(tallinn(2026, 11, 30, 9, attempt))
        assert result.status == "failed"
    assert deliverer.deliver_due(tallinn(2026, 11, 30, 10, 0)) == []
    [next_week] = deliverer.deliver_due(tallinn(2026, 12, 7, 9, 0))
    assert next_week.status == "posted"


def test_the_tips_ticker_posts_the_digest_too(services, client, slack, storage):
    subscribe(storage)
    scheduler = TipScheduler(services, client_for_team=lambda team_id: client,
                             clock=lambda: tallinn(2026, 11, 30, 9, 0, 30))
    scheduler.tick()
    scheduler.tick()
    assert len(posts(slack)) == 1


def test_app_home_shows_an_agent_their_own_eight_weeks(services, storage):
    now = datetime.now(UTC)
    add_review(storage, now, "UAGENT", guidelines=("empathy",))
    add_review(storage, now, "UAGENT")
    add_review(storage, now, "UOTHER", guidelines=("dont-argue",))
    view = json.dumps(home_view(services, TEAM, "UAGENT"))
    assert "Your last 8 weeks" in view
    assert "2 checks, 50% fine on the first check, most often: Show empathy" in view
    assert "UOTHER" not in view


# --- the fake's external upload, as Slack documents it ------------------------------


def test_the_fake_refuses_uploads_the_way_slack_does(client, slack):
    with pytest.raises(SlackApiError) as zero:
        client.files_getUploadURLExternal(filename="a.png", length=0)
    assert zero.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as long_alt:
        client.files_getUploadURLExternal(filename="a.png", length=3, alt_txt="x" * 1001)
    assert long_alt.value.response["error"] == "alt_txt_too_large"

    # Fewer bytes than announced: there is no complete file to share.
    announced = client.files_getUploadURLExternal(filename="a.txt", length=10)
    sent = urllib.request.urlopen(urllib.request.Request(announced["upload_url"], data=b"abc"))
    assert sent.status == 200
    with pytest.raises(SlackApiError) as short:
        client.files_completeUploadExternal(files=[{"id": announced["file_id"]}],
                                            channel_id="C1")
    assert short.value.response["error"] == "file_not_found"
    upload = client.files_getUploadURLExternal(filename="b.png", length=3)
    with pytest.raises(SlackApiError) as not_sent:
        client.files_completeUploadExternal(files=[{"id": upload["file_id"]}], channel_id="C1")
    assert not_sent.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as no_files:
        client.api_call("files.completeUploadExternal", params={"files": "[]"})
    assert no_files.value.response["error"] == "invalid_arguments"

    done = client.files_upload_v2(channel="C1", content=b"abc", filename="c.txt", title="c")
    with pytest.raises(SlackApiError) as twice:
        client.files_completeUploadExternal(files=[{"id": done["file"]["id"]}])
    assert twice.value.response["error"] == "file_not_found"
    assert [f.title for f in slack.shared_files("C1")] == ["c"]


# --- /tone-check digest, over HTTP as Slack sends it --------------------------------


def test_the_digest_command_subscribes_shows_and_stops(app, storage):
    done = app.answer("digest mon 09:00 europe/tallinn ru", channel="CLEADS")["text"]
    assert ("Done: <#CLEADS> gets the weekly digest every *Monday at 09:00 Europe/Tallinn*, "
            "in Russian.") in done
    assert "every channel of this workspace" in done
    sub = storage.digests.subscription(TEAM, "CLEADS")
    assert (sub.weekday, sub.time, sub.timezone, sub.language) == (
        "mon", "09:00", "Europe/Tallinn", "ru")

    shown = app.answer("digest", channel="CLEADS")["text"]
    assert "Next digest: Monday" in shown and "/tone-check digest off" in shown

    assert "is off" in app.answer("digest off", channel="CLEADS")["text"]
    assert storage.digests.subscription(TEAM, "CLEADS") is None
    assert "no weekly digest yet" in app.answer("digest", channel="CLEADS")["text"]


def test_a_bad_digest_schedule_gets_a_friendly_answer_that_pings_nobody(app, storage):
    reply = app.answer("digest @channel 09:00 UTC")["text"]
    assert reply.startswith(":warning: `\uff20channel` isn't a weekday")
    assert "For example: `/tone-check digest mon 09:00 Europe/Tallinn en`" in reply
    assert storage.digests.subscriptions() == []


# --- who may change it, and channels shared with another organisation ------------------


def test_only_admins_change_the_digest_and_every_change_is_recorded(slack, model, storage):
    from tests.slack.conftest import start_app

    app, server = start_app(slack, model, storage, admins_text="ULEAD")
    try:
        refused = app.answer("digest mon 09:00 UTC", channel="CLEADS", user="UAGENT")["text"]
        assert "<@ULEAD>" in refused and storage.digests.subscription(TEAM, "CLEADS") is None
        app.answer("digest mon 09:00 UTC", channel="CLEADS", user="ULEAD")
        assert "<@ULEAD>" in app.answer("digest off", channel="CLEADS", user="UAGENT")["text"]
        assert storage.digests.subscription(TEAM, "CLEADS") is not None
        app.answer("digest off", channel="CLEADS", user="ULEAD")
        changes = storage.settings_log.changes(TEAM, "CLEADS")
        assert [(c.user_id, c.action, c.detail) for c in changes] == [
            ("ULEAD", "digest_on", "mon 09:00 UTC en"), ("ULEAD", "digest_off", None)]
        assert "turned the digest off" in app.answer("help", channel="CLEADS")["text"]
    finally:
        server.close()


def test_no_digest_is_set_up_in_a_channel_shared_with_a_customer(app, slack, storage):
    slack.share_with_customer("CCONNECT")
    text = app.answer("digest mon 09:00 UTC", channel="CCONNECT")["text"]
    assert "shared with another organisation" in text
    assert storage.digests.subscription(TEAM, "CCONNECT") is None


def test_a_digest_channel_that_became_shared_is_paused(services, client, slack, storage):
    subscribe(storage, channel="CCONNECT")
    slack.share_with_customer("CCONNECT")
    [result] = deliver(services, client, tallinn(2026, 11, 30, 9, 0))
    assert (result.status, result.error) == ("paused", "shared_channel")
    assert posts(slack) == [] and slack.calls_to("files.getUploadURLExternal") == []
    said = handle_digest_command(services, {"team_id": TEAM, "channel_id": "CCONNECT"}, "",
                                 now=tallinn(2026, 11, 30, 10, 0))["text"]
    assert "paused" in said and "shared with another organisation" in said
