"""The offline reviewer: phrase patterns and simple signals, no network, deterministic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.coaching.guidelines import Guideline, GuidelineSet
from bot.coaching.language import detect_language
from bot.coaching.prefilter import Factors, may_match, required_factors, windows
from bot.coaching.review import Finding, Review
from bot.coaching.text import Sentence, has_facts, sentences, tidy

# A run of shouted words (at least two, eight letters in all) or a volley of "!!".
_UPPER = "A-ZА-ЯЁІЇЄҐĄĆĘŁŃÓŚŹŻÕÄÖÜŠŽ"
_SHOUTING = re.compile(rf"\b[{_UPPER}]{{2,}}(?:[\s,]+[{_UPPER}]{{2,}})+\b")
_EXCLAIMS = re.compile(r"[!?]*!{2,}[!?]*")
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|здравствуй|добр|привет|уважаем|"
    r"dzień dobry|witam|szanown|cześć|tere|hea|lugupeetud|вітаю|добрий|шановн|привіт)",
    re.IGNORECASE,
)
# Guidelines whose added sentence opens the reply; the others close it.
_OPENING = ("thank-feedback", "empathy", "dont-argue", "no-blame")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    factors: Factors  # strings one of which any match must contain


class _PatternList:
    """Patterns tried one by one, each skipped when the prefilter rules it out."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [_Pattern(re.compile(p, re.IGNORECASE), required_factors(p))
                         for p in patterns]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def search(self, text: str, lowered: str) -> bool:
        return any(may_match(p.factors, lowered) and p.regex.search(text)
                   for p in self.patterns)

    def spans(self, text: str, lowered: str) -> list[tuple[int, int]]:
        """Non-overlapping match spans in text order, the longer one winning a tie."""
        found = [m.span() for p in self.patterns
                 for start, end in windows(p.factors, lowered)
                 for m in p.regex.finditer(text, start, end) if m.group(0).strip()]
        spans: list[tuple[int, int]] = []
        for start, end in sorted(found, key=lambda span: (span[0], -span[1])):
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        return spans


@dataclass(frozen=True)
class _Rules:
    """One guideline's patterns for one language."""

    patterns: _PatternList
    unless: _PatternList
    context: _PatternList
    required: _PatternList


@dataclass(frozen=True)
class _Texts:
    """The draft and the context, each also lowercased once for the prefilter."""

    draft: str
    lowered_draft: str
    context: str
    lowered_context: str


