"""The offline rewrite: small edits to a draft, never damage.

Rules, in the order they protect the draft:

- The draft is edited in place. A sentence no finding touches keeps every byte; lines,
  blank lines, bullets, the greeting, the sign-off, code and Slack markup stay where they
  were.
- A flagged phrase changes only through the guideline's `replacements` list for the draft's
  language, and only when the edit keeps the sentence's markup and facts; shouting is turned
  down (capital words lowered, "!!!" made a full stop). Otherwise the sentence stays as
  written and its finding says what to change. Nothing is cut out, no sentence is deleted.
- Added sentences (thanks, empathy, a next step; at most one of each) go after the greeting
  and before the sign-off, inside existing lines, and only when the draft does not already
  say the same thing: no thanks when it thanks, no apology once the problem is solved, no
  "I'll take care of it" while a hand-off sentence stays.
- When the flagged sentences that could not be edited are most of the draft, no edit rescues
  it: the result says so, and the guideline's good example is offered as a model instead.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.coaching.guidelines import Guideline, GuidelineSet
from bot.coaching.text import Sentence, sentences

_UPPER = "A-ZА-ЯЁІЇЄҐĄĆĘŁŃÓŚŹŻÕÄÖÜŠŽ"
SHOUTING = re.compile(rf"\b[{_UPPER}]{{2,}}(?:[\s,]+[{_UPPER}]{{2,}})+\b")
EXCLAIMS = re.compile(r"[!?]*!{2,}[!?]*")
GREETING = re.compile(
    r"^[*_]*(hi|hello|hey|dear|good (morning|afternoon|evening)|здравствуй\w*|"
    r"добр\w* (день|утро|вечер)|привет\w*|уважаем\w*|dzień dobry|witam|szanown\w*|cześć|"
    r"tere|hea|lugupeetud|вітаю|добр\w* (день|ранку|вечора)|шановн\w*|привіт\w*)\b",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"^[*_]*(best|kind|warm)?\s*(regards|wishes)|^(thanks|thank you|many thanks|cheers|best|"
    r"sincerely|all the best|take care|speak soon|talk soon|warmly|have a (?:great|nice) day|"
    r"с уважением|всего доброго|хорошего (?:дня|вечера)|с наилучшими пожеланиями|"
    r"будьте здоровы|с заботой|до связи|pozdrawiam|pozdrowienia|z poważaniem|serdecznie|"
    r"z wyrazami szacunku|miłego dnia|do usłyszenia|lugupidamisega|parimat|head päeva|"
    r"ilusat päeva|tervitustega|tervitades|parimate soovidega|kõike head|з повагою|"
    r"гарного (?:дня|вечора)|всього найкращого|з найкращими побажаннями|будьте здорові|"
    r"з турботою|до зв'язку|на все добре)"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)]|>)\s+")
#: Markup whose every token must survive an edit.
MARKUP = re.compile(
    r"```.*?```|`[^`\n]+`|<[@#!][^>]+>|<[^>|\s]+\|[^>]+>|<https?://[^>]+>|:[a-z0-9_+'-]+:"
    r"|(?<!\w)[*_~](?=\S)|(?<=\S)[*_~](?!\w)",
    re.DOTALL,
)
_FACT = re.compile(
    # A number keeps the word it takes ("5 days", "5. märtsil"); after a full stop, only a
    # word in lower case: a capital starts the next sentence, which is not part of the fact.
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|<[@#!][^>]+>"
    rf"|\d+(?:[.,:/ -]\d+)*(?:\.(?:\s(?![{_UPPER}])[^\W\d_]+)?|\s[^\W\d_]+)?"
)


#: Guidelines whose flagged sentence hands the customer to someone else: while one stays, a
#: promise to take care of it would contradict the draft.
HANDOFF_GUIDELINES = frozenset({"ownership"})


@dataclass(frozen=True)
class Hit:
    """A finding with its place in the draft."""

    guideline: str
    start: int
    end: int
    missing: bool = False  # the finding is about what the draft lacks, not what it says


@dataclass
class Rewrite:
    text: str
    rescued: bool = True
    example: str | None = None
    edited: set[int] = field(default_factory=set)  # starts of the sentences changed
    added: list[str] = field(default_factory=list)
    unresolved: list[Hit] = field(default_factory=list)


def markup_tokens(text: str) -> Counter:
    return Counter(m.group(0) for m in MARKUP.finditer(text))


def facts(text: str) -> Counter:
    """Numbers (with the word a date or amount takes, e.g. "5. märtsil"), links, e-mails,
    mentions. Shouted words are not facts: they get lowered."""
    return Counter(m.group(0) for m in _FACT.finditer(text))


def is_greeting(sentence: Sentence) -> bool:
    return len(sentence.text.split()) <= 5 and bool(GREETING.match(sentence.text))


@dataclass(frozen=True)
class Layout:
    """Where the body of the draft is: after the greeting, before the sign-off, outside code."""

    greeting: Sentence | None
    sign_off_start: int  # offset where the sign-off begins (len(draft) when there is none)
    code: list[tuple[int, int]]

    def in_body(self, start: int) -> bool:
        after_greeting = self.greeting is None or start >= self.greeting.end
        in_code = any(a <= start < b for a, b in self.code)
        return after_greeting and start < self.sign_off_start and not in_code


def layout(draft: str, parts: list[Sentence] | None = None) -> Layout:
    parts = parts if parts is not None else sentences(draft)
    greeting = parts[0] if parts and is_greeting(parts[0]) else None
    code = [m.span() for m in re.finditer(r"```.*?```", draft, re.DOTALL)]
    sign_off = len(draft)
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", draft)]
    content = [(at, line) for at, line in lines if line.strip()]
    for at, line in content[-3:]:
        if SIGN_OFF.match(line.strip()) and (greeting is None or at >= greeting.end):
            sign_off = at
            break
    return Layout(greeting, sign_off, code)


class Rewriter:
    """Edits drafts for one guideline set."""

    def __init__(self, guidelines: GuidelineSet) -> None:
        self.guidelines = guidelines
        self._replacements: dict[tuple[str, str], list[tuple[re.Pattern[str], str]]] = {}
        for guideline in guidelines.guidelines:
            for lang, items in guideline.replacements.items():
                self._replacements[guideline.id, lang] = [
                    (re.compile(item.find, re.IGNORECASE), item.replace) for item in items
                ]

    def rewrite(
        self,
        draft: str,
        hits: list[Hit],
        language: str,
        *,
        still_flagged,  # noqa: ANN001 - (guideline id, sentence) -> bool
        has_thanks: bool,
        has_empathy: bool,
        has_next_step: bool,
        solved: bool,
        parts: list[Sentence] | None = None,
        shape: Layout | None = None,
    ) -> Rewrite:
        """Apply the edits for ``hits`` (findings with spans) to ``draft``.

        ``parts`` and ``shape`` are the draft's sentences and layout, if already known.
        """
        parts = parts if parts is not None else sentences(draft)
        shape = shape or layout(draft, parts)
        edits: dict[int, str] = {}  # sentence start -> new text
        unresolved: list[Hit] = []
        unresolved += [h for h in hits if h.missing]  # only an added sentence answers these
        for sentence in parts:
            inside = [h for h in hits
                      if sentence.start <= h.start < sentence.end and not h.missing]
            if not inside or not shape.in_body(sentence.start):
                unresolved += inside
                continue
            text = sentence.text
            for hit in inside:
                text = self._edit(text, hit, language)
            text = _calm(text)
            if text != sentence.text and _safe(sentence.text, text):
                edits[sentence.start] = text
                unresolved += [h for h in inside if still_flagged(h.guideline, text)]
            else:
                unresolved += inside
        result = Rewrite(draft, edited=set(edits), unresolved=unresolved)
        # A guideline's sentence is added only while its finding stands: a phrase the edits
        # already fixed needs no acknowledgement beside it.
        found = list(dict.fromkeys(h.guideline for h in unresolved))
        handoff_stays = any(h.guideline in HANDOFF_GUIDELINES for h in unresolved)
        opening, closing = self._added(
            found, language, draft,
            skip={"thanks": has_thanks, "empathy": has_empathy,
                  "next_step": has_next_step or handoff_stays},
            solved=solved,
        )
        result.added = opening + closing
        result.text = _assemble(draft, parts, edits, shape, opening, closing)
        content = [s for s in parts if shape.in_body(s.start)]
        # Findings no added sentence can answer: the tone of the sentence itself.
        stuck = [h for h in unresolved if self.guidelines[h.guideline].adds is None
                 or h.guideline == "dont-argue"]
        places = {h.start for h in stuck}
        if content and len(places) >= 2 and len(places) * 2 >= len(content):
            # Kind sentences around a sarcastic draft would read as more sarcasm: keep only
            # the safe edits, and offer the guideline's example as the model to follow.
            result.rescued = False
            result.example = self._example(stuck, language)
            result.added = []
            result.text = _assemble(draft, parts, edits, shape, [], [])
        return result

    def _edit(self, text: str, hit: Hit, language: str) -> str:
        for pattern, replacement in self._replacements.get((hit.guideline, language), []):
            changed, count = pattern.subn(replacement, text, count=1)
            if count and changed != text:
                return changed
        return text

    def _added(
        self, found: list[str], language: str, draft: str, skip: dict[str, bool], solved: bool
    ) -> tuple[list[str], list[str]]:
        chosen: dict[str, str] = {}
        # The guideline that names the need comes first: empathy before dont-argue's
        # acknowledgement, both of kind "empathy".
        for guideline_id in sorted(found, key=lambda g: g != self._primary(g)):
            guideline = self.guidelines[guideline_id]
            kind = guideline.adds
            if kind is None or kind in chosen or skip.get(kind):
                continue
            sentence = _fix(guideline, language, solved)
            if sentence and _normal(sentence) not in _normal(draft):
                chosen[kind] = sentence
        opening = [chosen[k] for k in ("thanks", "empathy") if k in chosen]
        closing = [chosen["next_step"]] if "next_step" in chosen else []
        return opening, closing

    def _primary(self, guideline_id: str) -> str:
        kind = self.guidelines[guideline_id].adds
        primary = {"empathy": "empathy", "thanks": "thank-feedback", "next_step": "solution-first"}
        return primary.get(kind or "", guideline_id)

    def _example(self, unresolved: list[Hit], language: str) -> str | None:
        counts = Counter(h.guideline for h in unresolved)
        for guideline_id, _ in counts.most_common():
            for example in self.guidelines[guideline_id].examples:
                if example.lang == language:
                    return example.good
        return None


def _fix(guideline: Guideline, language: str, solved: bool) -> str:
    if solved and guideline.fix_when_solved:
        return guideline.fix_when_solved.get(language) or guideline.fix_when_solved["en"]
    if solved and guideline.adds == "empathy" and guideline.id == "empathy":
        return ""
    return guideline.fix.get(language) or guideline.fix["en"]


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def is_shouted(text: str) -> bool:
    """Capital letters only, eight of them at least: a raised voice, not an acronym."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 8 and all(ch.isupper() for ch in letters)


