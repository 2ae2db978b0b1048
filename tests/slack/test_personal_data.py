"""/tone-check my-data and forget-me: an agent sees, and can erase, what is kept about them."""

from __future__ import annotations

import json

BAD_DRAFT = "As I already explained, the refund for order #48213 takes 5 days."
GOOD_DRAFT = "Thank you for waiting! The refund for order #48213 was sent today."


def review(app, slack, draft: str, user: str) -> int:
    """Ask for a review by command; return the review id from its feedback buttons."""
    trigger = f"review-{user}-{len(slack.calls)}"
    app.command(draft, user=user, trigger=trigger)
    answer = slack.wait_for_response(trigger)[-1].args
    buttons = next(b for b in answer["blocks"] if b["type"] == "actions")
    assert app.services.storage.recorder.flush(5)  # the review's row follows the review
    return int(buttons["elements"][0]["value"])


def click(app, action_id: str, user: str, name: str) -> None:
    app.interaction({
        "type": "block_actions", "trigger_id": f"t-{name}", "team": {"id": "T1"},
        "user": {"id": user, "team_id": "T1"}, "channel": {"id": "C1"},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": app.slack.response_url(name),
        "actions": [{"action_id": action_id, "block_id": "forget_me", "value": "forget",
                     "type": "button"}],
    })


def vote(app, review_id: int, user: str, helpful: bool) -> None:
    app.services.storage.reviews.record_feedback(review_id, user, helpful=helpful)


def test_my_data_shows_reviews_with_verdicts_and_guidelines_and_votes(app, slack):
    mine = review(app, slack, BAD_DRAFT, "UANNA")
    review(app, slack, GOOD_DRAFT, "UANNA")
    theirs = review(app, slack, BAD_DRAFT, "UBOB")
    vote(app, mine, "UANNA", helpful=True)
    vote(app, theirs, "UBOB", helpful=False)

    answer = app.answer("my-data", user="UANNA")
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert answer["response_type"] == "ephemeral"
    assert "Reviews (2)" in text and "Votes (1)" in text
    # The digest's counts of her drafts and votes, by day (both reviews made today).
    assert "Weekly digest counts, by UTC day (1)" in text
    assert "2 drafts checked · 1 finding · 1 vote cast" in text
    assert f"needs_work · dont-argue · #{mine}" in text and " ok · no findings" in text
    assert f"review #{mine} · helpful" in text
    assert f"#{theirs}" not in text  # Bob's review is not Anna's data
    assert "already explained" not in text  # and no draft text was ever kept


def test_forget_me_asks_first_then_erases_only_the_callers_rows(app, slack):
    anna = review(app, slack, BAD_DRAFT, "UANNA")
    bob = review(app, slack, BAD_DRAFT, "UBOB")
    vote(app, anna, "UANNA", helpful=True)
    vote(app, bob, "UANNA", helpful=True)  # Anna's vote on Bob's review: hers
    vote(app, bob, "UBOB", helpful=False)
    app.answer("watch", channel="CDRAFTS", user="UANNA")
    storage = app.services.storage

    ask = app.answer("forget-me", user="UANNA")
    assert "1 review" in ask["text"] and "2 votes" in ask["text"]
    buttons = next(b for b in ask["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in buttons["elements"]] == [
        "forget_me_confirm", "forget_me_cancel"]
    assert len(storage.personal_data.collect("T1", "UANNA").reviews) == 1  # nothing yet

    click(app, "forget_me_confirm", "UANNA", "confirm")
    [done] = slack.wait_for_response("confirm")
    assert done.args["replace_original"] is True and "deleted 1 review" in done.args["text"]

    anna_left = storage.personal_data.collect("T1", "UANNA")
    assert (anna_left.reviews, anna_left.votes, anna_left.settings_changes) == ([], [], [])
    bob_left = storage.personal_data.collect("T1", "UBOB")
    assert [r.id for r in bob_left.reviews] == [bob]
    assert [(v.review_id, v.helpful) for v in bob_left.votes] == [(bob, False)]
    [change] = storage.settings_log.changes("T1", "CDRAFTS")
    assert (change.user_id, change.action) == (None, "watch")
    help_text = app.answer("help", channel="CDRAFTS")["text"]
    assert "someone who has since been forgotten started watching" in help_text


def test_cancel_deletes_nothing(app, slack):
    review(app, slack, BAD_DRAFT, "UANNA")
    app.answer("forget-me", user="UANNA")
    click(app, "forget_me_cancel", "UANNA", "cancel")
    [answer] = slack.wait_for_response("cancel")
    assert "Nothing was deleted" in answer.args["text"]
    assert len(app.services.storage.personal_data.collect("T1", "UANNA").reviews) == 1


def test_someone_with_no_data_is_told_so(app):
    assert "keeps nothing about you" in app.answer("forget-me", user="UNEW")["text"]


def test_a_long_history_fits_slacks_block_limits():
    from datetime import UTC, datetime

    from bot.slack.listeners.personal import my_data_message
    from bot.storage import PersonalData, StoredReview, StoredVote

    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    reviews = [StoredReview(n, "needs_work", ["dont-argue", "empathy", "ownership"], "llm",
                            "reaction", at, "C0123456789") for n in range(2000)]
    votes = [StoredVote(n, n % 2 == 0, at) for n in range(600)]
    message = my_data_message(PersonalData(reviews, votes, []), retention_days=90)
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Reviews (2000)" in text and "Votes (600)" in text and "Settings changes (0)" in text
    # Newest first; what does not fit is counted, not dropped silently.
    assert "ownership · #0\\n" in text and "#1999" not in text and "older ones" in text
