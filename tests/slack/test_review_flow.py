"""One review flow for every entry point: presenters are plain data, and whatever fails,
nobody is left looking at "Reviewing…"."""

from __future__ import annotations

import json

from bot.slack.presenters import ReplyTo, ThreadReply, presenter_for
from tests.slack.test_reactions import BAD_DRAFT, reaction


def test_a_reply_target_survives_a_trip_through_json():
    target = ReplyTo("thread", "T1", "C1", "ULEAD", message_ts="1.2", thread_ts="1.1",
                     placeholder_ts="1.3", response_url="https://hooks.slack.com/x")
    assert ReplyTo.from_dict(json.loads(json.dumps(target.to_dict()))) == target


def test_a_rebuilt_thread_presenter_updates_the_placeholder_it_was_given(slack):
    from slack_sdk import WebClient

    slack.add_message("C1", "Reviewing…", thread_ts="1.1", ts="1.3")  # posted by an earlier try
    target = ReplyTo("thread", "T1", "C1", "ULEAD", thread_ts="1.1", placeholder_ts="1.3")
    presenter = presenter_for(ReplyTo.from_dict(target.to_dict()),
                              WebClient(token="xoxb-test", base_url=slack.api_url))
    assert isinstance(presenter, ThreadReply)
    presenter.start()  # already posted: nothing new
    presenter.show("needs_work", [{"text": "review", "blocks": []}])
    assert not slack.calls_to("chat.postMessage")
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == "1.3"


def test_an_unexpected_error_replaces_the_placeholder_with_an_apology(app, slack, caplog):
    def broken(draft, context=None, **kwargs):
        raise RuntimeError("a bug")

    app.services.reviews.coach.review = broken
    ts = slack.add_message("C1", BAD_DRAFT)
    app.event(reaction("C1", ts))
    [placeholder] = slack.wait_for("chat.postMessage")
    [update] = slack.wait_for("chat.update")
    assert update.args["ts"] == placeholder.args.get("ts", update.args["ts"])
    assert "something went wrong" in update.args["text"].lower()
    assert "thread review failed" in caplog.text and BAD_DRAFT not in caplog.text


def test_an_unexpected_error_in_a_command_is_answered_privately(app, slack):
    def broken(draft, context=None, **kwargs):
        raise RuntimeError("a bug")

    app.services.reviews.coach.review = broken
    app.command(BAD_DRAFT)
    [answer] = slack.wait_for("response_url")
    assert "something went wrong" in answer.args["text"].lower()
    assert answer.args["replace_original"] is True


def test_help_says_how_the_channel_is_watched(app):
    assert "not watched" in app.answer("help", channel="CDRAFTS")["text"]
    assert "watching" in app.answer("watch replies", channel="CDRAFTS")["text"]
    assert app.services.storage.channels.mode("T1", "CDRAFTS") == "replies"
    assert "watched with replies" in app.answer("help", channel="CDRAFTS")["text"]
    app.answer("watch", channel="CDRAFTS")
    assert "top-level messages are checked" in app.answer("", channel="CDRAFTS")["text"]
    app.answer("unwatch", channel="CDRAFTS")
    assert "not watched" in app.answer("help", channel="CDRAFTS")["text"]


def test_a_mistyped_watch_mode_is_explained_not_reviewed(app):
    assert "don't know the command" in app.command("watch everything").json["text"]
    assert not app.model.requests


def test_the_started_target_carries_the_placeholder_for_whoever_keeps_it(app, slack):
    from bot.slack.drafts import DraftRequest

    started = []
    target = ReplyTo("thread", "T1", "C1", "ULEAD", message_ts="1.2", thread_ts="1.2")
    request = DraftRequest("T1", "C1", "UAGENT", "reaction", BAD_DRAFT)
    presenter = presenter_for(target, app.services.clients.default)
    app.services.reviews.run(request, presenter, on_started=started.append)
    [placeholder] = slack.calls_to("chat.postMessage")
    [kept] = started
    [update] = slack.calls_to("chat.update")
    assert kept.placeholder_ts and kept.placeholder_ts == update.args["ts"]
    assert kept.thread_ts == placeholder.args["thread_ts"] == "1.2"
