"""A tip ready to show: its texts and labels in the channel's language, and as terminal text.

The Block Kit rendering lives with the Slack layer (``bot.slack.tip_blocks``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import MessagesError, message
from bot.tips.catalog import Tip

# Used when prompts/messages.yaml lacks a label, so a tip never fails to go out over one.
ENGLISH = {
    "tip_heading": "Tip of the day",
    "tip_before": "Before",
    "tip_after": "After",
    "tip_top_finding": "This week's most frequent finding: {title}",
}


@dataclass(frozen=True)
class TipView:
    """Everything a rendering needs, already in the channel's language."""

    heading: str
    guideline: str
    text: str
    before: str
    after: str
    before_label: str
    after_label: str
    finding: str | None


def tip_view(
    tip: Tip, language: str, guideline_title: str, finding_title: str | None = None
) -> TipView:
    """The tip's texts and labels in ``language`` (English where a text is missing)."""
    return TipView(
        heading=label("tip_heading", language),
        guideline=guideline_title,
        text=_localized(tip.text, language),
        before=_localized(tip.before, language),
        after=_localized(tip.after, language),
        before_label=label("tip_before", language),
        after_label=label("tip_after", language),
        finding=label("tip_top_finding", language, title=finding_title) if finding_title else None,
    )


def tip_plain_text(view: TipView) -> str:
    """The tip for a terminal."""
    lines = [f"{view.heading} · {view.guideline}", "", view.text, ""]
    lines += [f"{view.before_label}:", f"  {view.before}"]
    lines += [f"{view.after_label}:", f"  {view.after}"]
    if view.finding:
        lines += ["", view.finding]
    return "\n".join(lines)


def label(key: str, language: str, **values: str) -> str:
    """A label from messages.yaml in ``language``, or the English text kept here."""
    try:
        return message(key, language, **values)
    except (MessagesError, KeyError, IndexError, ValueError):
        return ENGLISH[key].format(**values)


def _localized(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts["en"]
