"""Make text written by people safe to show in Slack mrkdwn."""

from __future__ import annotations

import re

# A word joiner after '@' keeps "@channel" readable but stops Slack from notifying anyone.
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` (so ``<!channel>``, ``<@U1>`` and links stay inert)
    and defuse plain ``@channel`` / ``@here`` / ``@everyone``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060", text)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - len(marker)].rstrip() + marker


def chunks(text: str, size: int) -> list[str]:
    """Split ``text`` into pieces of at most ``size`` characters, at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut <= size // 2:
            cut = text.rfind(" ", 0, size)
        if cut <= size // 2:
            cut = size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces
