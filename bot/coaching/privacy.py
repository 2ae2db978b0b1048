"""Keep personal data away from the language model.

Before a draft leaves the machine, e-mails, phone numbers, payment cards, IBANs and national
identity codes are swapped for placeholders such as ``[EMAIL_1]``; the model rewrites around
them and :meth:`Redaction.restore` puts the originals back.

Each kind is found loosely and then proven: cards by Luhn, IBANs by their check digits,
isikukood and PESEL by their checksums (python-stdnum), phone numbers by ``phonenumbers`` with
the default regions of the team's languages. Order numbers and amounts are left alone: a number
right after "order", "invoice", "#" and the like, or next to a currency, is not a phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from stdnum import iban, luhn
from stdnum.ee import ik as isikukood
from stdnum.pl import pesel

#: Where a bare number (no "+" and no country code) is assumed to be dialled, per language.
PHONE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB"), "ru": ("RU",), "pl": ("PL",), "et": ("EE",), "uk": ("UA",),
}

Span = tuple[int, int]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Two letters and two check digits, then up to 30 letters or digits, spaced or not.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}")
# Runs of digit groups; a card is 13 to 19 digits of them with one kind of separator.
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d+(?:[ .\-/]{1,3}\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
# Eleven digits, glued to a prefix such as "IK" or "PESEL" or not.
_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")

# Words after which a number is a reference the rewrite must keep, not a phone number.
_REFERENCE = re.compile(
    r"(?:[#№]|\b(?:order|invoice|ticket|case|ref(?:erence)?|tracking|booking|account|id|"
    r"заказ\w*|сч[её]т\w*|замовлення|рахун\w*|zamówieni\w*|faktur\w*|tellimus\w*|arve\w*)"
    r"(?:\s+(?:number|no|nr|id|номер|numer|number|nr\.|no\.))?)[\s.:#№-]{0,4}$",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[$€£₽₴]|\b(?:EUR|USD|GBP|PLN|RUB|UAH))\s?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(
    r"^\s?(?:[$€£₽₴]|(?:EUR|USD|GBP|PLN|RUB|UAH|zł|zl|руб|грн|eur)\b)", re.IGNORECASE
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def phone_regions(languages: Iterable[str]) -> tuple[str, ...]:
    """Default phone regions for the team's languages, in order, each once."""
    regions = [region for lang in languages for region in PHONE_REGIONS.get(lang, ())]
    return tuple(dict.fromkeys(regions)) or ("US",)


def _emails(text: str, regions: tuple[str, ...]) -> list[Span]:
    return [m.span() for m in _EMAIL.finditer(text)]


def _ibans(text: str, regions: tuple[str, ...]) -> list[Span]:
    found = []
    for match in _IBAN.finditer(text):
        # The pattern may run on into the next word; keep the longest prefix that validates.
        candidate = match.group(0)
        for end in range(len(candidate), 14, -1):
            boundary = end == len(candidate) or not candidate[end].isalnum()
            if boundary and iban.is_valid(candidate[:end]):
                found.append((match.start(), match.start() + end))
                break
    return found


def _cards(text: str, regions: tuple[str, ...]) -> list[Span]:
    found = []
    for run in _DIGIT_GROUPS.finditer(text):
        groups = [(run.start() + m.start(), run.start() + m.end())
                  for m in _GROUP.finditer(run.group(0))]
        card = _longest_card(text, groups)
        if card and not _is_amount(text, *card):
            found.append(card)
    return found


def _longest_card(text: str, groups: list[Span]) -> Span | None:
    """The longest run of consecutive digit groups that reads as one card number."""
    best: Span | None = None
    for first in range(len(groups)):
        for last in range(first, len(groups)):
            start, end = groups[first][0], groups[last][1]
            pairs = zip(groups[first:last], groups[first + 1:last + 1], strict=True)
            separators = {text[left[1]:right[0]] for left, right in pairs}
            digits = _digits(text[start:end])
            if len(digits) > 19:
                break
            if (len(digits) >= 13 and len(separators) <= 1 and luhn.is_valid(digits)
                    and (best is None or end - start > best[1] - best[0])):
                best = (start, end)
    return best


