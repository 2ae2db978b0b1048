"""What reaches Slack: long rewrites continue in the same place, invisible characters never do."""

from __future__ import annotations

import json

LONG_DRAFT = "As I already explained, " + "I'm sorry & we'll fix it <today>. " * 300
HIDDEN = "As I already explained, the re\u202efund for order #48213 ta\u200bkes 5 days."


def shown_rewrite(calls) -> str:
    import html

    pieces = [b["text"]["text"] for c in calls for b in c.args["blocks"]
              if b.get("type") == "section" and b["text"]["text"].startswith("```")]
    return html.unescape(" ".join(p[3:-3] for p in pieces))


def test_a_long_private_review_continues_in_a_second_ephemeral_message(app, slack):
    app.command(LONG_DRAFT)
    first, second = slack.wait_for("response_url", count=2)
    assert first.args["replace_original"] is True
    assert second.args["replace_original"] is False
    assert second.args["response_type"] == "ephemeral"
    assert "continues in the next message" in json.dumps(first.args["blocks"])
    expected = LONG_DRAFT.replace("As I already explained", "Thanks for asking again")
    assert shown_rewrite([first, second]).split() == expected.split()
    assert not slack.refused


def test_a_long_review_in_a_thread_continues_in_the_same_thread(app, slack):
    ts = slack.add_message("C1", LONG_DRAFT)
    app.event({"type": "reaction_added", "user": "ULEAD", "reaction": "mag",
               "item": {"type": "message", "channel": "C1", "ts": ts}, "event_ts": "1.1"})
    placeholder, continuation = slack.wait_for("chat.postMessage", count=2)
    [update] = slack.wait_for("chat.update")
    assert continuation.args["thread_ts"] == placeholder.args["thread_ts"] == ts
    expected = LONG_DRAFT.replace("As I already explained", "Thanks for asking again")
    assert shown_rewrite([update, continuation]).split() == expected.split()
    assert not slack.refused


def test_direction_overrides_and_zero_width_characters_reach_neither_the_model_nor_slack(
        app, slack, model):
    app.command(HIDDEN)
    [review] = slack.wait_for("response_url")
    posted = json.dumps(review.args, ensure_ascii=False)
    sent = json.dumps(model.requests[0].json, ensure_ascii=False)
    for char in ("\u202e", "\u200b"):
        assert char not in posted
        assert char not in sent
    assert "refund" in posted and "takes 5 days" in posted  # the words themselves survive
