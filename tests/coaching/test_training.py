"""Labelled whole drafts as training rows: every sentence a negative for the guidelines the
draft does not break, and one positive for a guideline it does; and the rows of the
``says:`` classifiers."""

from __future__ import annotations

from bot.coaching.corpus import NEUTRAL, Corpus, Sentence
from bot.coaching.detector import load_detector
from bot.coaching.evaluate import LabelledDraft
from bot.coaching.guidelines import load_guidelines
from bot.coaching.training import (
    DRAFT_NEGATIVE_WEIGHT,
    draft_customer_rows,
    draft_rows,
    read_drafts,
    says_draft_rows,
    says_rows,
)

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


# --- the ``says:`` classifiers: sentences that say what a guideline asks for ---------------

def _corpus(*sentences: Sentence) -> Corpus:
    return Corpus(sentences=list(sentences))


def test_says_rows_take_the_phrases_as_positives_and_the_violations_as_negatives():
    empathy = load_guidelines()["empathy"]
    heard = Sentence("I'm so sorry this has been such a stressful week for you.", "en",
                     "ownership", False)
    cold = Sentence("Your case is in the queue and will be processed.", "en", "empathy", True)
    greeting = Sentence("Good morning and welcome to the help desk.", "en", NEUTRAL, False)
    other = Sentence("As I said before, the fee is correct.", "en", "dont-argue", True)
    corpus = _corpus(heard, cold, greeting, other)
    mine = {heard.text, cold.text, greeting.text, other.text}
    rows = {(r.text, r.target) for dev in (False, True)
            for r in says_rows(corpus, empathy, dev) if r.text in mine}
    assert rows == {(heard.text, True), (cold.text, False), (greeting.text, False)}
    # Another guideline's violation may well acknowledge the customer: it is left out.
    assert (other.text, False) not in rows


def test_says_rows_include_the_guidelines_own_fix_texts():
    empathy = load_guidelines()["empathy"]
    texts = {r.text for r in says_rows(_corpus(), empathy, dev=False) if r.target}
    assert set(empathy.fix.values()) <= texts


def test_a_draft_that_breaks_the_guideline_said_nothing_of_the_kind():
    guidelines = load_guidelines()
    rows = says_draft_rows([DRAFT], guidelines["empathy"], first=None)
    assert [(r.text, r.target) for r in rows] == [
        ("The parcel left our warehouse on Monday.", False),
        ("If you don't like our couriers, nobody is forcing you to order from us.", False)]


def test_a_fine_draft_lends_its_likeliest_sentence_as_a_positive():
    guidelines = load_guidelines()
    fine = LabelledDraft(
        context="My flight was cancelled and I'm stuck at the airport, I'm really stressed.",
        draft="What a horrible start to your trip, I feel for you. I've rebooked you on the "
              "18:40 flight and emailed the new boarding pass.",
        needs_work=False, language="en")
    rows = says_draft_rows([fine], guidelines["empathy"], load_detector(guidelines))
    assert [(r.text, r.target) for r in rows] == [
        ("What a horrible start to your trip, I feel for you.", True)]
    # Without a first pass to lean on, nothing is guessed.
    assert says_draft_rows([fine], guidelines["empathy"], first=None) == []


# --- customer messages of labelled drafts ------------------------------------------------

def test_a_customer_whose_draft_was_faulted_for_no_empathy_was_upset():
    guidelines = load_guidelines()
    faulted = LabelledDraft(context="The form ate my application twice, I'm losing my mind.",
                            draft="Applications are processed within 5 working days.",
                            needs_work=True, violations=("empathy",), language="en")
    calm = LabelledDraft(context="Can I pay the invoice by bank transfer?",
                         draft="Yes, the account details are on page 2 of the invoice.",
                         needs_work=False, language="en")
    heard = LabelledDraft(context="The app crashed during my exam, I'm devastated.",
                          draft="I'm so sorry, that's awful timing. I've reopened the exam "
                                "for you until Friday.", needs_work=False, language="en")
    rows = draft_customer_rows([faulted, calm, heard], guidelines, "upset",
                               load_detector(guidelines))
    assert [(r.text, r.target) for r in rows] == [(faulted.context, True), (calm.context, False)]
    # The draft that acknowledged the feelings says nothing about how upset the customer was.
    assert heard.context not in {r.text for r in rows}


def test_customer_rows_need_the_first_pass_and_a_guideline_that_asks():
    guidelines = load_guidelines()
    assert draft_customer_rows([DRAFT], guidelines, "upset", first=None) == []
    assert draft_customer_rows([DRAFT], guidelines, "rude", load_detector(guidelines)) == []
