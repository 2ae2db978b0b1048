"""A cheap test that lets the offline reviewer skip patterns that cannot match.

For each pattern we work out a set of literal strings one of which every match must contain
(``as i already`` for ``as\\s+I\\s+already``-like patterns). Looking for a few short strings in
the lowercased draft is far cheaper than running a hundred regexes over a long one, and it is
exact: a pattern is skipped only when it could not have matched.
"""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType

Factors = frozenset[str] | None  # None: nothing is known, always run the pattern


@cache
def stdlib_parser() -> tuple[ModuleType, ModuleType] | None:
    """The standard library's own regex parser and its constants, or None.

    They are private (``re._parser``), so they are looked up only when needed and their
    absence in some future Python only turns the prefilter off: every pattern then runs.
    """
    try:
        from re import _constants, _parser
    except ImportError:
        return None
    return _parser, _constants


def required_factors(pattern: str) -> Factors:
    """Strings (lowercase) of which any match of ``pattern`` contains at least one."""
    parser = stdlib_parser()
    if parser is None:
        return None
    sre_parse, _ = parser
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, AttributeError, TypeError):
        return None
    return _sequence(list(parsed))


def _sequence(items: list) -> Factors:
    """The best factor set of a sequence: the one whose shortest string is longest."""
    sre = stdlib_parser()[1]  # type: ignore[index] - only reached when the parser exists
    best: Factors = None
    run = ""

    def consider(candidate: Factors) -> None:
        nonlocal best
        if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg).lower()
            continue
        consider(frozenset([run]) if run else None)
        run = ""
        consider(_element(op, arg))
    consider(frozenset([run]) if run else None)
    return best


def _element(op, arg) -> Factors:  # noqa: ANN001 - sre_parse's own types
    sre = stdlib_parser()[1]  # type: ignore[index]
    if op is sre.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is sre.BRANCH:
        options = [_sequence(list(branch)) for branch in arg[1]]
        if any(option is None for option in options):
            return None
        return frozenset().union(*options)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _, inner = arg
        return _sequence(list(inner)) if low >= 1 else None
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(arg))
    return None  # character classes, anchors, lookarounds: no literal is certain


def may_match(factors: Factors, lowered_text: str) -> bool:
    """False only when no string of ``factors`` occurs in the lowercased text."""
    return factors is None or any(factor in lowered_text for factor in factors)


#: How far around a required string a match may reach; phrases are far shorter than this.
WINDOW = 200


def windows(factors: Factors, lowered_text: str) -> list[tuple[int, int]]:
    """Stretches of the text worth running the pattern on: around each required string.

    Whole text when nothing is known; none when no required string occurs.
    """
    if factors is None:
        return [(0, len(lowered_text))]
    if len(lowered_text) <= 4 * WINDOW:  # a short draft: one look is cheaper than many
        return [(0, len(lowered_text))] if may_match(factors, lowered_text) else []
    found: list[tuple[int, int]] = []
    for factor in factors:
        at = lowered_text.find(factor)
        while at != -1:
            found.append((max(0, at - WINDOW), at + len(factor) + WINDOW))
            at = lowered_text.find(factor, at + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
