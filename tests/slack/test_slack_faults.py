"""Slack's faults on every path that carries a review: the review still reaches the person.

The fake Slack answers exactly as Slack does when it is unwell: 5xx with an HTML page, 429 with
``Retry-After``, ``{"ok": false, "error": "ratelimited"}`` with status 200, a dropped
connection, and a response URL past its lifetime (404 ``expired_url``).
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot.jobs.job import GIVE_UP_AFTER_S, ReviewJob
from bot.slack.blocks import working_message
from tests.slack.test_reactions import reaction

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."
REVIEWED = "Thanks for asking again"  # the fake model's rewrite of BAD_DRAFT


def carries_review(call) -> bool:
    return REVIEWED in json.dumps(call.args.get("blocks", []), ensure_ascii=False)


def no_html_reached_anyone(slack) -> bool:
    return not any("<html" in json.dumps(c.args).lower() for c in slack.calls)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def assert_draft_never_logged(logs) -> None:
    assert not any("already explained" in r.getMessage() for r in logs.records)


def wait_until(check, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# --- /tone-check: the answer goes through response_url ------------------------------------

@pytest.mark.parametrize("fault", ["server_error", "rate_limit", "refuse"])
def test_a_command_review_gets_through_a_passing_response_url_fault(app, slack, logs, fault):
    getattr(slack, fault)("response_url")
    app.command(BAD_DRAFT, trigger="fault")
    answers = slack.wait_for("response_url", count=2)
    assert carries_review(answers[-1])
    assert len([a for a in answers if carries_review(a)]) == 2  # the failed try, then the good one
    assert_draft_never_logged(logs)


def test_a_command_review_goes_ephemeral_when_the_response_url_keeps_failing(app, slack, logs):
    slack.server_error("response_url", times=10)
    app.command(BAD_DRAFT)
    [ephemeral] = slack.wait_for("chat.postEphemeral")
    assert carries_review(ephemeral) and ephemeral.args["user"] == "UAGENT"
    assert no_html_reached_anyone(slack)
    assert any(r.levelno == logging.WARNING and "response_url" in r.getMessage()
               for r in logs.records)
    assert_draft_never_logged(logs)


def test_an_expired_response_url_is_not_retried_and_the_review_goes_ephemeral(app, slack):
    slack.expire("response_url")
    app.command(BAD_DRAFT)
    [ephemeral] = slack.wait_for("chat.postEphemeral")
    assert carries_review(ephemeral)
    assert len(slack.calls_to("response_url")) == 1


def test_when_slack_takes_the_review_nowhere_the_job_runs_again_once_it_recovers(app, slack,
                                                                                 logs):
    slack.expire("response_url", times=10)
    slack.server_error("chat.postEphemeral", times=4)  # one call: a try and three retries
    slack.server_error("chat.postMessage", times=4)  # the DM fallback fails too
    app.command(BAD_DRAFT)
    posts = slack.wait_for("chat.postEphemeral", count=5)
    assert carries_review(posts[-1])
    assert any("will run again" in r.getMessage() for r in logs.records)
    assert_draft_never_logged(logs)


# --- reactions: a placeholder in the thread, then the review in its place -------------------

@pytest.mark.parametrize("fault", ["server_error", "rate_limit", "ratelimited_ok", "refuse"])
def test_a_reaction_review_gets_through_a_passing_fault_on_each_call(app, slack, fault):
    ts = slack.add_message("C1", BAD_DRAFT)
    getattr(slack, fault)("chat.postMessage")
    getattr(slack, fault)("chat.update")
    app.event(reaction("C1", ts))
    updates = slack.wait_for("chat.update", count=2)
    assert carries_review(updates[-1])
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 2 and posts[0].args["thread_ts"] == ts  # the fault, then the retry
    time.sleep(0.3)
    assert len(slack.calls_to("chat.update")) == 2  # one review, no second copy
    assert not slack.calls_to("chat.postEphemeral")
    assert no_html_reached_anyone(slack)


def test_when_the_thread_refuses_the_review_the_placeholder_says_so_and_it_goes_privately(
        app, slack, logs):
    ts = slack.add_message("C1", BAD_DRAFT)
    slack.server_error("chat.update", times=4)  # the review's update, with all its retries
    app.event(reaction("C1", ts, user="ULEAD"))
    [ephemeral] = slack.wait_for("chat.postEphemeral")
    assert carries_review(ephemeral) and ephemeral.args["user"] == "ULEAD"
    moved = slack.calls_to("chat.update")[-1]
    assert "sent it to <@ULEAD> privately" in moved.args["text"]
    assert no_html_reached_anyone(slack)
    assert any(r.levelno == logging.WARNING and "thread" in r.getMessage()
               for r in logs.records)
    assert_draft_never_logged(logs)


def test_reading_the_message_through_a_fault(app, slack):
    ts = slack.add_message("C1", BAD_DRAFT)
    slack.server_error("conversations.history", status=503)
    app.event(reaction("C1", ts))
    [update] = slack.wait_for("chat.update")
    assert carries_review(update)


def test_a_reaction_given_up_clears_its_placeholder_and_tells_the_reactor_privately(app, slack,
                                                                                    logs):
    ts = slack.add_message("C1", BAD_DRAFT)
    # A process that died half an hour ago had posted "Reviewing…" in the thread.
    placeholder = "1700000000.900000"
    slack.messages["C1"].append({"type": "message", "user": "UBOT", "bot_id": "BBOT",
                                 "ts": placeholder, "thread_ts": ts,
                                 "text": working_message()["text"]})
    slack.server_error("conversations.history", times=4)  # this try fails, retries and all
    app.services.defer(ReviewJob(kind="reaction", key="Ev-late", team_id="T1", channel_id="C1",
                                 user_id="ULEAD", ts=ts,
                                 acked_at=time.time() - GIVE_UP_AFTER_S - 1))
    [ephemeral] = slack.wait_for("chat.postEphemeral")
    assert ephemeral.args["user"] == "ULEAD" and "couldn't finish" in ephemeral.args["text"]
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == placeholder and "couldn't finish" in update.args["text"]
    assert not app.model.requests
    assert any(r.levelno == logging.WARNING and "gave up review job reaction Ev-late"
               in r.getMessage() for r in logs.records)


def test_a_given_up_reaction_whose_placeholder_cannot_be_edited_tells_the_reactor_once(
        app, slack, logs):
    ts = slack.add_message("C1", BAD_DRAFT)
    placeholder = "1700000000.900000"
    slack.messages["C1"].append({"type": "message", "user": "UBOT", "bot_id": "BBOT",
                                 "ts": placeholder, "thread_ts": ts,
                                 "text": working_message()["text"]})
    slack.server_error("conversations.history", times=4)
    slack.fail("chat.update", "cant_update_message", times=4)
    app.services.defer(ReviewJob(kind="reaction", key="Ev-stuck", team_id="T1", channel_id="C1",
                                 user_id="ULEAD", ts=ts,
                                 acked_at=time.time() - GIVE_UP_AFTER_S - 1))
    slack.wait_for("chat.postEphemeral")
    time.sleep(0.5)  # a second note would follow at once
    [ephemeral] = slack.calls_to("chat.postEphemeral")
    assert ephemeral.args["user"] == "ULEAD" and "couldn't finish" in ephemeral.args["text"]
    assert [u.args["ts"] for u in slack.calls_to("chat.update")] == [placeholder]
    assert any(r.levelno == logging.WARNING and "could not replace a placeholder"
               in r.getMessage() for r in logs.records)


def test_a_command_given_up_after_its_response_url_expired_is_told_privately(app, slack):
    slack.expire("response_url", times=2)
    slack.server_error("chat.postEphemeral", times=4)  # this try cannot reach anyone
    slack.server_error("chat.postMessage", times=4)
    app.services.defer(ReviewJob(kind="command", key="cmd-late", team_id="T1", channel_id="C1",
                                 user_id="UAGENT", draft=BAD_DRAFT,
                                 response_url=slack.response_url("late"),
                                 acked_at=time.time() - GIVE_UP_AFTER_S - 1))
    ephemerals = slack.wait_for("chat.postEphemeral", count=5)
    assert carries_review(ephemerals[0])  # the try that failed
    assert "couldn't finish" in ephemerals[-1].args["text"]
    assert ephemerals[-1].args["user"] == "UAGENT"


# --- watched channels ---------------------------------------------------------------------

def test_a_watched_draft_whose_thread_refuses_the_review_reaches_its_author_privately(app,
                                                                                      slack):
    app.services.storage.channels.watch("T1", "CDRAFTS")
    ts = slack.add_message("CDRAFTS", BAD_DRAFT, user="UAGENT")
    slack.refuse("chat.postMessage", times=4)
    app.event({"type": "message", "channel": "CDRAFTS", "user": "UAGENT", "text": BAD_DRAFT,
               "ts": ts, "channel_type": "channel"})
    [ephemeral] = slack.wait_for("chat.postEphemeral")
    assert carries_review(ephemeral) and ephemeral.args["user"] == "UAGENT"


def test_a_redelivered_event_whose_review_was_posted_is_skipped(app, slack):
    ts = slack.add_message("C1", BAD_DRAFT)
    app.event(reaction("C1", ts), event_id="EvONCE")
    slack.wait_for("chat.update")
    app.services.jobs.outbox._recent.clear()  # as after a restart: only the claim remains
    app.event(reaction("C1", ts), event_id="EvONCE",
              headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    time.sleep(1.0)
    assert len(slack.calls_to("chat.update")) == 1
    assert len(app.model.requests) == 1
