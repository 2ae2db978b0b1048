"""Review messages stay inside Slack's limits and speak the draft's language."""

from __future__ import annotations

import html
import re

import pytest

from bot.coaching.guidelines import load_guidelines
from bot.coaching.review import Finding, Review
from bot.slack.blocks import MAX_BLOCKS, MAX_MESSAGES, MAX_TEXT, review_message, review_messages
from tests.fakes.slack_api import blocks_error


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
    messages = review_messages(review, titles("en"), review_id=7)
    for message in messages:
        assert len(message["blocks"]) <= MAX_BLOCKS
        assert len(message["text"]) <= 4000
        for block in message["blocks"]:
            for text in texts(block):
                assert len(text) <= MAX_TEXT
    pieces = [t.strip("`") for m in messages for b in m["blocks"] for t in texts(b)
              if t.startswith("```")]
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


def all_messages_text(messages: list[dict]) -> str:
    return " ".join(t for m in messages for b in m["blocks"] for t in texts(b))


def rewrite_shown(messages: list[dict]) -> str:
    pieces = [t for m in messages for b in m["blocks"] for t in texts(b) if t.startswith("```")]
    return html.unescape(" ".join(p[3:-3] for p in pieces))


@pytest.mark.parametrize("rewrite", [
    ("if a < b && c > d then <ok> & fine. " * 200)[:3900],
    "Thank you. " * 1100,  # about 12,000 characters
    "I'm sorry & we'll fix it <today>. " * 360,  # about 12,000, growing a third when escaped
])
def test_a_long_rewrite_is_shown_in_full_over_as_many_messages_as_it_needs(rewrite):
    review = Review(verdict="needs_work", language="en", rewrite=rewrite, engine="offline",
                    findings=[Finding(guideline="dont-argue", quote="As I already explained",
                                      explanation="It sounds like an argument.")])
    messages = review_messages(review, titles("en"), review_id=7)
    assert rewrite_shown(messages).split() == rewrite.split()  # every word, nothing cut
    for message in messages:
        assert blocks_error(message["blocks"]) is None  # within all of Slack's limits
        assert len(message["blocks"]) <= MAX_BLOCKS
        shown = "".join(t for b in message["blocks"] for t in texts(b))
        assert shown.count("```") % 2 == 0  # no fence left open
    if len(messages) > 1:
        first = all_messages_text(messages[:1])
        assert "continues in the next message" in first
        assert "continued (2 of" in all_messages_text(messages[1:2])
    assert "secret" not in " ".join(m["text"] for m in messages)


def test_a_rewrite_too_long_even_for_five_messages_says_how_much_is_not_shown():
    rewrite = "<&> " * 12000
    review = Review(verdict="needs_work", language="en", rewrite=rewrite, engine="offline")
    messages = review_messages(review, titles("en"), review_id=7)
    assert len(messages) == MAX_MESSAGES
    assert all(blocks_error(m["blocks"]) is None for m in messages)
    last = all_messages_text(messages[-1:])
    [count] = re.findall(r"the last ([\d,]+) characters are not shown", last)
    shown = rewrite_shown(messages)
    assert len(shown.replace(" ", "")) + int(count.replace(",", "")) >= len(
        rewrite.replace(" ", ""))


def test_many_long_findings_stay_within_one_messages_budget():
    finding = Finding(guideline="dont-argue", quote="As I already explained " * 300,
                      explanation="<x> " * 2000)
    review = Review(verdict="needs_work", language="en", findings=[finding] * 40,
                    rewrite="Thanks.", engine="offline")
    [message] = review_messages(review, titles("en"), review_id=7)
    assert blocks_error(message["blocks"]) is None
    assert re.search(r"\+\d+", all_messages_text([message]))  # the findings left out, counted
