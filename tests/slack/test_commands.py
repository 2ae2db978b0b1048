"""/tone-check: private reviews, help, watch, and bad input handled kindly."""

from __future__ import annotations

from tests.fakes.http import Response

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."


def all_text(call) -> str:
    """Everything a person could read in a recorded message."""
    import json

    return json.dumps(call.args, ensure_ascii=False)


def test_a_draft_is_acked_at_once_and_reviewed_privately(app, slack):
    reply = app.command(BAD_DRAFT)
    assert reply.status == 200
    assert "Reviewing" in reply.body  # the placeholder the caller sees at once
    [review] = slack.wait_for("response_url")
    args = review.args
    assert args["response_type"] == "ephemeral"
    assert args["replace_original"] is True
    text = all_text(review)
    assert "As I already explained" in text  # the quoted finding
    assert "Thanks for asking again" in text  # the suggested rewrite
    assert "#48213" in text
    assert any(b.get("type") == "actions" for b in args["blocks"])  # feedback buttons
    assert not slack.calls_to("chat.postMessage")  # nothing public


def test_the_review_is_recorded_without_the_draft(app, slack):
    app.command(BAD_DRAFT, user="UANNA")
    slack.wait_for("response_url")
    assert app.services.storage.recorder.flush(5)  # the row follows the posted review
    [stored] = app.services.storage.reviews.recent("T1", "UANNA")
    assert stored.verdict == "needs_work"
    assert stored.guidelines == ["dont-argue"]
    assert stored.entry_point == "command"


def test_help_and_an_empty_command_show_usage(app, slack):
    for text in ("", "help"):
        assert "/tone-check" in app.answer(text)["text"]
    assert not app.model.requests


def test_an_unknown_command_word_is_explained_not_reviewed(app):
    reply = app.command("settings")
    assert "don't know the command" in reply.json["text"]
    assert not app.model.requests


def test_a_40000_character_draft_gets_a_friendly_message(app, slack):
    reply = app.command("word " * 8000)
    assert reply.status == 200
    [answer] = slack.wait_for("response_url")
    assert "40,000" in answer.args["text"] or "limit" in answer.args["text"]
    assert "12,000" in answer.args["text"]
    assert not app.model.requests


def test_nothing_from_the_draft_can_ping_the_channel(app, slack):
    app.command("<!channel> As I already explained, <@U999> read <!here|here>. @everyone")
    [review] = slack.wait_for("response_url")
    text = all_text(review)
    for ping in ("<!channel>", "<!here", "<@U999>", "@channel", "@here", "@everyone"):
        assert ping not in text, ping


def test_a_model_that_times_out_falls_back_to_the_offline_review(app, slack, model):
    model.default = lambda request: Response(200, {}, delay=5)
    app.command(BAD_DRAFT)
    [review] = slack.wait_for("response_url", timeout=15)
    text = all_text(review)
    assert "offline" in text.lower()
    assert review.args["response_type"] == "ephemeral"


def test_watch_and_unwatch_toggle_the_channel(app):
    answer = app.answer("watch", channel="CDRAFTS")
    assert "watching" in answer["text"] and answer["response_type"] == "ephemeral"
    assert app.services.storage.channels.is_watched("T1", "CDRAFTS")
    app.answer("unwatch", channel="CDRAFTS")
    assert not app.services.storage.channels.is_watched("T1", "CDRAFTS")