class OfflineReviewer:
    """Review drafts against a :class:`GuidelineSet` with its phrase patterns."""

    def __init__(self, guidelines: GuidelineSet) -> None:
        self.guidelines = guidelines
        self._rules: dict[tuple[str, str], _Rules] = {}
        for guideline in guidelines.guidelines:
            rules = guideline.offline
            languages = set(rules.patterns) | set(rules.required) | set(rules.context)
            for lang in languages:
                self._rules[guideline.id, lang] = _Rules(
                    _PatternList(rules.patterns.get(lang, [])),
                    _PatternList(rules.unless.get(lang, [])),
                    _PatternList(rules.context.get(lang, [])),
                    _PatternList(rules.required.get(lang, [])),
                )

    def review(self, draft: str, context: str | None = None, language: str | None = None) -> Review:
        """Review ``draft`` (the reply) given ``context`` (the customer's message)."""
        language = language or detect_language(draft)
        phrases: list[Finding] = []
        missing: list[Finding] = []
        texts = _Texts(draft, draft.lower(), context or "", (context or "").lower())
        for guideline in self.guidelines.guidelines:
            found_phrases, found_missing = self._check(guideline, texts, language)
            phrases += found_phrases
            missing += found_missing
        shouting = self._shouting(draft, language)
        findings = _first_per_quote(phrases + missing + shouting)
        if not findings:
            return Review(verdict="ok", language=language, rewrite=draft, engine="offline")
        cuts = [f.quote for f in _first_per_quote(phrases)]
        return Review(
            verdict="needs_work",
            language=language,
            findings=findings,
            rewrite=self.rewrite(draft, cuts, [f.guideline for f in findings], language),
            engine="offline",
        )

    def _check(
        self, guideline: Guideline, texts: _Texts, lang: str
    ) -> tuple[list[Finding], list[Finding]]:
        """Findings from phrases in the draft, and from something the draft lacks."""
        rules = self._rules.get((guideline.id, lang)) or self._rules.get((guideline.id, "en"))
        if rules is None:
            return [], []
        explanation = guideline.explanation.get(lang) or guideline.explanation["en"]
        draft, lowered = texts.draft, texts.lowered_draft
        phrases: list[Finding] = []
        missing: list[Finding] = []
        spans = rules.patterns.spans(draft, lowered)
        if spans and not rules.unless.search(draft, lowered):
            phrases = [Finding(guideline=guideline.id, quote=draft[start:end].strip(),
                               explanation=explanation) for start, end in spans]
        if rules.required:
            applies = (not rules.context
                       or rules.context.search(texts.context, texts.lowered_context))
            if applies and not rules.required.search(draft, lowered):
                opening = _opening_sentence(draft)
                if opening:
                    missing.append(Finding(guideline=guideline.id, quote=opening.text,
                                           explanation=explanation))
        return phrases, missing

    def _shouting(self, draft: str, lang: str) -> list[Finding]:
        if "stay-calm" not in self.guidelines:
            return []
        guideline = self.guidelines["stay-calm"]
        explanation = guideline.explanation.get(lang) or guideline.explanation["en"]
        spans = [m.group(0) for m in _SHOUTING.finditer(draft) if _is_shouted(m.group(0))]
        spans += [m.group(0) for m in _EXCLAIMS.finditer(draft)]
        return [Finding(guideline="stay-calm", quote=s, explanation=explanation) for s in spans]

    def rewrite(self, draft: str, cuts: list[str], guideline_ids: list[str], language: str) -> str:
        """Calm the draft, cut the offending phrases and add the missing kind sentences.

        A sentence with an offending phrase is dropped only when it carries no facts; from
        one with numbers, links or names only the phrase is cut, so every fact survives.
        """
        parts = sentences(draft)
        greeting = parts.pop(0).text if parts and _is_greeting(parts[0]) else None
        kept: list[str] = []
        for sentence in parts:
            text = sentence.text
            inside = [quote for quote in cuts if quote in text]
            if inside and not has_facts(text):
                continue
            for quote in inside:
                text = tidy(text.replace(quote, " ", 1))
            text = _calm(text)
            if re.search(r"\w", text):
                kept.append(text)
        opening, closing = self._added_sentences(guideline_ids, language)
        body = " ".join([*opening, *kept, *closing])
        return f"{greeting}\n{body}" if greeting else body

    def _added_sentences(self, guideline_ids: list[str], lang: str) -> tuple[list[str], list[str]]:
        opening: list[str] = []
        closing: list[str] = []
        for guideline_id in dict.fromkeys(guideline_ids):
            fix = self.guidelines[guideline_id].fix
            sentence = fix.get(lang) or fix["en"]
            target = opening if guideline_id in _OPENING else closing
            if sentence not in opening + closing:
                target.append(sentence)
        return opening, closing


def _is_shouted(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 8 and all(ch.isupper() for ch in letters)


def _calm(text: str) -> str:
    """Lower shouted words and turn '!!!' into a full stop."""
    def lower(match: re.Match[str]) -> str:
        span = match.group(0)
        return span.lower() if _is_shouted(span) else span

    text = _SHOUTING.sub(lower, text)
    text = _EXCLAIMS.sub(".", text)
    return tidy(text)


def _is_greeting(sentence: Sentence) -> bool:
    return len(sentence.text.split()) <= 5 and bool(_GREETING.match(sentence.text))


def _opening_sentence(draft: str) -> Sentence | None:
    parts = sentences(draft)
    if parts and _is_greeting(parts[0]) and len(parts) > 1:
        return parts[1]
    return parts[0] if parts else None


def _first_per_quote(findings: list[Finding]) -> list[Finding]:
    """One finding per (guideline, quote): overlapping patterns must not repeat themselves."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.guideline, finding.quote.lower())
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
