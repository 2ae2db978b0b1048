"""Slack Connect channels: nothing Tone Coach writes there is seen by the customer."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.conftest import start_app

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."
GOOD_DRAFT = "Thank you for waiting! The refund for order #48213 was sent today."
PUBLIC = ("chat.postMessage", "chat.update", "reactions.add")


def reaction(channel: str, ts: str, user: str = "ULEAD") -> dict:
    return {"type": "reaction_added", "user": user, "reaction": "mag",
            "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": "UAGENT",
            "event_ts": "1.1"}


def message(text: str, channel: str, ts: str = "1700000001.000100") -> dict:
    return {"type": "message", "channel": channel, "user": "UAGENT", "text": text, "ts": ts,
            "channel_type": "channel"}


def public_posts(slack) -> list:
    return [c for c in slack.calls if c.method in PUBLIC]


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def app_with(slack, model, storage):
    """Start the app with some settings changed; stopped after the test."""
    servers = []

    def start(**settings):
        running, server = start_app(slack, model, storage, **settings)
        servers.append(server)
        return running

    yield start
    for server in servers:
        server.close()


def test_a_reaction_review_in_a_customer_channel_goes_only_to_who_asked(app, slack):
    slack.share_with_customer("CCONNECT")
    ts = slack.add_message("CCONNECT", BAD_DRAFT)
    app.event(reaction("CCONNECT", ts, user="ULEAD"))
    [private] = slack.wait_for("chat.postEphemeral")
    assert (private.args["channel"], private.args["user"]) == ("CCONNECT", "ULEAD")
    assert "As I already explained" in json.dumps(private.args["blocks"])
    assert public_posts(slack) == []
    # The envelope's is_ext_shared_channel said so: no need to ask conversations.info.
    assert slack.calls_to("conversations.info") == []


def test_a_pending_invitation_counts_as_shared(app, slack):
    slack.share_with_customer("CINVITED", pending=True)  # not in the envelope yet
    ts = slack.add_message("CINVITED", BAD_DRAFT)
    app.event(reaction("CINVITED", ts))
    slack.wait_for("chat.postEphemeral")
    assert public_posts(slack) == []
    [info] = slack.calls_to("conversations.info")
    assert info.args["channel"] == "CINVITED"


def test_a_channel_shared_only_inside_the_organisation_gets_its_thread_review(app, slack):
    slack.share_in_org("CSISTER")
    ts = slack.add_message("CSISTER", BAD_DRAFT)
    app.event(reaction("CSISTER", ts))
    [placeholder] = slack.wait_for("chat.postMessage")
    assert placeholder.args["thread_ts"] == ts
    slack.wait_for("chat.update")
    assert slack.calls_to("chat.postEphemeral") == []


def test_when_an_ephemeral_message_is_refused_the_review_comes_as_a_direct_message(app, slack):
    slack.share_with_customer("CCONNECT")
    slack.fail("chat.postEphemeral", "user_not_in_channel")
    ts = slack.add_message("CCONNECT", BAD_DRAFT)
    app.event(reaction("CCONNECT", ts, user="ULEAD"))
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.args["channel"] == "ULEAD" and "thread_ts" not in dm.args
    assert "As I already explained" in json.dumps(dm.args["blocks"])
    assert not slack.calls_to("chat.update")


def test_when_slack_cannot_say_the_channel_is_treated_as_shared(app, slack):
    slack.fail("conversations.info", "channel_not_found")
    ts = slack.add_message("CUNKNOWN", BAD_DRAFT)
    app.event(reaction("CUNKNOWN", ts))
    slack.wait_for("chat.postEphemeral")
    assert public_posts(slack) == []


def test_sharing_is_looked_up_once_and_forgotten_when_slack_says_it_changed(app, slack):
    for number in range(2):
        ts = slack.add_message("CPLAIN", GOOD_DRAFT)
        app.event(reaction("CPLAIN", ts))
        slack.wait_for("chat.update", count=number + 1)
    assert len(slack.calls_to("conversations.info")) == 1

    slack.share_with_customer("CPLAIN", pending=True)
    app.event({"type": "channel_shared", "connected_team_id": "T0CUSTOMER",
               "channel": "CPLAIN", "event_ts": "1561064063.001100"})
    ts = slack.add_message("CPLAIN", BAD_DRAFT)
    app.event(reaction("CPLAIN", ts))
    slack.wait_for("chat.postEphemeral")
    assert len(slack.calls_to("conversations.info")) == 2
    assert len(slack.calls_to("chat.postMessage")) == 2  # the two earlier placeholders only


def test_watch_is_refused_in_a_customer_channel(app, slack):
    slack.share_with_customer("CCONNECT")
    answer = app.answer("watch", channel="CCONNECT")
    assert "shared with another organisation" in answer["text"]
    assert answer["response_type"] == "ephemeral" and "\n" not in answer["text"]
    assert not app.services.storage.channels.is_watched("T1", "CCONNECT")
    assert app.services.storage.settings_log.last_change("T1", "CCONNECT") is None


def test_tips_are_refused_in_a_customer_channel_but_can_be_turned_off(app, slack):
    storage = app.services.storage
    app.answer("tips 09:30 Europe/Tallinn", channel="CCONNECT")  # before it was shared
    slack.share_with_customer("CCONNECT")
    app.services.channels.forget("CCONNECT")

    answer = app.answer("tips 10:00 Europe/Tallinn", channel="CCONNECT")
    assert "shared with another organisation" in answer["text"]
    assert storage.tips.subscription("T1", "CCONNECT").time == "09:30"

    assert "off" in app.answer("tips off", channel="CCONNECT")["text"]
    assert storage.tips.subscription("T1", "CCONNECT") is None


def test_a_watched_channel_that_became_shared_gets_no_public_reactions_or_replies(app, slack):
    app.services.storage.channels.watch("T1", "CCONNECT", "top")
    slack.share_with_customer("CCONNECT")
    app.event(message(GOOD_DRAFT, "CCONNECT", ts="1700000001.000100"))
    app.event(message(BAD_DRAFT, "CCONNECT", ts="1700000002.000100"))
    [private] = slack.wait_for("chat.postEphemeral")
    assert private.args["user"] == "UAGENT"
    assert "As I already explained" in json.dumps(private.args["blocks"])
    wait_until(lambda: len(app.services.storage.reviews.recent("T1", "UAGENT")) == 2)
    assert public_posts(slack) == [] and slack.calls_to("reactions.remove") == []
    assert len(slack.calls_to("chat.postEphemeral")) == 1  # the good draft: nothing at all


def test_a_team_can_allow_public_reviews_in_shared_channels(app_with, slack):
    app = app_with(shared_channels="allow")
    slack.share_with_customer("CCONNECT")
    ts = slack.add_message("CCONNECT", BAD_DRAFT)
    app.event(reaction("CCONNECT", ts))
    [placeholder] = slack.wait_for("chat.postMessage")
    assert placeholder.args["thread_ts"] == ts
    slack.wait_for("chat.update")
    assert "watching" in app.answer("watch", channel="CCONNECT")["text"]
    assert app.services.storage.channels.is_watched("T1", "CCONNECT")
    assert slack.calls_to("conversations.info") == []  # nothing to decide, nothing asked


def test_watch_says_why_when_slack_will_not_tell_whether_the_channel_is_shared(app, slack):
    slack.fail("conversations.info", "missing_scope")
    text = app.answer("watch", channel="CNEW")["text"]
    assert "`missing_scope`" in text and "reinstalling Tone Coach" in text
    assert not app.services.storage.channels.is_watched("T1", "CNEW")


def test_watching_a_private_channel_the_bot_is_not_in_asks_for_an_invitation(app, slack):
    slack.fail("conversations.info", "channel_not_found")
    text = app.answer("watch", channel="GSECRET")["text"]
    assert "/invite @Tone Coach" in text
    assert not app.services.storage.channels.is_watched("T1", "GSECRET")
