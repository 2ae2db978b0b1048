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
