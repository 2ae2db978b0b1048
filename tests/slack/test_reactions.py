"""Reacting with the configured emoji reviews that message in its thread."""

from __future__ import annotations

import json

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."


def reaction(channel: str, ts: str, name: str = "mag", user: str = "ULEAD") -> dict:
    return {"type": "reaction_added", "user": user, "reaction": name,
            "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": "UAGENT",
            "event_ts": "1.1"}


def test_a_top_level_message_is_reviewed_in_its_own_thread(app, slack):
    ts = slack.add_message("C1", BAD_DRAFT)
    assert app.event(reaction("C1", ts)).status == 200
    [placeholder] = slack.wait_for("chat.postMessage")
    assert placeholder.args["thread_ts"] == ts
    assert "Reviewing" in placeholder.args["text"]
    [update] = slack.wait_for("chat.update")
    blocks = json.dumps(update.args["blocks"], ensure_ascii=False)
    assert "As I already explained" in blocks and "#48213" in blocks


def test_a_thread_reply_uses_the_parent_as_context_and_stays_in_the_thread(app, slack, model):
    parent = slack.add_message("C1", "Why was I charged twice?", user="UCUSTOMER")
    reply_ts = slack.add_message("C1", BAD_DRAFT, thread_ts=parent)
    app.event(reaction("C1", reply_ts))
    [placeholder] = slack.wait_for("chat.postMessage")
    assert placeholder.args["thread_ts"] == parent
    slack.wait_for("chat.update")
    sent = json.loads(model.requests[0].json["messages"][1]["content"].split("\n", 2)[2])
    assert sent == {"customer_message": "Why was I charged twice?", "draft": BAD_DRAFT}


def test_other_emoji_are_ignored(app, slack):
    ts = slack.add_message("C1", BAD_DRAFT)
    assert app.event(reaction("C1", ts, name="tada")).status == 200
    assert not slack.calls_to("conversations.history")
    assert not app.model.requests


def test_a_channel_the_bot_is_not_in_is_explained_to_the_person_who_reacted(app, slack):
    slack.fail("conversations.history", "not_in_channel")
    app.event(reaction("CPRIVATE", "1.2", user="ULEAD"))
    [note] = slack.wait_for("chat.postEphemeral")
    assert note.args["user"] == "ULEAD"
    assert "invite" in note.args["text"].lower()


def test_a_slack_rate_limit_is_waited_out(app, slack):
    ts = slack.add_message("C1", BAD_DRAFT)
    slack.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "1"})
    app.event(reaction("C1", ts))
    posts = slack.wait_for("chat.postMessage", count=2, timeout=15)
    assert posts[1].at - posts[0].at >= 0.9
    slack.wait_for("chat.update")


def test_a_reply_deep_in_a_long_thread_is_found_and_reviewed(app, slack):
    parent = slack.add_message("C1", "Why was I charged twice?", user="UCUSTOMER")
    for n in range(30):
        slack.add_message("C1", f"Checking with billing, step {n}.", thread_ts=parent)
    reply_ts = slack.add_message("C1", BAD_DRAFT, thread_ts=parent)
    for n in range(5):
        slack.add_message("C1", f"Later note {n}.", thread_ts=parent)
    app.event(reaction("C1", reply_ts))
    [update] = slack.wait_for("chat.update")
    assert "#48213" in json.dumps(update.args["blocks"], ensure_ascii=False)
    assert not slack.calls_to("chat.postEphemeral")  # nobody is told it was deleted