def _calm(text: str) -> str:
    """Lower shouted words (keeping a capital at the start) and turn '!!!' into one stop."""
    def lower(match: re.Match[str]) -> str:
        span = match.group(0)
        if not is_shouted(span):
            return span
        lowered = span.lower()
        if match.start() == _first_letter(text):
            lowered = lowered[0].upper() + lowered[1:]
        return lowered

    text = SHOUTING.sub(lower, text)
    return EXCLAIMS.sub(lambda m: "?" if "?" in m.group(0) else ".", text)


def _first_letter(text: str) -> int:
    match = re.search(r"[^\W\d_]", text)
    return match.start() if match else -1


_TOKEN = re.compile(r"<[^>]+>|:[a-z0-9_+'-]+:|`[^`]+`")


def is_fragment(sentence: str) -> bool:
    """A changed or added sentence that cannot stand as written: under three words, starting
    in lower case or with punctuation, or with stray punctuation (" ,", ", .") left by a cut.
    It cannot judge grammar beyond that; the replacement lists are written to be grammatical.
    """
    core = _TOKEN.sub("x", sentence).strip().lstrip("*_~>•- ")
    if len(re.findall(r"[^\W_]+", core)) < 3:
        return True
    first = re.search(r"\w", core)
    if not first or core[: first.start()].strip(" \"'«„(") or core[first.start()].islower():
        return True
    return bool(re.search(r"\s[,.;:!?]|[,;:]\s*[.!?]\s*$|^[,;:]|\s{2,}", core))


