"""The training corpus under ``prompts/corpus/``: reading, cleaning and the train/dev split.

Sentence files are ``<lang>/<guideline-id>.jsonl`` with lines ``{"text", "label"}`` (label
``violation`` or ``benign``); ``<lang>/neutral.jsonl`` holds ordinary agent sentences
(greetings, instructions, confirmations) that break no guideline, every line ``benign``, and
each is a negative example for every guideline; customer files are ``<lang>/customer.jsonl``
with lines ``{"text", "upset", "feedback", "rude"}``. Lines that cannot be trusted are dropped and
counted, never silently: not JSON, a missing or wrong field, outside 3-40 words (1-120 for
customer messages), plainly in another language than their folder (other alphabet, or
Russian-only letters in Ukrainian and the reverse), a repeat of an earlier text (after case
and spacing are folded), or a text labelled both ways. Lines a reviewer rejected
(mislabelled, not a support sentence) are listed in ``review.jsonl`` with the reason, and
dropped too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot import PROMPTS_DIR
from bot.coaching.language import language_score
from bot.datafile import LANGUAGES

DEFAULT_CORPUS = PROMPTS_DIR / "corpus"
LABELS = ("violation", "benign")
#: One line in DEV_SHARE goes to the dev split, chosen by a hash of its text.
DEV_SHARE = 5
#: The file of sentences that break no guideline at all.
NEUTRAL = "neutral"


@dataclass(frozen=True)
class Sentence:
    text: str
    lang: str
    guideline: str
    violation: bool


@dataclass(frozen=True)
class CustomerMessage:
    text: str
    lang: str
    upset: bool
    feedback: bool
    rude: bool


@dataclass
class Corpus:
    sentences: list[Sentence] = field(default_factory=list)
    customers: list[CustomerMessage] = field(default_factory=list)
    kept: Counter = field(default_factory=Counter)  # (lang, file stem, label) -> lines
    dropped: Counter = field(default_factory=Counter)  # reason -> lines

    def summary(self) -> str:
        """Lines kept per language and file, and lines dropped per reason."""
        files = sorted({(lang, stem) for lang, stem, _ in self.kept})
        lines = ["lang  file                 violation  benign"]
        for lang, stem in files:
            if stem == "customer":
                lines.append(f"{lang:<5} {stem:<20} {self.kept[lang, stem, 'message']:>9}"
                             "  (messages)")
            elif stem == "drafts":
                lines.append(f"{lang:<5} {stem:<20} {self.kept[lang, stem, 'labelled']:>9}"
                             "  (whole drafts, labelled)")
            else:
                lines.append(f"{lang:<5} {stem:<20} {self.kept[lang, stem, 'violation']:>9}  "
                             f"{self.kept[lang, stem, 'benign']:>6}")
        dropped = ", ".join(f"{reason}: {n}" for reason, n in sorted(self.dropped.items()))
        lines.append(f"dropped {sum(self.dropped.values())} lines ({dropped or 'none'})")
        return "\n".join(lines)


def is_dev(text: str) -> bool:
    """The deterministic split: a stable hash of the text decides, whatever the file order."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return digest[0] % DEV_SHARE == 0


def _key(text: str) -> str:
    return " ".join(text.lower().split())


_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_LATIN = re.compile(r"[a-zäöüõąćęłńóśźżšž]", re.IGNORECASE)
#: Letters one of the two Cyrillic team languages has and the other does not.
_FOREIGN_LETTERS = {"uk": re.compile(r"[ыэъё]", re.IGNORECASE),
                    "ru": re.compile(r"[іїєґ]", re.IGNORECASE)}


