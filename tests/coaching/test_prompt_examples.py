"""The model sees the team's examples and replacement wordings, one stable prompt per language."""

from __future__ import annotations

from bot.coaching.guidelines import load_guidelines
from tests.coaching.test_llm import GOOD_REPLY, fake, make_coach  # noqa: F401 - fixture
from tests.fakes.openai_api import review_reply


def _system(request) -> str:
    return next(m["content"] for m in request.json["messages"] if m["role"] == "system")


def test_the_system_prompt_carries_the_examples_of_the_drafts_language(fake):  # noqa: F811
    guidelines = load_guidelines()
    fake.then(review_reply(**GOOD_REPLY), review_reply(**{**GOOD_REPLY, "language": "ru"}))
    coach = make_coach(fake)
    coach.review("As I already explained, the refund went out on Monday.")
    coach.review("Как я уже писала, возврат отправлен в понедельник.")
    english, russian = (_system(r) for r in fake.completions)
    for guideline in guidelines.guidelines:
        for example in guideline.examples:
            if example.lang == "en":
                assert example.bad in english and example.good in english
                assert example.good not in russian
            if example.lang == "ru":
                assert example.good in russian and example.good not in english
    assert "Напомню, " in russian  # the Russian replacement wording of dont-argue
    assert "To recap, " in english


def test_the_system_prompt_is_identical_for_every_draft_in_a_language(fake):  # noqa: F811
    fake.then(*(review_reply(**GOOD_REPLY) for _ in range(2)))
    coach = make_coach(fake)
    coach.review("That's how our billing works, the xylophone was charged twice.")
    coach.review("Please contact the courier yourself about the zeppelin.", "Where is it?")
    first, second = (_system(r) for r in fake.completions)
    assert first == second
    assert "xylophone" not in first and "zeppelin" not in first
