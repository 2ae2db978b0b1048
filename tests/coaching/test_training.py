"""Labelled whole drafts as training rows: every sentence a negative for the guidelines the
draft does not break, and one positive for a guideline it does."""

from __future__ import annotations

from bot.coaching.detector import load_detector
from bot.coaching.evaluate import LabelledDraft
from bot.coaching.guidelines import load_guidelines
from bot.coaching.training import DRAFT_NEGATIVE_WEIGHT, draft_rows, read_drafts

DRAFT = LabelledDraft(
    draft="Hi Anna,\n\nThe parcel left our warehouse on Monday. If you don't like our couriers, "
          "nobody is forcing you to order from us. Tracking: 4471.",
    needs_work=True,
    violations=("stay-calm", "empathy"),
    language="en",
)


def test_a_good_drafts_sentences_are_negatives_for_every_guideline():
    guidelines = load_guidelines()
    good = LabelledDraft(draft="The parcel left on Monday. Tracking number is 4471.",
                         needs_work=False, language="en")
    for guideline in guidelines.guidelines:
        rows = draft_rows([good], guideline, first=None)
        assert {(r.text, r.target, r.weight) for r in rows} == {
            ("The parcel left on Monday.", False, DRAFT_NEGATIVE_WEIGHT),
            ("Tracking number is 4471.", False, DRAFT_NEGATIVE_WEIGHT)}


def test_the_sentence_that_breaks_the_guideline_becomes_its_positive():
    guidelines = load_guidelines()
    first = load_detector(guidelines)
    rows = draft_rows([DRAFT], guidelines["stay-calm"], first)
    assert [(r.text, r.target) for r in rows] == [
        ("If you don't like our couriers, nobody is forcing you to order from us.", True)]
    # A guideline the draft does not break learns from its sentences as negatives (those of
    # three words or more: the greeting and "Tracking: 4471." are left out).
    ownership = draft_rows([DRAFT], guidelines["ownership"], first)
    assert [(r.text, r.target) for r in ownership] == [
        ("The parcel left our warehouse on Monday.", False),
        ("If you don't like our couriers, nobody is forcing you to order from us.", False)]


def test_a_missing_kind_of_guideline_gets_no_positive_sentence():
    """Empathy is broken by what a draft lacks; no sentence of it is the violation."""
    guidelines = load_guidelines()
    assert draft_rows([DRAFT], guidelines["empathy"], load_detector(guidelines)) == []


def test_drafts_are_read_from_the_corpus_drafts_folder(tmp_path):
    assert read_drafts(tmp_path) == []
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "a.jsonl").write_text(
        '{"draft": "Thanks, done.", "needs_work": false, "language": "en"}\n', encoding="utf-8")
    assert [d.draft for d in read_drafts(tmp_path)] == ["Thanks, done."]
