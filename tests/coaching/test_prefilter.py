"""The prefilter may only skip patterns that could not have matched."""

from __future__ import annotations

import re

import pytest

from bot.coaching.evaluate import read_corpus
from bot.coaching.guidelines import load_guidelines
from bot.coaching.prefilter import may_match, required_factors, windows
from tests.coaching import CORPUS


@pytest.mark.parametrize(("pattern", "factors"), [
    (r"\bcalm\s+down\b", {"calm"}),
    (r"\b(?:third|fourth)\s+time\b", {"third", "fourth"}),
    (r"(?:as\s+)?I\s+already\s+(?:said|explained)", {"already"}),
    (r"Как я уже (?:говорил|писал)", {"как я уже "}),
    (r"\w+", None),
    (r"(?:a|\w)bc", {"bc"}),
])
def test_required_factors_are_strings_every_match_contains(pattern, factors):
    assert required_factors(pattern) == (None if factors is None else frozenset(factors))


def all_patterns() -> list[str]:
    patterns = []
    for guideline in load_guidelines().guidelines:
        for section in ("patterns", "unless", "context", "required"):
            for lang_patterns in getattr(guideline.offline, section).values():
                patterns += lang_patterns
    return patterns


def all_texts() -> list[str]:
    texts = []
    for item in read_corpus(CORPUS):
        texts += [item.draft, item.context or ""]
    for guideline in load_guidelines().guidelines:
        for example in guideline.examples:
            texts += [example.bad, example.good, example.bad.upper()]
    return texts


def test_no_pattern_that_matches_is_ever_skipped():
    texts = all_texts()
    long_text = " ".join(texts)
    for pattern in all_patterns():
        regex = re.compile(pattern, re.IGNORECASE)
        factors = required_factors(pattern)
        for text in [*texts, long_text]:
            lowered = text.lower()
            if regex.search(text):
                assert may_match(factors, lowered), (pattern, text)
            full = [m.span() for m in regex.finditer(text)]
            windowed = {m.span() for s, e in windows(factors, lowered)
                        for m in regex.finditer(text, s, e)}
            assert set(full) <= windowed, (pattern, text[:80])


def test_the_private_regex_parser_is_not_imported_at_module_level():
    import ast
    from pathlib import Path

    import bot.coaching.prefilter as prefilter

    tree = ast.parse(Path(prefilter.__file__).read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {alias.name for node in top_level for alias in node.names}
    modules = {getattr(node, "module", None) for node in top_level}
    assert not ({"_parser", "_constants", "sre_parse"} & names)
    assert "re._parser" not in names | modules


def test_without_the_private_parser_every_pattern_still_runs(monkeypatch):
    from bot.coaching import prefilter
    from bot.coaching.coach import Coach

    monkeypatch.setattr(prefilter, "stdlib_parser", lambda: None)
    assert prefilter.required_factors(r"as\s+I\s+already") is None
    review = Coach.build(None).review("As I already explained, that's how our billing works.")
    assert "dont-argue" in review.guideline_ids
