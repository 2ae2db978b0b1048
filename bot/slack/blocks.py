"""Block Kit messages built from a :class:`~bot.coaching.review.Review`.

Slack refuses messages over its limits (50 blocks, 3000 characters per text object), so every
piece taken from the draft or the rewrite is escaped, truncated or split here.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.coaching.review import Review
from bot.messages import message
from bot.slack.escape import chunks, escape, truncate

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_FINDINGS = 10
QUOTE_LIMIT = 300
REWRITE_CHUNK = MAX_TEXT - 200  # room for the code fence and escaping growth

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}}


def context_block(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_TEXT)}]}


def review_message(review: Review, titles: Mapping[str, str], review_id: int | None) -> dict:
    """``text`` and ``blocks`` for a review; the text names no part of the draft."""
    lang = review.language
    ok = review.verdict == "ok"
    verdict = message("verdict_ok" if ok else "verdict_needs_work", lang)
    blocks: list[dict] = [section(f"{':white_check_mark:' if ok else ':mag:'} *{verdict}*")]
    if review.note:
        blocks.append(context_block(f":information_source: {escape(review.note)}"))
    if review.findings:
        blocks.append(section(f"*{message('findings_heading', lang)}*"))
    for finding in review.findings[:MAX_FINDINGS]:
        title = escape(titles.get(finding.guideline, finding.guideline))
        quote = escape(truncate(" ".join(finding.quote.split()), QUOTE_LIMIT))
        blocks.append(section(f"*{title}*\n> {quote}\n{escape(finding.explanation)}"))
    if len(review.findings) > MAX_FINDINGS:
        blocks.append(context_block(f"+{len(review.findings) - MAX_FINDINGS}"))
    if not ok:
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{message('suggested_rewrite', lang)}*"))
        for piece in chunks(review.rewrite, REWRITE_CHUNK):
            blocks.append(section(f"```{escape(piece).replace('```', 'ʼʼʼ')}```"))
    if review.example:
        blocks.append(section(f"*{message('model_example', lang)}*\n"
                              f"> {escape(truncate(review.example, MAX_TEXT - 200))}"))
    if review_id is not None:
        blocks.append(feedback_buttons(review_id, lang))
    engine = review.model if review.engine == "llm" and review.model else review.engine
    blocks.append(context_block(f"Tone Coach · {escape(engine)}"))
    return {"text": f"Tone Coach: {verdict}", "blocks": blocks[:MAX_BLOCKS]}


def feedback_buttons(review_id: int, lang: str) -> dict:
    return {
        "type": "actions",
        "block_id": "review_feedback",
        "elements": [
            {"type": "button", "action_id": FEEDBACK_HELPFUL, "value": str(review_id),
             "text": {"type": "plain_text", "text": message("helpful", lang), "emoji": True}},
            {"type": "button", "action_id": FEEDBACK_NOT_HELPFUL, "value": str(review_id),
             "text": {"type": "plain_text", "text": message("not_helpful", lang), "emoji": True}},
        ],
    }


def working_message(lang: str = "en") -> dict:
    text = message("working", lang)
    return {"text": text, "blocks": [context_block(f":hourglass_flowing_sand: {text}")]}


def notice(text: str) -> dict:
    """A short message of our own (usage, errors): no user text unescaped."""
    return {"text": truncate(text, 3900), "blocks": [section(text)]}