def _national_ids(text: str, regions: tuple[str, ...]) -> list[Span]:
    return [m.span() for m in _ELEVEN_DIGITS.finditer(text)
            if isikukood.is_valid(m.group(0)) or pesel.is_valid(m.group(0))]


def _phones(text: str, regions: tuple[str, ...]) -> list[Span]:
    if len(_digits(text)) < _PHONE_DIGITS:
        return []  # none can be a phone (see _is_phone); the matcher costs 0.1 ms a region
    found: dict[Span, bool] = {}
    for region in regions:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            span = (match.start, match.end)
            found[span] = found.get(span, False) or phonenumbers.is_valid_number(match.number)
    return [span for span, valid in found.items() if _is_phone(text, span, valid)]


#: The fewest digits a phone number is taken to have.
_PHONE_DIGITS = 7


def _is_phone(text: str, span: Span, valid: bool) -> bool:
    raw = text[span[0]:span[1]]
    digits = _digits(raw)
    if len(digits) < _PHONE_DIGITS or _DATE.fullmatch(raw.strip()) or _is_amount(text, *span):
        return False
    if _REFERENCE.search(text[max(0, span[0] - 30):span[0]]):
        return False
    if raw.startswith("+") or valid:
        return True
    # Not valid in any of the team's regions, but shaped like a number someone dials:
    # ten digits (555 123 4567), or a grouped number with nine digits or more.
    return len(digits) == 10 or (len(digits) >= 9 and not raw.isdigit())


def _is_amount(text: str, start: int, end: int) -> bool:
    return bool(_CURRENCY_BEFORE.search(text[max(0, start - 5):start])
                or _CURRENCY_AFTER.search(text[end:end + 5]))


Finder = Callable[[str, tuple[str, ...]], list[Span]]

# Order matters: the most specific kinds claim their spans first.
_KINDS: list[tuple[str, Finder]] = [
    ("EMAIL", _emails),
    ("IBAN", _ibans),
    ("CARD", _cards),
    ("ID", _national_ids),
    ("PHONE", _phones),
]


@dataclass
class Redaction:
    """Placeholders handed out so far and the values they stand for.

    ``regions`` are where numbers without a country code are assumed to be dialled; use
    :func:`phone_regions` with the guidelines' languages.
    """

    regions: tuple[str, ...] = field(default_factory=lambda: phone_regions(PHONE_REGIONS))
    values: dict[str, str] = field(default_factory=dict)

    def redact(self, text: str) -> str:
        """Replace personal data in ``text`` with placeholders (the same value, the same one)."""
        for kind, find in _KINDS:
            taken = [m.span() for m in _PLACEHOLDER.finditer(text)]
            spans = [s for s in find(text, self.regions) if not _overlaps(s, taken)]
            text = self._replace(text, kind, _without_overlaps(spans))
        return text

    def restore(self, text: str) -> str:
        """Put the original values back in place of their placeholders."""
        return _PLACEHOLDER.sub(lambda m: self.values.get(m.group(0), m.group(0)), text)

    def _replace(self, text: str, kind: str, spans: list[Span]) -> str:
        pieces, last = [], 0
        for start, end in spans:
            pieces += [text[last:start], self._placeholder(kind, text[start:end])]
            last = end
        return "".join(pieces) + text[last:]

    def _placeholder(self, kind: str, value: str) -> str:
        for placeholder, known in self.values.items():
            if known == value:
                return placeholder
        count = sum(1 for p in self.values if p.startswith(f"[{kind}_"))
        placeholder = f"[{kind}_{count + 1}]"
        self.values[placeholder] = value
        return placeholder


def _overlaps(span: Span, others: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Left to right, longest first where two overlap."""
    kept: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if not _overlaps(span, kept):
            kept.append(span)
    return kept