def _safe(before: str, after: str) -> bool:
    """An edit keeps the markup, the facts, and a whole sentence."""
    return (markup_tokens(before) == markup_tokens(after) and not facts(before) - facts(after)
            and not is_fragment(after))


def _assemble(
    draft: str,
    parts: list[Sentence],
    edits: dict[int, str],
    shape: Layout,
    opening: list[str],
    closing: list[str],
) -> str:
    """The draft with the edited sentences swapped in and the added ones placed inline."""
    inserts: dict[int, str] = {}
    body = [s for s in parts if shape.in_body(s.start)]
    if opening:
        at = _opening_place(draft, body, shape)
        led = _greeting_led(body, shape)
        if at is not None:
            inserts[at] = " ".join(opening) + " "
        elif led is not None and re.search(r"[.!?…]$", led.text):
            inserts[led.end] = " " + " ".join(opening)  # a one-sentence draft: right after it
    if closing:
        at = _closing_place(draft, body, edits)
        if at is not None:
            inserts[at] = inserts.get(at, "") + " " + " ".join(closing)
    changes = sorted(
        [(at, at, text) for at, text in inserts.items()]
        + [(s.start, s.end, edits[s.start]) for s in parts if s.start in edits]
    )
    out, cursor = [], 0
    for start, end, text in changes:
        out.append(draft[cursor:start] + text)
        cursor = end
    out.append(draft[cursor:])
    return "".join(out)


