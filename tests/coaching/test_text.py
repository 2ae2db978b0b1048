"""Sentences keep their exact offsets, and an ordinal date does not end a sentence."""

from __future__ import annotations

from bot.coaching.text import sentences


def test_sentences_keep_their_offsets():
    text = "Hi Anna,\nThe parcel left today.  It arrives on Friday!"
    assert [(s.text, text[s.start:s.end]) for s in sentences(text)] == [
        ("Hi Anna,", "Hi Anna,"),
        ("The parcel left today.", "The parcel left today."),
        ("It arrives on Friday!", "It arrives on Friday!"),
    ]


def test_an_ordinal_date_stays_inside_its_sentence():
    assert [s.text for s in sentences("Pakett hakkab kehtima 1. aprillil. Aitäh!")] == [
        "Pakett hakkab kehtima 1. aprillil.", "Aitäh!"]
    assert [s.text for s in sentences("Zamówienie nr 12. Dostawa 5. marca.")] == [
        "Zamówienie nr 12.", "Dostawa 5. marca."]


def test_a_number_at_the_end_of_a_line_still_ends_the_sentence():
    assert [s.text for s in sentences("Rooms left: 3.\nsee you soon")] == [
        "Rooms left: 3.", "see you soon"]


def test_a_title_or_street_abbreviation_does_not_end_the_sentence():
    assert [s.text for s in sentences("Магазин (вул. Хрещатик, 22) працює до 21:00. Дякую!")] == [
        "Магазин (вул. Хрещатик, 22) працює до 21:00.", "Дякую!"]
    assert [s.text for s in sentences("Mr. Smith called back. It is fixed.")] == [
        "Mr. Smith called back.", "It is fixed."]
    assert [s.text for s in sentences("Odbiór: ul. Długa 5. Zapraszamy!")] == [
        "Odbiór: ul. Długa 5.", "Zapraszamy!"]


def test_a_short_answer_still_ends_its_sentence():
    assert [s.text for s in sentences("Were you charged twice? No. The second line is a hold.")] \
        == ["Were you charged twice?", "No.", "The second line is a hold."]
