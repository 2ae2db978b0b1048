"""Watched channels: new human messages are drafts; everything else is quietly acknowledged."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.conftest import start_app

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."
GOOD_DRAFT = "Thank you for waiting! The refund for order #48213 was sent today."


def message(text: str, channel: str = "CDRAFTS", ts: str = "1700000001.000100", **extra) -> dict:
    return {"type": "message", "channel": channel, "user": "UAGENT", "text": text, "ts": ts,
            "channel_type": "channel", **extra}


@pytest.fixture
def watched(app):
    app.services.storage.channels.watch("T1", "CDRAFTS")
    return app


def test_a_draft_that_needs_work_gets_a_review_in_its_thread(watched, slack):
    watched.event(message(BAD_DRAFT))
    [post] = slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == "1700000001.000100"
    assert post.args["channel"] == "CDRAFTS"


def test_a_good_draft_gets_a_check_mark_and_no_message(watched, slack):
    watched.event(message(GOOD_DRAFT))
    slack.wait_for("reactions.remove")
    added = slack.wait_for("reactions.add", count=2)
    assert [c.args["name"] for c in added] == ["eyes", "white_check_mark"]
    assert not slack.calls_to("chat.postMessage")


@pytest.mark.parametrize("extra", [
    {"subtype": "message_changed"},
    {"subtype": "channel_join"},
    {"subtype": "bot_message", "bot_id": "B1"},
    {"bot_id": "BOTHER"},
    {"user": "UBOT"},
    {"thread_ts": "1700000000.000001"},
])
def test_edits_joins_bots_and_thread_replies_are_acknowledged_and_ignored(watched, slack, extra):
    reply = watched.event(message(BAD_DRAFT, **extra))
    assert reply.status == 200
    time.sleep(0.3)
    assert not watched.model.requests
    assert not slack.calls_to("chat.postMessage")


def test_unwatched_channels_are_ignored(app, slack):
    assert app.event(message(BAD_DRAFT, channel="CRANDOM")).status == 200
    time.sleep(0.3)
    assert not app.model.requests


def test_a_retried_delivery_is_handled_once(watched, slack):
    first = watched.event(message(BAD_DRAFT), event_id="EvSAME")
    retried = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    retry = watched.event(message(BAD_DRAFT), event_id="EvSAME", headers=retried)
    assert first.status == retry.status == 200
    slack.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(watched.model.requests) == 1


def test_events_nobody_listens_for_get_200_not_404(app):
    reply = app.event({"type": "member_joined_channel", "user": "U2", "channel": "C1"})
    assert reply.status == 200


@pytest.fixture
def watched_replies(app):
    app.services.storage.channels.watch("T1", "CDRAFTS", "replies")
    return app


def test_in_replies_mode_an_agents_reply_is_reviewed_with_the_parent_as_context(
    watched_replies, slack
):
    parent = slack.add_message("CDRAFTS", "Why was I charged twice?", user="UCUSTOMER",
                               ts="1700000001.000100")
    reply = slack.add_message("CDRAFTS", BAD_DRAFT, thread_ts=parent, ts="1700000001.000200")
    watched_replies.event(message(BAD_DRAFT, ts=reply, thread_ts=parent))
    [post] = slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == parent
    [reacted] = slack.wait_for("reactions.add")
    assert reacted.args["timestamp"] == reply  # the reply gets the eyes, not the parent
    sent = json.loads(watched_replies.model.requests[0].json["messages"][1]["content"]
                      .split("\n", 2)[2])
    assert sent == {"customer_message": "Why was I charged twice?", "draft": BAD_DRAFT}


def test_in_replies_mode_the_parents_author_and_bots_are_never_reviewed(
    watched_replies, slack
):
    parent = slack.add_message("CDRAFTS", "Why was I charged twice?", user="UCUSTOMER",
                               ts="1700000001.000100")
    watched_replies.event(message("As I already explained twice!", user="UCUSTOMER",
                                  ts="1700000001.000200", thread_ts=parent))
    watched_replies.event(message(BAD_DRAFT, bot_id="BHELPDESK", ts="1700000001.000300",
                                  thread_ts=parent))
    time.sleep(0.5)
    assert not watched_replies.model.requests
    assert not slack.calls_to("chat.postMessage")


def test_in_top_mode_replies_are_not_reviewed(watched, slack):
    parent = slack.add_message("CDRAFTS", "Why was I charged twice?", user="UCUSTOMER")
    watched.event(message(BAD_DRAFT, ts="1700000001.000200", thread_ts=parent))
    time.sleep(0.5)
    assert not watched.model.requests


def test_channels_from_the_setting_take_their_mode(slack, model, storage):
    running, server = start_app(slack, model, storage,
                                watch_channels_text="CTOP,CREPLIES:replies")
    try:
        parent = slack.add_message("CREPLIES", "Where is my parcel?", user="UCUSTOMER",
                                   ts="1700000002.000100")
        running.event(message(BAD_DRAFT, channel="CTOP", ts="1700000002.000050"))
        running.event(message(BAD_DRAFT, channel="CREPLIES", ts="1700000002.000200",
                              thread_ts=parent))
        running.event(message(BAD_DRAFT, channel="CTOP", ts="1700000002.000300",
                              thread_ts="1700000002.000050"))
        posts = slack.wait_for("chat.postMessage", count=2)
        time.sleep(0.5)
        assert sorted(p.args["channel"] for p in slack.calls_to("chat.postMessage")) == [
            "CREPLIES", "CTOP"]
        assert {p.args["thread_ts"] for p in posts} == {"1700000002.000050", parent}
    finally:
        server.close()
