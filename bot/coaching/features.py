"""Features of a sentence that survive inflection: hashed character n-grams.

One function turns text into feature indices, and both `tone-coach train` and the running
detector call it, so the model scores exactly what it was trained on. Each word, padded with
spaces, gives its character n-grams (3 to 5 letters): "написала" and "написал" share most of
theirs, so a feminine or past form scores close to the form the corpus had. Word pairs add a
little word order ("as per", "you forgot"). Slack emoji and text smileys become words of
their own (":clap:" after a jab is sarcasm). Everything is hashed with CRC-32 (stable across
processes and machines, unlike ``hash()``) into a fixed number of buckets.

:func:`feature_rows` does a whole draft's sentences at once, so the detector makes one numpy
gather and one sum per draft instead of one per sentence.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from itertools import chain

import numpy as np

#: Version of this function; a model trained with another version is refused.
FEATURES_VERSION = 3
#: Hash buckets: large enough that few useful n-grams collide, small enough to ship.
DIMENSION = 2**18
NGRAMS = (3, 4, 5)

_MARKUP = re.compile(r"<[^>\s]+>|https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_EMOJI = re.compile(r":([a-z][a-z0-9_+-]*):")
# The look-behind comes after the colon so the regex engine can scan for [:;] quickly.
_SMILEY = re.compile(r"[:;](?<!\w[:;])-?[()dp](?!\w)")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\?|!{2,}|\x00\w+", re.UNICODE)


def normalize(text: str) -> list[str]:
    """The words of ``text``: lowercased, digits folded to 0, links and mentions dropped.

    ``?`` and ``!!`` stay as words of their own (rhetorical questions, shouting matter); a
    single ``!`` does not: "Thanks for your patience!" is warm, and a corpus whose only
    exclamations are sarcastic would teach the opposite.
    """
    text = text.lower()
    if "<" in text or "@" in text or "://" in text:  # what every _MARKUP match contains
        text = _MARKUP.sub(" ", text)
    if ":" in text or ";" in text:
        # An emoji or smiley is one word, marked so it never hashes like a real word.
        text = _EMOJI.sub(lambda m: " \x00" + m.group(1).replace("-", "_") + " ", text)
        text = _SMILEY.sub(" \x00smiley ", text)
    text = _DIGITS.sub("0", text.replace("ё", "е"))
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


def _all_features(text: str) -> list[int]:
    """Every feature of ``text``, repeats included."""
    words = normalize(text)
    found = list(chain.from_iterable(map(_word_features, words)))
    found.extend(map(_pair_feature, words, words[1:]))
    if _SHOUTED_PAIR.search(text):  # two capitalised words in a row: shouting
        found.append(_SHOUTING)
    return found


def feature_indices(text: str) -> np.ndarray:
    """Unique feature indices of ``text`` (each feature counts once), in no set order."""
    unique = set(_all_features(text))
    return np.fromiter(unique, dtype=np.int64, count=len(unique))


def feature_rows(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The unique features of several texts at once: ``(features, sizes)``.

    ``features`` holds each text's features one text after the other, and ``sizes[i]`` how
    many belong to text ``i`` (0 for a text with none). The same features as
    :func:`feature_indices`, in one array, for one numpy gather instead of one per sentence.
    """
    unique = [set(_all_features(text)) for text in texts]
    sizes = [len(features) for features in unique]
    if not any(sizes):
        return np.zeros(0, dtype=np.int64), np.zeros(len(texts), dtype=np.int64)
    features = np.concatenate([np.fromiter(f, dtype=np.int64, count=len(f)) for f in unique])
    return features, np.array(sizes, dtype=np.int64)
