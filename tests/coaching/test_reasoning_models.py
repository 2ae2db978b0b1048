"""Reasoning models: parameters they refuse, token counts, and what reviews cost."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from bot.coaching.costs import Prices, cost_per_1000
from bot.coaching.llm import DEFAULT_MODEL, ModelSettings
from tests.coaching.test_llm import CONTEXT, DRAFT, GOOD_REPLY, make_coach
from tests.fakes.http import Response
from tests.fakes.openai_api import FakeOpenAI, completion, review_reply


def reasoning_reply(**usage: int) -> Response:
    return Response(200, completion(json.dumps(GOOD_REPLY), **usage))


def fresh_model(family: str = "gpt-6-luna") -> str:
    # Refusals are remembered per model for the life of the process; a new name per test
    # keeps one test's memory out of the next.
    return f"{family}-{uuid.uuid4().hex[:8]}"


def test_the_default_model_is_the_current_one():
    assert DEFAULT_MODEL == "gpt-6-luna"
    assert ModelSettings().model == "gpt-6-luna"


def test_a_reasoning_model_gets_effort_none_and_a_temperature_it_accepts():
    with FakeOpenAI(reasoning=True) as fake:
        fake.then(reasoning_reply(reasoning_tokens=0))
        review = make_coach(fake, model=fresh_model()).review(DRAFT, CONTEXT)
        body = fake.completions[0].json
    assert review.engine == "llm"
    assert body["reasoning_effort"] == "none"
    assert body["temperature"] == 0.2
    assert body["max_completion_tokens"] == 4096
    assert len(fake.completions) == 1


def test_with_more_effort_no_temperature_is_sent():
    with FakeOpenAI(reasoning=True) as fake:
        fake.then(reasoning_reply(reasoning_tokens=40))
        review = make_coach(fake, model=fresh_model(), reasoning_effort="low").review(DRAFT)
        body = fake.completions[0].json
    assert review.engine == "llm"
    assert body["reasoning_effort"] == "low" and "temperature" not in body


def test_a_refused_temperature_is_dropped_remembered_and_logged_once(caplog):
    model = fresh_model("o4-mini")
    with FakeOpenAI(reasoning=True, refuse_temperature="always") as fake:
        fake.default = lambda request: reasoning_reply(reasoning_tokens=10)
        coach = make_coach(fake, model=model)
        with caplog.at_level(logging.WARNING, logger="bot"):
            first = coach.review(DRAFT, CONTEXT)
            second = coach.review("A different draft, as I already explained.", CONTEXT)
        sent = [r.json for r in fake.completions]
    assert first.engine == second.engine == "llm"
    # The first request is refused (400), its retry goes without temperature, and the next
    # review never sends it again.
    assert ["temperature" in body for body in sent] == [True, False, False]
    warnings = [r.getMessage() for r in caplog.records if "temperature" in r.getMessage()]
    assert len(warnings) == 1 and model in warnings[0]


def test_an_endpoint_that_refuses_reasoning_effort_is_asked_without_it():
    with FakeOpenAI(reasoning=True, unsupported=("reasoning_effort",)) as fake:
        fake.default = lambda request: reasoning_reply()
        review = make_coach(fake, model=fresh_model("gpt-5-nano")).review(DRAFT)
        sent = [r.json for r in fake.completions]
    assert review.engine == "llm"
    # Without an effort the model reasons at its default, where it refuses a temperature
    # too: each refusal costs one request, once.
    assert [("reasoning_effort" in b, "temperature" in b) for b in sent] == [
        (True, True), (False, True), (False, False)
    ]


def test_a_bad_request_for_another_reason_is_not_retried_without_parameters():
    with FakeOpenAI() as fake:
        fake.default = lambda request: Response(400, {"error": {
            "message": "messages: too long", "type": "invalid_request_error",
            "param": "messages", "code": None}})
        review = make_coach(fake, model=fresh_model()).review(DRAFT)
    assert review.engine == "offline"
    assert len(fake.completions) == 1


def test_a_local_model_gets_no_reasoning_effort():
    with FakeOpenAI() as fake:
        fake.then(review_reply(**GOOD_REPLY))
        make_coach(fake, model="llama3.1:8b").review(DRAFT)
        body = fake.completions[0].json
    assert "reasoning_effort" not in body and body["temperature"] == 0.2


def test_reasoning_and_cached_tokens_are_counted_apart():
    with FakeOpenAI(reasoning=True) as fake:
        fake.then(Response(200, completion(json.dumps(GOOD_REPLY), 900, 150,
                                           reasoning_tokens=90, cached_tokens=800)))
        review = make_coach(fake, model=fresh_model(), reasoning_effort="low").review(DRAFT)
    assert (review.prompt_tokens, review.cached_tokens) == (900, 800)
    assert (review.completion_tokens, review.reasoning_tokens) == (150, 90)


def test_cost_per_thousand_reviews_uses_the_configured_prices():
    prices = Prices(input=0.10, cached_input=0.01, output=0.50)
    # 100 fresh + 800 cached prompt tokens, 150 output tokens (reasoning included):
    # (100 * 0.10 + 800 * 0.01 + 150 * 0.50) / 1e6 dollars per review.
    with FakeOpenAI() as fake:
        fake.then(Response(200, completion(json.dumps(GOOD_REPLY), 900, 150,
                                           reasoning_tokens=90, cached_tokens=800)))
        review = make_coach(fake, model=fresh_model()).review(DRAFT)
    assert cost_per_1000([review], prices) == pytest.approx(1000 * 93 / 1e6)
    assert cost_per_1000([], prices) == 0