def _wrong_language(text: str, lang: str) -> bool:
    """True when a line is plainly not in its folder's language: the other alphabet, or, for
    Russian and Ukrainian, the other's own letters or more of its common words. Latin-script
    word lists are too weak a test for short sentences, so nothing subtler is held against
    an English, Polish or Estonian line."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if lang in ("ru", "uk"):
        if latin > cyrillic or _FOREIGN_LETTERS[lang].search(text):
            return True
        # Common words of the other language outweigh this one's ("уже" is not Ukrainian).
        other = "uk" if lang == "ru" else "ru"
        theirs = language_score(other, text)
        return theirs >= 1 and theirs > language_score(lang, text)
    return cyrillic > latin


def _rejected(folder: Path) -> set[tuple[str, str, str]]:
    """Lines a reviewer rejected: ``review.jsonl`` lists {"lang", "file", "text", "reason"}.

    The corpus files stay as their writers left them; the review decisions are data too.
    """
    path = folder / "review.jsonl"
    if not path.exists():
        return set()
    rejected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rejected.add((row["lang"], row["file"], _key(row["text"])))
    return rejected


def read_corpus(folder: Path = DEFAULT_CORPUS, guideline_ids: list[str] | None = None) -> Corpus:
    """Read every corpus file in ``folder`` (only guidelines in ``guideline_ids``, if given)."""
    corpus = Corpus()
    rejected = _rejected(folder)
    labels: dict[tuple[str, str], set[bool]] = {}
    rows: list[Sentence] = []
    seen: set[tuple[str, str, str]] = set()
    for lang in LANGUAGES:
        directory = folder / lang
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.jsonl")):
            stem = path.stem
            if stem not in ("customer", NEUTRAL) and guideline_ids is not None \
                    and stem not in guideline_ids:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                if _is_rejected(line, lang, stem, rejected):
                    corpus.dropped["rejected in review (review.jsonl)"] += 1
                    continue
                if stem == "customer":
                    _read_customer(line, lang, corpus, seen)
                    continue
                sentence = _read_sentence(line, lang, stem, corpus, seen)
                if sentence:
                    rows.append(sentence)
                    labels.setdefault((stem, _key(sentence.text)), set()).add(sentence.violation)
    # A "neutral" sentence that a guideline file calls a violation is labelled both ways.
    violations = {key for (_, key), found in labels.items() if True in found}
    for sentence in rows:
        key = _key(sentence.text)
        if len(labels[sentence.guideline, key]) > 1 or \
                (sentence.guideline == NEUTRAL and key in violations):
            corpus.dropped["labelled both ways"] += 1
            continue
        corpus.sentences.append(sentence)
        label = "violation" if sentence.violation else "benign"
        corpus.kept[sentence.lang, sentence.guideline, label] += 1
    return corpus


def _is_rejected(line: str, lang: str, stem: str, rejected: set) -> bool:
    try:
        text = json.loads(line)["text"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return False
    return isinstance(text, str) and (lang, stem, _key(text)) in rejected


def _read_sentence(
    line: str, lang: str, stem: str, corpus: Corpus, seen: set
) -> Sentence | None:
    try:
        row = json.loads(line)
        text, label = row["text"], row["label"]
    except (json.JSONDecodeError, KeyError, TypeError):
        corpus.dropped["not a valid line"] += 1
        return None
    neutral_but_flagged = stem == NEUTRAL and label != "benign"
    if not isinstance(text, str) or label not in LABELS or neutral_but_flagged:
        corpus.dropped["not a valid line"] += 1
        return None
    text = text.strip()
    if not 3 <= len(text.split()) <= 40:
        corpus.dropped["length outside 3-40 words"] += 1
        return None
    if _wrong_language(text, lang):
        corpus.dropped["another language"] += 1
        return None
    key = (stem, label, _key(text))
    if key in seen:
        corpus.dropped["duplicate"] += 1
        return None
    seen.add(key)
    return Sentence(text, lang, stem, label == "violation")


def _read_customer(line: str, lang: str, corpus: Corpus, seen: set) -> None:
    try:
        row = json.loads(line)
        text = row["text"].strip()
        flags = {name: row[name] for name in ("upset", "feedback", "rude")}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        corpus.dropped["not a valid line"] += 1
        return
    if not all(isinstance(v, bool) for v in flags.values()):
        corpus.dropped["not a valid line"] += 1
        return
    if not 1 <= len(text.split()) <= 120:
        corpus.dropped["customer message length"] += 1
        return
    if _wrong_language(text, lang):
        corpus.dropped["another language"] += 1
        return
    key = ("customer", "", _key(text))
    if key in seen:
        corpus.dropped["duplicate"] += 1
        return
    seen.add(key)
    corpus.customers.append(CustomerMessage(text, lang, **flags))
    corpus.kept[lang, "customer", "message"] += 1
