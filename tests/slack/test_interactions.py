"""The message shortcut, the feedback buttons and App Home."""

from __future__ import annotations

import json
import time

from tests.fakes.http import Response

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."


def test_the_shortcut_reviews_a_message_only_for_the_caller(app, slack):
    app.interaction({
        "type": "message_action", "callback_id": "check_tone", "trigger_id": "t-short",
        "team": {"id": "T1"}, "user": {"id": "ULEAD"}, "channel": {"id": "C1"},
        "message": {"type": "message", "user": "UAGENT", "text": BAD_DRAFT, "ts": "1.5"},
        "response_url": slack.response_url("shortcut"),
    })
    answers = slack.wait_for("response_url", count=2)
    assert all(a.args["response_type"] == "ephemeral" for a in answers)
    assert "As I already explained" in json.dumps(answers[-1].args["blocks"])
    assert not slack.calls_to("chat.postMessage")


def click(app, review_id: int, action_id: str, user: str = "UAGENT"):
    return app.interaction({
        "type": "block_actions", "trigger_id": f"t-{action_id}-{user}", "team": {"id": "T1"},
        "user": {"id": user}, "channel": {"id": "C1"},
        "response_url": app.slack.response_url("vote"),
        "actions": [{"action_id": action_id, "block_id": "review_feedback",
                     "value": str(review_id), "type": "button"}],
    })


def test_feedback_votes_are_stored_and_can_change(app, slack):
    app.command(BAD_DRAFT)
    [review] = slack.wait_for("response_url")
    buttons = next(b for b in review.args["blocks"] if b["type"] == "actions")
    review_id = int(buttons["elements"][0]["value"])
    assert click(app, review_id, "feedback_not_helpful").status == 200
    slack.wait_for("response_url", count=2)
    assert click(app, review_id, "feedback_helpful").status == 200
    slack.wait_for("response_url", count=3)
    rates = app.services.storage.reviews.helpful_rate_by_engine("T1")
    assert rates["llm"] == (1.0, 1)


def test_a_vote_that_comes_before_its_reviews_row_is_still_counted(app, slack):
    """Rows are written behind the review; here the writer would wait 30 s for more rows,
    so the vote itself must bring the row in."""
    app.services.storage.recorder.gather_s = 30.0
    app.command(BAD_DRAFT)
    [review] = slack.wait_for("response_url")
    buttons = next(b for b in review.args["blocks"] if b["type"] == "actions")
    assert app.services.storage.recorder.pending() == 1
    assert click(app, int(buttons["elements"][0]["value"]), "feedback_helpful").status == 200
    slack.wait_for("response_url", count=2)
    assert app.services.storage.reviews.helpful_rate_by_engine("T1")["llm"] == (1.0, 1)


def test_app_home_shows_guidelines_and_the_users_recent_checks(app, slack):
    app.command(BAD_DRAFT, user="UANNA")
    slack.wait_for("response_url")
    app.event({"type": "app_home_opened", "user": "UANNA", "tab": "home"})
    [publish] = slack.wait_for("views.publish")
    view = json.loads(publish.args["view"]) if isinstance(publish.args["view"], str) \
        else publish.args["view"]
    text = json.dumps(view, ensure_ascii=False)
    assert publish.args["user_id"] == "UANNA"
    assert "/tone-check" in text
    assert "needs work" in text
    for guideline in app.services.coach.guidelines.guidelines:
        assert json.dumps(guideline.title["en"], ensure_ascii=False)[1:-1] in text


def published_text(slack) -> str:
    [publish] = slack.wait_for("views.publish")
    view = publish.args["view"]
    return json.dumps(json.loads(view) if isinstance(view, str) else view, ensure_ascii=False)


def test_app_home_warns_admins_of_a_retiring_model_and_no_one_else(app, slack):
    from datetime import date

    from bot.coaching.lifecycle import ModelStatus

    app.services.coach.model_status = ModelStatus(
        "gpt-4o-mini", "retiring", date(2027, 1, 14), "gpt-6-luna")
    slack.users["UADMIN"] = {"is_admin": True}
    app.event({"type": "app_home_opened", "user": "UAGENT", "tab": "home"})
    assert "2027-01-14" not in published_text(slack)
    slack.calls.clear()
    app.event({"type": "app_home_opened", "user": "UADMIN", "tab": "home"})
    text = published_text(slack)
    assert "For workspace admins" in text and "2027-01-14" in text and "gpt-6-luna" in text


def test_opening_app_home_is_acknowledged_before_the_view_is_published(app, slack):
    # Listeners run in the request's own thread, so anything slow must be handed over:
    # here Slack takes 1.5 s to answer views.publish, and the ack must not wait for it.
    slack.fault("views.publish", Response(200, {"ok": True}, delay=1.5))
    reply = app.event({"type": "app_home_opened", "user": "UANNA", "tab": "home"})
    acked_at = time.monotonic()
    assert reply.status == 200
    [publish] = slack.wait_for("views.publish")
    assert acked_at < publish.at + 1.5


def test_a_vote_is_acknowledged_before_its_thanks_are_posted(app, slack):
    app.command(BAD_DRAFT)
    [review] = slack.wait_for("response_url")
    buttons = next(b for b in review.args["blocks"] if b["type"] == "actions")
    slack.fault("response_url", Response(200, "ok", delay=1.5))
    reply = click(app, int(buttons["elements"][0]["value"]), "feedback_helpful")
    acked_at = time.monotonic()
    assert reply.status == 200
    thanks = slack.wait_for("response_url", count=2)[1]
    assert acked_at < thanks.at + 1.5
