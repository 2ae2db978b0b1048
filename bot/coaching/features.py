"""Features of a sentence that survive inflection: hashed character n-grams.

One function turns text into feature indices, and both `tone-coach train` and the running
detector call it, so the model scores exactly what it was trained on. Each word, padded with
spaces, gives its character n-grams (3 to 5 letters): "написала" and "написал" share most of
theirs, so a feminine or past form scores close to the form the corpus had. Word pairs add a
little word order ("as per", "you forgot"). Everything is hashed with CRC-32 (stable across
processes and machines, unlike ``hash()``) into a fixed number of buckets.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

import numpy as np

#: Version of this function; a model trained with another version is refused.
FEATURES_VERSION = 2
#: Hash buckets: large enough that few useful n-grams collide, small enough to ship.
DIMENSION = 2**18
NGRAMS = (3, 4, 5)

_MARKUP = re.compile(r"<[^>\s]+>|https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|:[a-z0-9_+-]+:")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\?|!{2,}", re.UNICODE)


def normalize(text: str) -> list[str]:
    """The words of ``text``: lowercased, digits folded to 0, links and mentions dropped.

    ``?`` and ``!!`` stay as words of their own (rhetorical questions, shouting matter); a
    single ``!`` does not: "Thanks for your patience!" is warm, and a corpus whose only
    exclamations are sarcastic would teach the opposite.
    """
    text = _MARKUP.sub(" ", text)
    text = _DIGITS.sub("0", text.lower().replace("ё", "е"))
    return _WORD.findall(text)


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % DIMENSION


@lru_cache(maxsize=200_000)
def _word_features(word: str) -> tuple[int, ...]:
    padded = f" {word} "
    grams = {padded[i:i + n] for n in NGRAMS for i in range(len(padded) - n + 1)}
    grams.add(f"w:{word}")
    return tuple(_bucket(gram) for gram in grams)


@lru_cache(maxsize=200_000)
def _pair_feature(first: str, second: str) -> int:
    return _bucket(f"b:{first} {second}")


_LOWER = "a-zа-яёіїєґąćęłńóśźżõäöüšž"
_SHOUTED_PAIR = re.compile(rf"[^\W\d_{_LOWER}]{{2,}}\W+[^\W\d_{_LOWER}]{{2,}}")
_SHOUTING = _bucket("x:shouting")


def feature_indices(text: str) -> np.ndarray:
    """Unique feature indices of ``text`` (each feature counts once), in no set order."""
    words = normalize(text)
    found: list[int] = []
    for word in words:
        found.extend(_word_features(word))
    found.extend(map(_pair_feature, words, words[1:]))
    if _SHOUTED_PAIR.search(text):  # two capitalised words in a row: shouting
        found.append(_SHOUTING)
    unique = set(found)
    return np.fromiter(unique, dtype=np.int64, count=len(unique))
