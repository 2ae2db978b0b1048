"""Review messages stay inside Slack's limits and speak the draft's language."""

from __future__ import annotations

from bot.coaching.guidelines import load_guidelines
from bot.coaching.review import Finding, Review
from bot.slack.blocks import MAX_BLOCKS, MAX_TEXT, review_message


def texts(block: dict) -> list[str]:
    found = []
    if "text" in block and isinstance(block["text"], dict):
        found.append(block["text"]["text"])
    for element in block.get("elements", []):
        if isinstance(element, dict) and "text" in element:
            text = element["text"]
            found.append(text["text"] if isinstance(text, dict) else text)
    return found


def titles(language: str) -> dict[str, str]:
    return {g.id: g.localized_title(language) for g in load_guidelines().guidelines}


def test_a_huge_review_fits_slacks_limits():
    long_quote = "As I already explained " * 300
    review = Review(
        verdict="needs_work", language="en",
        findings=[Finding(guideline="dont-argue", quote=long_quote, explanation="x " * 2000)] * 40,
        rewrite="Thank you. " * 1100,  # about 12,000 characters
        engine="offline",
    )
    message = review_message(review, titles("en"), review_id=7)
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert len(message["text"]) <= 4000
    for block in message["blocks"]:
        for text in texts(block):
            assert len(text) <= MAX_TEXT
    pieces = [t.strip("`") for b in message["blocks"] for t in texts(b) if t.startswith("```")]
    assert len(pieces) > 1
    assert " ".join(pieces).split() == review.rewrite.split()  # split over blocks, none lost


def test_labels_follow_the_drafts_language():
    review = Review(verdict="needs_work", language="ru", rewrite="Спасибо!", engine="offline",
                    findings=[Finding(guideline="dont-argue", quote="Как я уже писал",
                                      explanation="Звучит как спор.")])
    message = review_message(review, titles("ru"), review_id=None)
    shown = " ".join(t for b in message["blocks"] for t in texts(b))
    assert load_guidelines()["dont-argue"].title["ru"] in shown
    assert "Suggested rewrite" not in shown


def test_the_notification_text_never_contains_the_draft():
    review = Review(verdict="needs_work", language="en", rewrite="secret order 123",
                    engine="offline",
                    findings=[Finding(guideline="dont-argue", quote="secret",
                                      explanation="x")])
    assert "secret" not in review_message(review, titles("en"), 1)["text"]


def test_a_draft_small_edits_cannot_rescue_shows_the_guidelines_example():
    example = load_guidelines()["stay-calm"].examples[0].good
    review = Review(verdict="needs_work", language="en", rewrite="Wow. Sure.", engine="offline",
                    note="Small edits can't fix the tone.", example=example,
                    findings=[Finding(guideline="stay-calm", quote="Wow.", explanation="x")])
    shown = " ".join(t for b in review_message(review, titles("en"), 1)["blocks"] for t in texts(b))
    assert "Example to follow" in shown and "Small edits" in shown
    assert example.split(",")[0] in shown
