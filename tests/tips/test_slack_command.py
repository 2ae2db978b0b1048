"""End to end: /tone-check tips through the real app over HTTP, then the tip it schedules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.slack.tip_delivery import deliver_due_tips
from tests.tips.tips_helpers import TEAM


def test_subscribing_in_russian_through_slack_then_getting_a_russian_tip(app, slack):
    answer = app.answer("tips 09:30 Europe/Tallinn mon-fri ru", channel="C42")
    assert "Done" in answer["text"] and "Russian" in answer["text"]
    sub = app.services.storage.tips.subscription(TEAM, "C42")
    assert (sub.time, sub.timezone, sub.language) == ("09:30", "Europe/Tallinn", "ru")

    status = app.answer("tips", channel="C42")["text"]
    assert "Next tip:" in status and "Europe/Tallinn" in status

    monday = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Tallinn"))
    [result] = deliver_due_tips(app.services, monday, app.services.clients.for_team)
    assert result.status == "posted"
    [post] = slack.calls_to("chat.postMessage")
    assert post.args["channel"] == "C42" and "Совет дня" in post.args["text"]


def test_bad_tips_input_through_slack_gets_a_helpful_answer(app):
    text = app.answer("tips 25:00 Mars/Olympus")["text"]
    assert "`25:00` isn't a time of day" in text
    assert "/tone-check tips 09:30 Europe/Tallinn mon-fri en" in text
    assert app.services.storage.tips.subscriptions() == []


def test_tips_off_through_slack(app):
    app.answer("tips 09:30 Europe/Tallinn")
    assert "off" in app.answer("tips off")["text"]
    assert app.services.storage.tips.subscriptions() == []
