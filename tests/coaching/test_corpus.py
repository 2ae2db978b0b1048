"""Reading the training corpus: what is kept, what is dropped and why, and the split."""

from __future__ import annotations

import json

from bot.coaching.corpus import DEFAULT_CORPUS, is_dev, read_corpus
from bot.datafile import LANGUAGES


def write(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in rows) + "\n", encoding="utf-8")


def test_untrustworthy_lines_are_dropped_and_counted(tmp_path):
    write(tmp_path / "uk" / "dont-argue.jsonl", [
        {"text": "Як я вже писала, повернення відправлено.", "label": "violation"},
        {"text": "Как я уже писала, возврат отправлен.", "label": "violation"},  # Russian
        {"text": "Як я вже писала, повернення відправлено.", "label": "violation"},  # repeat
        {"text": "Дякую, що написали нам сьогодні.", "label": "maybe"},  # no such label
        "{not json",
        {"text": "Так.", "label": "benign"},  # too short
        {"text": "Розумію, чому це виглядає дивно.", "label": "benign"},
        {"text": "Розумію, чому це виглядає дивно.", "label": "violation"},  # both ways
        {"text": "Ви знову все переплутали, читайте уважно.", "label": "violation"},
    ])
    write(tmp_path / "review.jsonl", [
        {"lang": "uk", "file": "dont-argue", "reason": "mislabelled",
         "text": "Ви знову все переплутали, читайте уважно."},
    ])
    corpus = read_corpus(tmp_path)
    assert [s.text for s in corpus.sentences] == ["Як я вже писала, повернення відправлено."]
    assert corpus.dropped == {
        "another language": 1, "duplicate": 1, "not a valid line": 2,
        "length outside 3-40 words": 1, "labelled both ways": 2,
        "rejected in review (review.jsonl)": 1,
    }
    assert "dropped 8 lines" in corpus.summary()


def test_neutral_sentences_are_negatives_for_every_guideline(tmp_path):
    from bot.coaching.guidelines import load_guidelines
    from bot.coaching.training import guideline_rows

    write(tmp_path / "en" / "neutral.jsonl", [
        {"text": "Open Settings and tap Reset password.", "label": "benign"},
        {"text": "Nothing else needs to be done today.", "label": "violation"},  # not allowed
        {"text": "That is simply not true, read it again.", "label": "benign"},
    ])
    write(tmp_path / "en" / "dont-argue.jsonl", [
        {"text": "That is simply not true, read it again.", "label": "violation"},
    ])
    corpus = read_corpus(tmp_path)
    assert [s.text for s in corpus.sentences if s.guideline == "neutral"] == [
        "Open Settings and tap Reset password."]
    assert corpus.dropped == {"not a valid line": 1, "labelled both ways": 1}
    guidelines = load_guidelines()
    for guideline in guidelines.ids:
        rows = guideline_rows(corpus, guidelines, guideline, dev=is_dev(
            "Open Settings and tap Reset password."))
        assert ("Open Settings and tap Reset password.", False) in {
            (r.text, r.target) for r in rows}, guideline


def test_the_split_is_a_stable_fifth_of_the_corpus():
    corpus = read_corpus(DEFAULT_CORPUS)
    dev = [s for s in corpus.sentences if is_dev(s.text)]
    assert 0.15 < len(dev) / len(corpus.sentences) < 0.25
    assert is_dev("Як я вже писала") == is_dev("Як я вже писала")


def test_the_shipped_corpus_has_every_guideline_in_every_language():
    corpus = read_corpus(DEFAULT_CORPUS)
    for lang in LANGUAGES:
        assert corpus.kept[lang, "customer", "message"] >= 120, lang
        for guideline in ("dont-argue", "thank-feedback", "solution-first", "no-blame",
                          "empathy", "ownership", "stay-calm"):
            assert corpus.kept[lang, guideline, "violation"] >= 150, (lang, guideline)
            assert corpus.kept[lang, guideline, "benign"] >= 150, (lang, guideline)
