"""Escaping before splitting, safe cut points, and invisible characters kept out."""

from __future__ import annotations

import html
import re

import pytest

from bot.slack.escape import clean, escape, split_mrkdwn, truncate_mrkdwn

ANGRY = ("if a < b && c > d then <ok> & fine. " * 200)[:3900]
ENTITY_OR_LINK = re.compile(r"&[#a-z0-9]+;|<[^<>]*>")


def test_a_long_text_full_of_markup_characters_is_split_after_escaping_and_keeps_every_word():
    pieces = split_mrkdwn(escape(ANGRY), 2994)
    assert len(pieces) == 3  # about 6,500 characters once escaped
    assert all(len(piece) <= 2994 for piece in pieces)
    assert html.unescape(" ".join(pieces)).split() == ANGRY.split()


def test_no_cut_lands_inside_an_entity_a_link_a_mention_or_a_url():
    text = " ".join(["&amp;&lt;&gt;", "<https://example.com/a|a link>", "<@U123456>",
                     "https://example.com/" + "x" * 40, "word"] * 150)
    for size in (101, 257, 1000, 2994):
        pieces = split_mrkdwn(text, size)
        for piece in pieces:
            assert len(piece) <= size
            # Every '&' starts a whole entity and every '<' closes within the piece.
            assert all(m.group(0).endswith((";", ">")) for m in ENTITY_OR_LINK.finditer(piece))
            assert piece.count("&") == len(re.findall(r"&[#a-z0-9]+;", piece))
            assert piece.count("<") == piece.count(">")
            assert not re.search(r"https://example\.com/x*$", piece) or piece.endswith("x" * 40)
        assert " ".join(pieces).split() == text.split()


def test_a_code_fence_is_never_left_open_and_is_reopened_in_the_next_piece():
    text = "Before the code.\n```\n" + "line &lt;of&gt; code\n" * 400 + "```\nAfter."
    pieces = split_mrkdwn(text, 3000)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= 3000
        assert piece.count("```") % 2 == 0
    inner = [p for p in pieces if "line" in p]
    assert all(p.rstrip().endswith("```") for p in inner[:-1])
    assert all(p.startswith("```") for p in inner[1:])


def test_truncating_marks_the_cut_and_breaks_no_entity():
    cut = truncate_mrkdwn(escape("a & b " * 1000), 50)
    assert len(cut) <= 50 and cut.endswith("…")
    assert cut.count("&") == cut.count("&amp;")


@pytest.mark.parametrize("char", [
    "\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad", "\u180e",
])
def test_direction_overrides_and_zero_width_characters_are_stripped(char):
    assert clean(f"pay{char}ment txt.exe") == "payment txt.exe"
    assert char not in escape(f"refund{char} @channel")


def test_a_joiner_inside_an_emoji_sequence_is_kept_and_a_lone_one_is_dropped():
    assert clean("👩\u200d💻 at work") == "👩\u200d💻 at work"
    assert clean("in\u200dvisible") == "invisible"


def test_broadcasts_are_defused_without_invisible_characters():
    text = escape("Hi @channel, @here and @everyone <!channel>")
    assert "@channel" not in text and "@here" not in text and "@everyone" not in text
    assert "<!channel>" not in text
    assert clean(text) == text