def _line_of(draft: str, at: int) -> str:
    start = draft.rfind("\n", 0, at) + 1
    end = draft.find("\n", at)
    return draft[start: end if end != -1 else len(draft)]


def _greeting_led(body: list[Sentence], shape: Layout) -> Sentence | None:
    """A first sentence that opens with a greeting and goes on ("Hello Anna, your order…"):
    nothing may be added before it."""
    if shape.greeting is None and body and GREETING.match(body[0].text):
        return body[0]
    return None


def _opening_place(draft: str, body: list[Sentence], shape: Layout) -> int | None:
    """Start of the first body sentence that opens a plain line (not a bullet or a quote)."""
    greeting = shape.greeting or _greeting_led(body, shape)
    for sentence in body:
        if sentence is greeting:
            continue
        line_start = draft.rfind("\n", 0, sentence.start) + 1
        prefix = draft[line_start:sentence.start]
        if prefix.strip() == "" and not _BULLET.match(_line_of(draft, sentence.start)):
            return sentence.start
        if greeting and line_start <= greeting.start and prefix.strip():
            return sentence.start  # the greeting and the body share the line
    return None


def _closing_place(draft: str, body: list[Sentence], edits: dict[int, str]) -> int | None:
    """End of the last body sentence that ends a plain line with a full stop (or so)."""
    for sentence in reversed(body):
        line = _line_of(draft, sentence.start)
        if _BULLET.match(line):
            continue
        line_end = draft.find("\n", sentence.start)
        line_end = len(draft) if line_end == -1 else line_end
        text = edits.get(sentence.start, sentence.text)
        if draft[sentence.end:line_end].strip() == "" and re.search(r"[.!?…)]$|:\w+:$", text):
            return sentence.end
    return None
