"""A draft to review, lifted out of whichever Slack payload brought it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from bot.slack.escape import clean

EntryPoint = Literal["command", "reaction", "watch", "shortcut"]

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\^[^|>]*)?(?:\|([^>]+))?>")


@dataclass(frozen=True)
class DraftRequest:
    """Who asked for a review, where, and of what; the one thing the core is handed."""

    team_id: str
    channel_id: str
    user_id: str
    entry_point: EntryPoint
    draft: str
    context: str | None = None


def plain_text(slack_text: str | None) -> str:
    """Slack's message markup turned back into the text the agent typed.

    Links keep their address (``label (url)``) because a rewrite must keep every link.
    Direction overrides and zero-width characters are dropped, so no quote carries them.
    """
    text = slack_text or ""
    text = _LINK.sub(lambda m: _label_and_url(m.group(2), m.group(1)), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return clean(html.unescape(text))


def _label_and_url(label: str | None, url: str) -> str:
    url = url.removeprefix("mailto:")
    return url if not label or label == url else f"{label} ({url})"
