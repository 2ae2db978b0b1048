"""The offline reviewer: phrase patterns and a trained detector, no network, deterministic."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.coaching.detector import SAYS, CustomerSignals, Detector, load_detector
from bot.coaching.guidelines import Guideline, GuidelineSet
from bot.coaching.language import detect_language
from bot.coaching.prefilter import WINDOW, Factors, may_match, required_factors, windows
from bot.coaching.review import Finding, Review
from bot.coaching.rewrite import (
    EXCLAIMS,
    SHOUTING,
    Hit,
    Rewriter,
    is_greeting,
    is_shouted,
    layout,
)
from bot.coaching.text import Sentence, sentences
from bot.messages import message

#: Added to every classifier threshold for whole drafts: a draft has many sentences, and
#: each is a chance of a false alarm (tuned on tests/data/drafts.jsonl and holdout.jsonl).
DRAFT_MARGIN = 0.1
#: Per-guideline margins, calibrated on whole drafts: first on tests/data/*.jsonl and
#: blind_v2 (`python -m bench.offline_calibrate`), then by training without one blind set in
#: turn and scoring the one left out (blind_v3-v5, then blind_v6 and v7, then v7 and v8); a
#: step is kept when it raised the mean accuracy of those sets. solution-first -0.15 and
#: dont-argue 0.0 raised their recall (0.52 -> 0.66, 0.52 -> 0.64) and the mean accuracy of
#: blind_v6 and v7 (0.892 -> 0.900), at 1.4 points more false alarms. In session 6, with the
#: 900 drafts of hard_<lang>.jsonl in training and blind_v11 left out, stay-calm -0.05 ->
#: -0.15 and no-blame 0.05 -> 0.0 each caught one more draft there (0.913 -> 0.920); then,
#: with blind_v11, v12 and v13 all left out, solution-first -0.15 -> -0.05 and ownership
#: 0.0 -> 0.1 raised their mean accuracy 0.903 -> 0.909 and cut false alarms 0.104 -> 0.087;
#: last, on blind_v11-v14 (left out as well), stay-calm -0.15 -> -0.1, no-blame 0.0 -> 0.05 and
#: dont-argue 0.0 -> -0.1: mean accuracy 0.912 -> 0.913, false alarms 0.090 -> 0.088, and
#: dont-argue recall 0.66 -> 0.75 (every guideline's recall 0.70 or more on those sets).
DRAFT_MARGINS: dict[str, float] = {
    "dont-argue": -0.1, "no-blame": 0.05, "ownership": 0.1, "solution-first": -0.05,
    "stay-calm": -0.1, "thank-feedback": 0.0,
}
#: Added to a customer classifier's threshold when whole drafts are reviewed. The "upset" bar
#: set on the corpus takes calm problem reports ("the export broke our columns") for upset
#: ones and asks for empathy no team lead would: with +0.15, false alarms fell on every set
#: left out of training (blind_v4 0.167 -> 0.113, blind_v5 0.133 -> 0.100, blind_v6 0.213 ->
#: 0.127) for a loss of empathy recall from 0.91 to 0.83 (mean of blind_v3-v6).
CUSTOMER_MARGINS: dict[str, float] = {"upset": 0.15}
#: How much lower the stay-calm threshold is when the customer was rude (sarcasm back).
RUDE_CUSTOMER_EASING = 0.15
#: Customer-classifier "feedback" probability from which a thank-you counts as hearing an
#: upset customer (lower than the threshold that makes a thank-you expected): a sincere
#: "thanks for the detail, that helps" answers a mildly upset report too.
FEEDBACK_HINT = 0.2
#: A smile in a sentence: an emoji from 😀 to 🙄, 🤣, 🤩, 🤭 or ☺, a Slack code for one, or an
#: ASCII ":)", ";-)", ":D".
SMILEY = re.compile(
    "[\U0001F600-\U0001F644\U0001F923\U0001F929\U0001F92D\u263A]"
    r"|:(?:slightly_smiling_face|smile|smiley|simple_smile|wink|upside_down_face|grin"
    r"|grinning|blush|relieved|smirk|sweat_smile|joy|laughing|innocent|rolling_on_the_floor"
    r"_laughing|face_with_rolling_eyes|star-struck|face_with_hand_over_mouth):"
    r"|(?<!\w)[:;]-?[)D](?!\w)"
)
#: Sentences shorter than this are left to the patterns: a word or two gives the
#: classifiers too little to go on.
MIN_WORDS = 3
#: A sentence the classifiers alone may flag has at least this many words (the patterns
#: still see every sentence): "No problem at all." or "Так, без проблем." gave them too
#: little to go on.
FLAG_MIN_WORDS = 6


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    factors: Factors  # strings one of which any match must contain


class _PatternList:
    """Patterns tried one by one, each skipped when the prefilter rules it out.

    ``present`` (when given) is the set of prefilter strings already found in the text: one
    set test per pattern then replaces a substring search per required string.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [_Pattern(re.compile(p, re.IGNORECASE), required_factors(p))
                         for p in patterns]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def factors(self) -> set[str]:
        return {f for p in self.patterns if p.factors for f in p.factors}

    def _candidates(self, lowered: str, present: frozenset[str] | None) -> list[_Pattern]:
        if present is None:
            return [p for p in self.patterns if may_match(p.factors, lowered)]
        return [p for p in self.patterns if p.factors is None or not p.factors.isdisjoint(present)]

    def search(self, text: str, lowered: str, present: frozenset[str] | None = None) -> bool:
        if len(lowered) <= 4 * WINDOW:
            return any(p.regex.search(text) for p in self._candidates(lowered, present))
        # A long draft: look only around the strings every match must contain.
        return any(p.regex.search(text, start, end) for p in self._candidates(lowered, present)
                   for start, end in windows(p.factors, lowered))

    def spans(self, text: str, lowered: str,
              present: frozenset[str] | None = None) -> list[tuple[int, int]]:
        """Non-overlapping match spans in text order, the longer one winning a tie."""
        short = len(lowered) <= 4 * WINDOW  # one look at a short draft beats many windows
        found = [m.span() for p in self._candidates(lowered, present)
                 for start, end in ([(0, len(text))] if short else windows(p.factors, lowered))
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
    hollow: _PatternList
    spares: _PatternList


_Scored = tuple[Sentence, dict[str, float]]  # a sentence and its classifiers' scores


@dataclass(frozen=True)
class _Texts:
    """The draft and the context, each also lowercased once for the prefilter."""

    draft: str
    lowered_draft: str
    context: str
    lowered_context: str
    present: frozenset[str] | None = None  # prefilter strings found in the draft
    context_present: frozenset[str] | None = None  # ... and in the customer's message


class OfflineReviewer:
    """Review drafts against a :class:`GuidelineSet`: phrase patterns, then the detector.

    The patterns are the precise first layer and quote the phrase; the trained detector
    (:mod:`bot.coaching.detector`) reads every sentence for what the patterns miss and quotes
    the sentence. The customer's message, read by the detector's customer classifiers (and by
    the `context` patterns), decides whether thanks or empathy are expected, and makes the
    stay-calm classifier stricter with a rude customer.
    """

    def __init__(self, guidelines: GuidelineSet, detector: Detector | None = None) -> None:
        self.guidelines = guidelines
        self.detector = detector if detector is not None else load_detector(guidelines)
        self.rewriter = Rewriter(guidelines)
        self._rules: dict[tuple[str, str], _Rules] = {}
        self._factors: dict[tuple[str, str], frozenset[str]] = {}
        self._smiley_thresholds = {g.id: g.offline.smiley_threshold
                                   for g in guidelines.guidelines
                                   if g.offline.smiley_threshold is not None}
        for guideline in guidelines.guidelines:
            rules = guideline.offline
            languages = (set(rules.patterns) | set(rules.required) | set(rules.context)
                         | set(rules.unless) | set(rules.hollow) | set(rules.spares))
            for lang in languages:
                self._rules[guideline.id, lang] = _Rules(
                    _PatternList(rules.patterns.get(lang, [])),
                    _PatternList(rules.unless.get(lang, [])),
                    _PatternList(rules.context.get(lang, [])),
                    _PatternList(rules.required.get(lang, [])),
                    _PatternList(rules.hollow.get(lang, [])),
                    _PatternList(rules.spares.get(lang, [])),
                )

    def review(self, draft: str, context: str | None = None, language: str | None = None) -> Review:
        """Review ``draft`` (the reply) given ``context`` (the customer's message)."""
        language = language or detect_language(draft)
        lowered = draft.lower()
        present = frozenset(f for f in self._factors_for(language, "draft") if f in lowered)
        lowered_context = (context or "").lower()
        context_present = frozenset(f for f in self._factors_for(language, "context")
                                    if f in lowered_context)
        texts = _Texts(draft, lowered, context or "", lowered_context, present, context_present)
        parts = sentences(draft)
        shape = layout(draft, parts)
        body = [s for s in parts if shape.in_body(s.start) and len(s.text.split()) >= MIN_WORDS]
        scores, signals = self.detector.scores_and_customer([s.text for s in body], context)
        scored = list(zip(body, scores, strict=True))
        hits: list[Hit] = []
        for guideline in self.guidelines.guidelines:
            hits += self._check(guideline, texts, language, signals, parts, scored)
        hits += self._shouting(draft, context or "")
        hits = _first_per_span(hits)
        if not hits:
            return Review(verdict="ok", language=language, rewrite=draft, engine="offline")
        findings = [self._finding(hit, draft, language) for hit in hits]
        # A draft that offers a real next step has, for the rewrite, solved the problem.
        next_step = self._matches("solution-first", "unless", texts, language)
        result = self.rewriter.rewrite(
            draft, hits, language,
            still_flagged=lambda g, text: self._flags(g, text, language, signals),
            # A bare "Thanks." does not thank for the feedback: the rewrite may add a thank-you.
            has_thanks=self._says("thank-feedback", texts, language, scored),
            has_empathy=self._matches("empathy", "required", texts, language)
            or self._says_in_own_words("empathy", scored, language),
            has_next_step=next_step,
            solved=next_step,
            parts=parts,
            shape=shape,
        )
        note = None if result.rescued else message("cannot_rescue", language)
        return Review(verdict="needs_work", language=language, findings=_first_per_quote(findings),
                      rewrite=result.text, engine="offline", note=note, example=result.example)

    def _finding(self, hit: Hit, draft: str, language: str) -> Finding:
        guideline = self.guidelines[hit.guideline]
        explanation = guideline.explanation.get(language) or guideline.explanation["en"]
        return Finding(guideline=hit.guideline, quote=draft[hit.start:hit.end],
                       explanation=explanation)

    def _factors_for(self, lang: str, text: str) -> frozenset[str]:
        """Every prefilter string of the patterns run on the draft (or on the customer's
        message) in ``lang``, looked for once per review instead of once per pattern."""
        if (lang, text) not in self._factors:
            found: set[str] = set()
            for guideline in self.guidelines.guidelines:
                rules = self._rules_for(guideline.id, lang)
                if rules:
                    lists = ((rules.patterns, rules.unless, rules.required, rules.hollow)
                             if text == "draft" else (rules.context,))
                    for patterns in lists:
                        found |= patterns.factors()
            self._factors[lang, text] = frozenset(found)
        return self._factors[lang, text]

    def _says(self, guideline_id: str, texts: _Texts, lang: str, scored: list[_Scored]) -> bool:
        """The draft says what the guideline requires, not only in a stock phrase."""
        rules = self._rules_for(guideline_id, lang)
        if rules and rules.required and _satisfied(rules, texts):
            return True
        return self._says_in_own_words(guideline_id, scored, lang)

    def _says_in_own_words(self, guideline_id: str, scored: list[_Scored], lang: str) -> bool:
        """A sentence says what the guideline requires, by its ``says:`` classifier; one with
        a stock phrase (``hollow``) does not count, as it does not for the phrases."""
        name = SAYS + guideline_id
        if name not in self.detector.sentence_names:
            return False
        bar = self.detector.threshold(name)
        rules = self._rules_for(guideline_id, lang)
        stock = rules.hollow if rules else None
        return any(scores[name] >= bar and not (stock and stock.search(s.text, s.text.lower()))
                   for s, scores in scored)

    def _rules_for(self, guideline_id: str, lang: str) -> _Rules | None:
        return self._rules.get((guideline_id, lang)) or self._rules.get((guideline_id, "en"))

    def _matches(self, guideline_id: str, which: str, texts: _Texts, lang: str) -> bool:
        rules = self._rules_for(guideline_id, lang)
        if rules is None:
            return False
        patterns: _PatternList = getattr(rules, which)
        return patterns.search(texts.draft, texts.lowered_draft, texts.present)

    def _threshold(self, guideline_id: str, signals: CustomerSignals) -> float:
        threshold = self.detector.threshold(guideline_id)
        if guideline_id == "stay-calm" and signals.rude >= self._customer_bar("rude"):
            threshold = max(0.5, threshold - RUDE_CUSTOMER_EASING)
        return min(0.995, threshold + DRAFT_MARGINS.get(guideline_id, DRAFT_MARGIN))

    def _bar(self, guideline_id: str, threshold: float, text: str) -> float:
        """The score from which the sentence ``text`` is flagged: ``threshold``, or the
        guideline's ``smiley_threshold`` when lower and the sentence has a smile in it."""
        smiley = self._smiley_thresholds.get(guideline_id)
        if smiley is not None and smiley < threshold and SMILEY.search(text):
            return smiley
        return threshold

    def _customer_bar(self, signal: str) -> float:
        """From which probability the customer's message counts as ``signal``."""
        return self.detector.threshold(f"customer:{signal}") + CUSTOMER_MARGINS.get(signal, 0.0)

    def _flags(self, guideline_id: str, text: str, lang: str, signals: CustomerSignals) -> bool:
        """Whether a (rewritten) sentence would still be flagged for this guideline."""
        rules = self._rules_for(guideline_id, lang)
        if rules and rules.spares.search(text, text.lower()):
            return False
        if rules and rules.patterns.search(text, text.lower()):
            return True
        if guideline_id not in self.detector.guideline_ids:
            return False
        score = self.detector.sentence_scores(text)[guideline_id]
        return score >= self._bar(guideline_id, self._threshold(guideline_id, signals), text)

    def _check(
        self,
        guideline: Guideline,
        texts: _Texts,
        lang: str,
        signals: CustomerSignals,
        parts: list[Sentence],
        scored: list[_Scored],
    ) -> list[Hit]:
        """Hits from phrases, from the detector, and from something the draft lacks."""
        rules = self._rules_for(guideline.id, lang)
        draft, lowered = texts.draft, texts.lowered_draft
        excused = bool(rules and rules.unless.search(draft, lowered, texts.present))
        said_in_context = bool(rules and rules.context and rules.context.search(
            texts.context, texts.lowered_context, texts.context_present))
        signal = guideline.offline.customer
        customer_shows_it = bool(signal and texts.context
                                 and getattr(signals, signal) >= self._customer_bar(signal))
        # A guideline that answers a state of the customer's (upset, giving feedback) flags no
        # sentence when their message, given, shows no sign of it: a cold or plain sentence
        # then misses nothing. (On blind_v11-v13, with a model trained on none of them, this
        # removed five false alarms and missed one draft that needed work.)
        calls_for_it = not signal or not texts.context or customer_shows_it or said_in_context
        hits: list[Hit] = []
        if rules and not excused:
            for start, end in rules.patterns.spans(draft, lowered, texts.present):
                text = draft[start:end]
                lead = len(text) - len(text.lstrip())
                hits.append(Hit(guideline.id, start + lead, start + len(text.rstrip())))
        if not excused and calls_for_it and guideline.id in self.detector.guideline_ids:
            threshold = self._threshold(guideline.id, signals)
            for sentence, scores in scored:
                if scores[guideline.id] < self._bar(guideline.id, threshold, sentence.text) \
                        or len(sentence.text.split()) < FLAG_MIN_WORDS:
                    continue
                end = sentence.end
                if not any(sentence.start <= h.start < end for h in hits):
                    hits.append(Hit(guideline.id, sentence.start, end))
        if rules and rules.spares:
            hits = [h for h in hits if not _spared(h, parts, rules.spares)]
        if rules and rules.required:
            expected = said_in_context if rules.context else not signal
            if customer_shows_it:
                expected = True
            if expected and signal == "upset" and \
                    self._thanks_for_feedback(texts, lang, signals, scored):
                expected = False  # thanking an upset customer for their feedback hears them
            if expected and signal == "feedback" and not said_in_context \
                    and self._hears_them(texts, lang, signals, scored):
                # The classifier's "feedback" on an angry message is mostly a complaint or an
                # insult: acknowledging the feeling answers it, a thank-you is not expected.
                expected = False
            if expected and not self._says(guideline.id, texts, lang, scored):
                opening = _opening_sentence(parts)
                if opening:
                    hits.append(Hit(guideline.id, opening.start, opening.end, missing=True))
        return hits

    def _thanks_for_feedback(self, texts: _Texts, lang: str, signals: CustomerSignals,
                             scored: list[_Scored]) -> bool:
        """The customer gave feedback and the draft thanks them for it."""
        rules = self._rules_for("thank-feedback", lang)
        if rules is None:
            return False
        if not rules.required.search(texts.draft, texts.lowered_draft, texts.present) \
                and not self._says_in_own_words("thank-feedback", scored, lang):
            return False
        feedback = (rules.context.search(texts.context, texts.lowered_context,
                                         texts.context_present)
                    or signals.feedback >= FEEDBACK_HINT)
        return bool(feedback)

    def _hears_them(self, texts: _Texts, lang: str, signals: CustomerSignals,
                    scored: list[_Scored]) -> bool:
        """The customer was rude or upset, and the draft acknowledges how they feel."""
        if signals.rude < self._customer_bar("rude") and \
                signals.upset < self._customer_bar("upset"):
            return False
        rules = self._rules_for("empathy", lang)
        return bool(rules and rules.required.search(texts.draft, texts.lowered_draft,
                                                    texts.present)) \
            or self._says_in_own_words("empathy", scored, lang)

    def _shouting(self, draft: str, context: str) -> list[Hit]:
        if "stay-calm" not in self.guidelines:
            return []
        hits = [Hit("stay-calm", *m.span()) for m in SHOUTING.finditer(draft)
                if is_shouted(m.group(0)) and not _a_name(draft, m, context)]
        hits += [Hit("stay-calm", *m.span()) for m in EXCLAIMS.finditer(draft)]
        return hits


def required_phrases(guideline: Guideline, lang: str) -> Callable[[str], bool] | None:
    """A test for "this text says what ``guideline`` requires, in its phrases and not only in
    a stock one", or None when the guideline requires nothing in ``lang`` (nor in English)."""
    rules = guideline.offline
    lang = lang if lang in rules.required else "en"
    if lang not in rules.required:
        return None
    compiled = _Rules(_PatternList([]), _PatternList([]), _PatternList([]),
                      _PatternList(rules.required[lang]),
                      _PatternList(rules.hollow.get(lang, [])), _PatternList([]))
    return lambda text: _satisfied(compiled, _Texts(text, text.lower(), "", ""))


def _satisfied(rules: _Rules, texts: _Texts) -> bool:
    """The draft says what `required` asks for, and not only in a stock phrase (`hollow`)."""
    draft, lowered = texts.draft, texts.lowered_draft
    if not rules.required.search(draft, lowered, texts.present):
        return False
    stock = rules.hollow.spans(draft, lowered, texts.present) if rules.hollow else []
    if not stock:
        return True
    for start, end in reversed(stock):  # blank them out, keeping every other offset
        draft = draft[:start] + " " * (end - start) + draft[end:]
    return rules.required.search(draft, draft.lower())


_QUOTES = "\"'«»„“”‘’`"


def _a_name(draft: str, match: re.Match[str], context: str) -> bool:
    """Capitals that name something rather than raise the voice: in quotes ("NOTEPAD PRO"),
    or copied from the customer's message (a payee on their statement, "ELCTRNX LTD")."""
    before = draft[match.start() - 1:match.start()]
    after = draft[match.end():match.end() + 1]
    return (bool(before) and before in _QUOTES and bool(after) and after in _QUOTES) \
        or match.group(0) in context


def _spared(hit: Hit, parts: list[Sentence], spares: _PatternList) -> bool:
    """The hit lies in a sentence that one of the guideline's ``spares`` clears."""
    for sentence in parts:
        if sentence.start <= hit.start < sentence.end:
            return spares.search(sentence.text, sentence.text.lower())
    return False


def _opening_sentence(parts: list[Sentence]) -> Sentence | None:
    if parts and is_greeting(parts[0]) and len(parts) > 1:
        return parts[1]
    return parts[0] if parts else None


def _first_per_span(hits: list[Hit]) -> list[Hit]:
    """One hit per guideline and place, in the order of the draft."""
    return sorted(dict.fromkeys(hits), key=lambda h: (h.start, h.end, h.guideline))


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
