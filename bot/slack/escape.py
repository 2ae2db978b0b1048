"""Make text written by people (or a model) safe to show in Slack mrkdwn, and cut it safely.

Order matters: :func:`escape` first, then :func:`split_mrkdwn` or :func:`truncate_mrkdwn`.
Escaping makes text longer (``<`` becomes ``&lt;``), so a piece cut to size before escaping
no longer fits after; and a cut must never land inside ``&amp;``, a ``<link|label>``, a
mention or a code fence, or Slack shows broken markup.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable

# Fullwidth '@' keeps "@channel" readable but Slack does not treat it as a broadcast.
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_FULLWIDTH_AT = "\uff20"

# Direction overrides, embeddings, isolates and marks can make text read differently from
# what it says (U+202E turns "txt.exe" into "exe.txt"); zero-width characters hide inside
# words and links. None of them belongs in a review.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u00ad\u180e\u200b\u200c\u2060-\u2064\ufeff"
_INVISIBLE = re.compile(f"[{_BIDI}{_ZERO_WIDTH}]")
# A zero-width joiner is kept only where it glues an emoji sequence together (👩‍💻).
_LONE_JOINER = re.compile(r"(?<![\u2600-\u27bf\ufe0f\U0001f000-\U0001faff])\u200d"
                          r"|\u200d(?![\u2600-\u27bf\U0001f000-\U0001faff])")

# Spans a cut must not fall inside: entities, <links|and> <@mentions>, code fences, bare URLs.
_PROTECTED = re.compile(r"&[#a-zA-Z0-9]+;|<[^<>\n]{1,1000}>|```.*?```|https?://\S+", re.DOTALL)
_ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
_FENCE = "```"


def clean(text: str) -> str:
    """``text`` without bidirectional controls and zero-width characters."""
    return _LONE_JOINER.sub("", _INVISIBLE.sub("", text))


def escape(text: str) -> str:
    """Clean ``text``, escape ``&``, ``<`` and ``>`` (so ``<!channel>``, ``<@U1>`` and links
    stay inert) and defuse plain ``@channel`` / ``@here`` / ``@everyone``."""
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(_FULLWIDTH_AT, text)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """Cut plain (unescaped) ``text`` to at most ``limit`` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - len(marker)].rstrip() + marker


def truncate_mrkdwn(text: str, limit: int, marker: str = "…") -> str:
    """Cut escaped mrkdwn to at most ``limit`` characters at a safe place, marking the cut."""
    if len(text) <= limit:
        return text
    head = split_mrkdwn(text, limit - len(marker) - len(_FENCE))[0]
    if head.count(_FENCE) % 2:
        head += _FENCE
    return head.rstrip() + marker


def split_mrkdwn(text: str, size: int) -> list[str]:
    """Split escaped mrkdwn into pieces of at most ``size`` characters.

    Cuts fall at a line end where possible, else at a space, and never inside an entity, a
    link, a mention, a URL or a code fence; a fence too long for one piece is closed at the
    end of the piece and opened again at the start of the next. Only the whitespace at a cut
    is dropped.
    """
    pieces: list[str] = []
    while len(text) > size:
        cut, reopen = _cut(text, size)
        piece = text[:cut].rstrip()
        if reopen:
            piece += _FENCE
        pieces.append(piece)
        text = (_FENCE if reopen else "") + text[cut:].lstrip()
    return [*pieces, text] if text.strip() else pieces


def _cut(text: str, size: int) -> tuple[int, bool]:
    """Where to cut ``text`` (at most ``size`` characters), and whether a fence is open."""
    protected = _Spans(_PROTECTED.finditer(text))
    found = _best_cut(text, size, size // 3, protected.outside)
    if found:
        return found, False
    # A protected span fills the piece. A fence is split inside and reopened; anything else
    # (a URL thousands of characters long) is cut where it must be.
    fence = protected.covering(size)
    if fence and text.startswith(_FENCE, fence[0]):
        entities = _Spans(_ENTITY.finditer(text, fence[0], fence[1]))
        found = _best_cut(text, size - len(_FENCE), fence[0] + len(_FENCE), entities.outside)
        if found:
            return found, True
    return size, False


def _best_cut(text: str, limit: int, low: int, allowed: Callable[[int], bool]) -> int | None:
    """The last allowed position in (low, limit]: at a line end, else a space, else anywhere."""
    for separator in ("\n", " "):
        position = text.rfind(separator, 0, limit + 1)
        while position > low:
            if allowed(position):
                return position
            position = text.rfind(separator, 0, position)
    return next((p for p in range(limit, low, -1) if allowed(p)), None)


class _Spans:
    """Non-overlapping spans in order, for asking "is this position inside one?" quickly."""

    def __init__(self, matches: Iterable[re.Match[str]]) -> None:
        self.spans = [m.span() for m in matches]
        self.starts = [start for start, _ in self.spans]

    def covering(self, position: int) -> tuple[int, int] | None:
        index = bisect.bisect_left(self.starts, position) - 1
        if index >= 0 and self.spans[index][1] > position:
            return self.spans[index]
        return None

    def outside(self, position: int) -> bool:
        return self.covering(position) is None
