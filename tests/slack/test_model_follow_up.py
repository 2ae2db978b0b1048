"""When the model asks to wait longer than a review may take, the person gets the offline
review at once, and the AI review takes its place when the model answers.

The fake model answers 429 with ``retry-after: 4`` (longer than the test coach's 3 s
deadline), then answers normally; everything else is the real app over HTTP.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.jobs.job import ReviewJob
from tests.fakes.http import Response
from tests.fakes.openai_api import model_not_found
from tests.slack.test_messages import message
from tests.slack.test_reactions import reaction

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."
AI_REWRITE = "Thanks for asking again"  # the fake model's rewrite of BAD_DRAFT
WAIT_S = 4


def busy() -> Response:
    return Response(429, {"error": {"message": "busy", "type": "rate_limit_error"}},
                    {"retry-after": str(WAIT_S)})


def text_of(call) -> str:
    return json.dumps(call.args.get("blocks", []), ensure_ascii=False)


def has_buttons(call) -> bool:
    return '"type": "button"' in text_of(call)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def test_a_command_gets_the_offline_review_now_and_the_ai_review_in_its_place(app, slack,
                                                                               model, logs):
    model.then(busy())
    started = time.monotonic()
    app.command(BAD_DRAFT)
    [offline] = slack.wait_for("response_url")
    assert time.monotonic() - started < WAIT_S  # the person did not wait for the model
    assert AI_REWRITE not in text_of(offline)
    assert "will take its place here" in text_of(offline)
    ai, = slack.wait_for("response_url", count=2, timeout=20)[1:]
    assert time.monotonic() - started >= WAIT_S  # the model was asked again only when due
    assert AI_REWRITE in text_of(ai)
    assert ai.args.get("replace_original") is True
    assert "arrived after the offline review" in text_of(ai)
    assert not has_buttons(ai)  # a vote would be counted for the offline engine
    assert len(model.completions) == 2
    assert not any("already explained" in r.getMessage() for r in logs.records)


def test_a_reaction_review_is_updated_in_place_in_its_thread(app, slack, model):
    model.then(busy())
    ts = slack.add_message("C1", BAD_DRAFT)
    app.event(reaction("C1", ts))
    first, second = slack.wait_for("chat.update", count=2, timeout=20)
    assert first.args["ts"] == second.args["ts"]  # the same message, not a second one
    assert AI_REWRITE not in text_of(first) and AI_REWRITE in text_of(second)
    assert len(slack.calls_to("chat.postMessage")) == 1  # the one placeholder


def test_a_watched_draft_review_is_replaced_in_its_thread(app, slack, model):
    app.services.storage.channels.watch("T1", "CDRAFTS")
    model.then(busy())
    app.event(message(BAD_DRAFT))
    [posted] = slack.wait_for("chat.postMessage")
    [update] = slack.wait_for("chat.update", timeout=20)
    assert update.args["channel"] == "CDRAFTS"
    [review] = [m for m in slack.messages["CDRAFTS"] if m.get("bot_id")]
    assert update.args["ts"] == review["ts"]  # the review posted in the thread, replaced
    assert AI_REWRITE in text_of(update) and AI_REWRITE not in text_of(posted)


def test_no_follow_up_is_promised_when_the_model_only_failed(app, slack, model):
    model.then(*[Response(500, {"error": {"message": "boom"}})] * 10)
    app.command(BAD_DRAFT)
    [offline] = slack.wait_for("response_url")
    assert "will take its place here" not in text_of(offline)
    time.sleep(1)
    assert len(slack.calls_to("response_url")) == 1


def test_a_model_that_is_gone_by_then_leaves_the_offline_review_and_a_log_line(app, slack,
                                                                                 model, logs):
    model.then(busy(), model_not_found("fake-model"))
    app.command(BAD_DRAFT)
    slack.wait_for("response_url")
    deadline = time.monotonic() + 20
    while not any("will not answer" in r.getMessage() for r in logs.records):
        assert time.monotonic() < deadline, "the dropped follow-up was not logged"
        time.sleep(0.1)
    assert len(slack.calls_to("response_url")) == 1  # nothing more reached the person
    assert len(model.completions) == 2


def test_a_follow_up_too_late_to_matter_is_dropped_with_a_log_line_and_no_message(
        app, slack, model, logs):
    model.default = lambda request: busy()
    thirty_one_minutes_ago = time.time() - 31 * 60
    app.services.defer(ReviewJob(
        kind="followup", key="cmd-late:ai", team_id="T1", channel_id="C1", user_id="UAGENT",
        draft=BAD_DRAFT, response_url=slack.response_url(), follows="command",
        reply_to={"kind": "ephemeral", "team_id": "T1", "channel_id": "C1",
                  "user_id": "UAGENT", "response_url": slack.response_url()},
        not_before=thirty_one_minutes_ago, acked_at=thirty_one_minutes_ago))
    deadline = time.monotonic() + 20
    while not any("no AI review followed" in r.getMessage() for r in logs.records):
        assert time.monotonic() < deadline, "the dropped follow-up was not logged"
        time.sleep(0.1)
    assert not slack.calls_to("response_url")
    assert not slack.calls_to("chat.postEphemeral")
    assert not any("already explained" in r.getMessage() for r in logs.records)
