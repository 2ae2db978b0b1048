"""Personal data is masked before the model sees it and restored in the rewrite."""

from __future__ import annotations

import json
import re

import pytest

from bot.coaching.coach import Coach
from bot.coaching.guidelines import load_guidelines
from bot.coaching.llm import LLMReviewer, ModelSettings
from bot.coaching.privacy import Redaction, phone_regions
from bot.coaching.prompts import load_prompts
from tests.fakes.http import Request
from tests.fakes.openai_api import FakeOpenAI, review_reply

PERSONAL = [
    ("anna.k@example.com", "EMAIL"),
    ("ANNA+billing@Example.co.uk", "EMAIL"),
    # Phones: international, national in each team language's region, bare and grouped.
    ("+372 5123 4567", "PHONE"),
    ("+48 601 234 567", "PHONE"),
    ("+44 20 7946 0958", "PHONE"),
    ("+7 912 345-67-89", "PHONE"),
    ("+380 67 123 4567", "PHONE"),
    ("5551234567", "PHONE"),
    ("(555) 123-4567", "PHONE"),
    ("555-123-4567", "PHONE"),
    ("020 7946 0958", "PHONE"),
    ("8 (912) 345-67-89", "PHONE"),
    ("067 123 4567", "PHONE"),
    ("5123 4567", "PHONE"),
    ("601 234 567", "PHONE"),
    # Cards in every separator style, Luhn-checked.
    ("4111 1111 1111 1111", "CARD"),
    ("4111.1111.1111.1111", "CARD"),
    ("4111-1111-1111-1111", "CARD"),
    ("4111/1111/1111/1111", "CARD"),
    ("4111111111111111", "CARD"),
    ("5555 5555 5555 4444", "CARD"),
    ("3782 822463 10005", "CARD"),
    ("378282246310005", "CARD"),
    # IBANs in any case and spacing.
    ("EE38 2200 2210 2014 5685", "IBAN"),
    ("ee382200221020145685", "IBAN"),
    ("Ee38 2200 2210 2014 5685", "IBAN"),
    ("PL61109010140000071219812874", "IBAN"),
    ("pl61 1090 1014 0000 0712 1981 2874", "IBAN"),
    ("GB82 WEST 1234 5698 7654 32", "IBAN"),
    ("DE89-3704-0044-0532-0130-00", "IBAN"),
    # Estonian isikukood and Polish PESEL, alone or glued to a prefix.
    ("37605030299", "ID"),
    ("44051401359", "ID"),
]
GLUED = [
    ("IK37605030299", "37605030299"),
    ("isikukood:37605030299", "37605030299"),
    ("PESEL44051401359", "44051401359"),
    ("PESEL: 44051401359", "44051401359"),
    ("nr PESEL 44051401359", "44051401359"),
]
ORDINARY = [
    "Order #48213 of €19.99 on 12.03.2026",
    "Invoice 2026-03-12, ORD-2291",
    "Card ending 1234",
    "Number 4111 1111 1111 1112 fails the Luhn check",
    "Not an id: 12345678901",
    "PESEL 44051401358 has a wrong checksum",
    "IBAN EE38 2200 2210 2014 5686 has wrong check digits",
    "Order 4821309911 ships today",
    "order number 4821309911 ships today",
    "Ticket #5551234567 is closed",
    "заказ № 9123456789 отправлен",
    "zamówienie nr 601234567 zostało wysłane",
    "tellimus 51234567 on teel",
    "Total: €1 250 000",
    "1 250 000 EUR in total",
    "$1,234.56 refunded",
    "12 500 руб возвращено",
    "1 234,56 zł zwrotu",
    "on 12.03.2026 at 14:30",
    "between 2026-03-12 and 2026-04-12",
    "version 1.2.3.4 of the app",
    "tracking 1Z999AA10123456784",
    "we refunded 3 of 12 items within 5 days",
]


@pytest.mark.parametrize(("value", "kind"), PERSONAL, ids=[v for v, _ in PERSONAL])
def test_personal_data_is_replaced_and_restored(value, kind):
    redaction = Redaction()
    masked = redaction.redact(f"Contact: {value}. Thanks!")
    assert value not in masked
    assert masked == f"Contact: [{kind}_1]. Thanks!"
    assert redaction.restore(masked) == f"Contact: {value}. Thanks!"


@pytest.mark.parametrize(("text", "number"), GLUED, ids=[t for t, _ in GLUED])
def test_identity_codes_glued_to_a_prefix_are_masked(text, number):
    redaction = Redaction()
    masked = redaction.redact(f"My code is {text}, please check.")
    assert number not in masked and "[ID_1]" in masked
    assert redaction.restore(masked) == f"My code is {text}, please check."


@pytest.mark.parametrize("text", ORDINARY)
def test_order_numbers_amounts_and_dates_are_left_alone(text):
    assert Redaction().redact(text) == text


def test_the_table_covers_at_least_forty_formats():
    assert len(PERSONAL) + len(GLUED) + len(ORDINARY) >= 40


def test_the_same_value_gets_the_same_placeholder():
    redaction = Redaction()
    masked = redaction.redact("a@b.ee and again a@b.ee, then c@d.ee")
    assert masked == "[EMAIL_1] and again [EMAIL_1], then [EMAIL_2]"


def test_phone_regions_follow_the_guidelines_languages():
    assert phone_regions(load_guidelines().languages) == ("US", "GB", "RU", "PL", "EE", "UA")
    # A bare Estonian mobile number is only a phone number where Estonia is a default region.
    assert Redaction(phone_regions(["et"])).redact("call 5123 4567") == "call [PHONE_1]"
    assert Redaction(phone_regions(["en"])).redact("call 5123 4567") == "call 5123 4567"


# --- through the real LLM reviewer and a fake model on loopback --------------------------
def echo_the_draft(request: Request) -> object:
    """A model that rewrites by thanking the customer and repeating the draft it was sent."""
    user = request.json["messages"][1]["content"]
    draft = json.loads(user[user.index("{"):])["draft"]
    return review_reply(verdict="needs_work", language="en", findings=[],
                        rewrite=f"Thank you for waiting. {draft}")


@pytest.fixture(scope="module")
def model():
    with FakeOpenAI(default=echo_the_draft) as server:
        yield server


@pytest.fixture(scope="module")
def coach(model):
    guidelines = load_guidelines()
    settings = ModelSettings(model="fake-model", base_url=model.base_url, api_key="sk-test",
                             request_timeout=2.0, deadline=4.0)
    return Coach(guidelines, LLMReviewer(guidelines, load_prompts(), settings))


EVERY_VALUE = [value for value, _ in PERSONAL] + [text for text, _ in GLUED]


@pytest.mark.parametrize("value", EVERY_VALUE)
def test_the_model_never_sees_the_value_and_the_rewrite_gets_it_back(model, coach, value):
    draft = f"As I already explained, write to us from {value} and we will sort it out."
    review = coach.review(draft)
    sent = model.requests[-1].body.decode()
    digits = re.sub(r"\D", "", value)
    assert value not in sent
    assert len(digits) < 7 or digits not in re.sub(r"\D", "", json.loads(sent)["messages"][1][
        "content"].split("{", 1)[1])
    assert review.engine == "llm"
    assert value in review.rewrite
