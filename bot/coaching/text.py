"""Small text helpers shared by the reviewers: sentences, facts and tidying."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"[^\n]+?(?:[.!?…]+(?=\s|$)|(?=\n)|$)")
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
    """Split ``text`` into sentences, keeping each one's offset; blank pieces are skipped."""
    found = []
    for match in _SENTENCE.finditer(text):
        piece = match.group(0)
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            found.append(Sentence(piece.strip(), match.start() + lead))
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
