"""Small text helpers shared by the reviewers: sentences, facts and tidying."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"[^\n]+?(?:[.!?…]+(?=\s|$)|(?=\n)|$)")
_ORDINAL_END = re.compile(r"(?<![\d.])\d{1,4}\.$")
# Abbreviations that end with a full stop but hardly ever end a sentence: titles, and the
# parts of a street address ("вул. Хрещатик", "ul. Długa", "Mr. Smith").
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(\[«„\"'])(?:mr|mrs|ms|dr|nr|e\.g|i\.e|vs|approx|ул|вул|просп|им|напр|див|тел|"
    r"кв|буд|ul|al|np|tzw|tj|godz|tel|m\.in|tn|nt|vt|ca|ст)\.$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,:/ -]\d+)*")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CAPITALISED = re.compile(r"(?<=\s)[A-ZА-ЯЁІЇЄҐĄĆĘŁŃÓŚŹŻÕÄÖÜŠŽ][\w-]+")
# Polite pronouns are capitalised mid-sentence in several team languages; they are not names.
_POLITE = frozenset(
    "Вы Вас Вам Вами Ваш Ваша Ваше Ваши Вашего Вашей Вашу Вашим Ваших Ви Вашої Вашого "
    "Pan Pani Pana Panu Panią Panem Państwo Państwa Państwu Te Teie Teile Teid I".split()
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its exact position, so quotes stay exact spans."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences, keeping each one's offset; blank pieces are skipped.

    A number with a full stop before a lowercase word on the same line is an ordinal, not
    the end of a sentence ("1. aprillil", "5. marca"), so the two pieces stay one sentence;
    so do the pieces around a title or street abbreviation ("Mr. Smith", "вул. Хрещатик").
    """
    found: list[Sentence] = []
    for match in _SENTENCE.finditer(text):
        piece = match.group(0)
        if not piece.strip():
            continue
        start = match.start() + len(piece) - len(piece.lstrip())
        sentence = Sentence(piece.strip(), start)
        if found and "\n" not in text[found[-1].end:start] and (
                _ABBREVIATION_END.search(found[-1].text)
                or (_ORDINAL_END.search(found[-1].text) and sentence.text[0].islower())):
            previous = found.pop()
            sentence = Sentence(text[previous.start:sentence.end], previous.start)
        found.append(sentence)
    return found


def numbers(text: str) -> list[str]:
    """Every number in ``text`` (order numbers, amounts, dates), as written."""
    return _NUMBER.findall(text)


def has_facts(text: str) -> bool:
    """True when the text carries something a rewrite must keep: numbers, links, names."""
    if _NUMBER.search(text) or _URL.search(text) or _EMAIL.search(text):
        return True
    return any(word not in _POLITE for word in _CAPITALISED.findall(text))


def tidy(text: str) -> str:
    """Clean up what is left after a phrase was cut out of a sentence."""
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"^[\s,;:—–-]+", "", text)
    text = re.sub(r"([,;:])\s*([.!?])", r"\2", text)
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
