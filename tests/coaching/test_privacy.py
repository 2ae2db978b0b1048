"""Personal data is masked before the model sees it and restored in the rewrite."""

import pytest

from bot.coaching.privacy import Redaction


@pytest.mark.parametrize(("value", "kind"), [
    ("anna.k@example.com", "EMAIL"),
    ("+372 5123 4567", "PHONE"),
    ("+48 601 234 567", "PHONE"),
    ("4111 1111 1111 1111", "CARD"),
    ("EE38 2200 2210 2014 5685", "IBAN"),
    ("PL61109010140000071219812874", "IBAN"),
    ("37605030299", "ID"),  # Estonian isikukood
    ("44051401359", "ID"),  # Polish PESEL
])
def test_personal_data_is_replaced_and_restored(value, kind):
    redaction = Redaction()
    masked = redaction.redact(f"Contact: {value}. Thanks!")
    assert value not in masked
    assert f"[{kind}_1]" in masked
    assert redaction.restore(masked) == f"Contact: {value}. Thanks!"


@pytest.mark.parametrize("text", [
    "Order #48213 of €19.99 on 12.03.2026",
    "Invoice 2026-03-12, ORD-2291",
    "Card ending 1234",
    "Number 4111 1111 1111 1112 fails the Luhn check",
    "Not an id: 12345678901",
])
def test_ordinary_numbers_are_left_alone(text):
    assert Redaction().redact(text) == text


def test_the_same_value_gets_the_same_placeholder():
    redaction = Redaction()
    masked = redaction.redact("a@b.ee and again a@b.ee, then c@d.ee")
    assert masked == "[EMAIL_1] and again [EMAIL_1], then [EMAIL_2]"
