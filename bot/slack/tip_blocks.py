"""A daily tip as a Block Kit message."""

from __future__ import annotations

from bot.slack.blocks import context_block, section
from bot.slack.escape import escape
from bot.tips.view import TipView


def tip_message(view: TipView) -> dict:
    """``text`` and ``blocks`` for chat.postMessage."""
    blocks = [
        section(f":bulb: *{escape(view.heading)}* · {escape(view.guideline)}"),
        section(escape(view.text)),
        section(f"*{escape(view.before_label)}*\n>{escape(view.before)}"),
        section(f"*{escape(view.after_label)}*\n>{escape(view.after)}"),
    ]
    if view.finding:
        blocks.append(context_block(f":bar_chart: {escape(view.finding)}"))
    # The fallback shows in notifications, where mrkdwn is not rendered.
    return {"text": f"{view.heading} · {view.guideline}: {view.text}", "blocks": blocks}
