"""Block Kit messages built from a :class:`~bot.coaching.review.Review`.

Slack refuses messages over its limits (50 blocks, 3000 characters per text object, and about
13,000 characters of blocks in one message), so every piece taken from the draft or the
rewrite is escaped first and then cut or split at a safe place. A rewrite too long for one
message continues in the next; if even that is not enough, the last message says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.coaching.review import Review
from bot.messages import message
from bot.slack.escape import clean, escape, split_mrkdwn, truncate, truncate_mrkdwn

MAX_BLOCKS = 50
MAX_TEXT = 3000
#: Block text per message. Slack's ``msg_blocks_too_long`` starts around 13,200 characters.
MESSAGE_TEXT_BUDGET = 11_000
#: A response_url takes five posts; the command's review may use all of them.
MAX_MESSAGES = 5
MAX_FINDINGS = 10
QUOTE_LIMIT = 300
EXPLANATION_LIMIT = 600
FINDINGS_BUDGET = 6_000
FENCE = "```"
REWRITE_PIECE = MAX_TEXT - 2 * len(FENCE)

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"


def section(text: str) -> dict:
    """A mrkdwn section; ``text`` is already escaped where it holds anything users wrote."""
    return {"type": "section",
            "text": {"type": "mrkdwn", "text": truncate_mrkdwn(clean(text), MAX_TEXT)}}


def context_block(text: str) -> dict:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate_mrkdwn(clean(text), MAX_TEXT)}]}


def review_message(review: Review, titles: Mapping[str, str], review_id: int | None) -> dict:
    """The first (usually the only) message of :func:`review_messages`."""
    return review_messages(review, titles, review_id)[0]


def review_messages(review: Review, titles: Mapping[str, str], review_id: int | None,
                    max_messages: int = MAX_MESSAGES) -> list[dict]:
    """``text`` and ``blocks`` for a review, as one message or, for a long rewrite, several.

    The first message has the verdict, the findings, the start of the rewrite and the
    feedback buttons; the rest continue the rewrite. No ``text`` names any part of the draft.
    """
    lang = review.language
    ok = review.verdict == "ok"
    verdict = message("verdict_ok" if ok else "verdict_needs_work", lang)
    head = [section(f"{':white_check_mark:' if ok else ':mag:'} *{verdict}*")]
    if review.note:
        head.append(context_block(f":information_source: {escape(review.note)}"))
    head += _findings(review, titles)
    tail = [] if review_id is None else [feedback_buttons(review_id, lang)]
    engine = review.model if review.engine == "llm" and review.model else review.engine
    tail.append(context_block(f"Tone Coach · {escape(engine)}"))
    if ok:
        return [{"text": f"Tone Coach: {verdict}", "blocks": (head + tail)[:MAX_BLOCKS]}]
    head += [{"type": "divider"}, section(f"*{message('suggested_rewrite', lang)}*")]
    return _with_rewrite(review, head, tail, verdict, max_messages)


def _findings(review: Review, titles: Mapping[str, str]) -> list[dict]:
    """Up to :data:`MAX_FINDINGS` findings in :data:`FINDINGS_BUDGET` characters; "+N" for
    the ones left out."""
    if not review.findings:
        return []
    blocks = [section(f"*{message('findings_heading', review.language)}*")]
    shown = 0
    for finding in review.findings[:MAX_FINDINGS]:
        title = escape(titles.get(finding.guideline, finding.guideline))
        quote = escape(truncate(" ".join(finding.quote.split()), QUOTE_LIMIT))
        explanation = escape(truncate(finding.explanation, EXPLANATION_LIMIT))
        block = section(f"*{title}*\n> {quote}\n{explanation}")
        if _text_length(blocks + [block]) > FINDINGS_BUDGET:
            break
        blocks.append(block)
        shown += 1
    if len(review.findings) > shown:
        blocks.append(context_block(f"+{len(review.findings) - shown}"))
    return blocks


def _with_rewrite(review: Review, head: list[dict], tail: list[dict], verdict: str,
                  max_messages: int) -> list[dict]:
    """Lay the rewrite's pieces over as many messages as they need, up to ``max_messages``."""
    lang = review.language
    escaped = escape(review.rewrite).replace(FENCE, "ʼʼʼ")  # a fence inside would end ours
    pieces = [section(f"{FENCE}{piece}{FENCE}") for piece in split_mrkdwn(escaped, REWRITE_PIECE)]
    pages: list[list[dict]] = [list(head)]
    room = MESSAGE_TEXT_BUDGET - _text_length(head + tail)
    for index, piece in enumerate(pieces):
        length = _text_length([piece])
        has_rewrite = len(pages[-1]) > (len(head) if len(pages) == 1 else 0)
        fits = length <= room and len(pages[-1]) + len(tail) + 2 < MAX_BLOCKS
        if has_rewrite and not fits:
            if len(pages) == max_messages:
                hidden = sum(len(_shown(p)) for p in pieces[index:])
                pages[-1].append(context_block(
                    f":scissors: {message('rewrite_cut', lang, count=f'{hidden:,}')}"))
                break
            pages[-1].append(context_block(f":arrow_down: {message('rewrite_continues', lang)}"))
            pages.append([])
            room = MESSAGE_TEXT_BUDGET
        pages[-1].append(piece)
        room -= length
    pages[0] += tail
    parts = len(pages)
    messages = [{"text": f"Tone Coach: {verdict}", "blocks": pages[0]}]
    for part, blocks in enumerate(pages[1:], start=2):
        label = message("rewrite_continued", lang, part=str(part), parts=str(parts))
        messages.append({"text": f"Tone Coach: {label}",
                         "blocks": [context_block(f"*{label}*"), *blocks]})
    return messages


def _text_length(blocks: list[dict]) -> int:
    total = 0
    for block in blocks:
        total += len(block.get("text", {}).get("text", ""))
        total += sum(len(e.get("text", "")) for e in block.get("elements", [])
                     if isinstance(e.get("text"), str))
    return total


def _shown(block: dict) -> str:
    """The rewrite text a rewrite section shows, unescaped, for counting what was not shown."""
    import html

    return html.unescape(block["text"]["text"].removeprefix(FENCE).removesuffix(FENCE))


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
    return {"text": truncate(clean(text), 3900), "blocks": [section(text)]}
