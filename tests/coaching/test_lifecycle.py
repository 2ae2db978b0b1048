"""Model lifecycle: a warning before a model is retired, one clear line after."""

from __future__ import annotations

from datetime import date

import openai

from bot.coaching.lifecycle import check_model
from tests.coaching.test_llm import DRAFT, make_coach
from tests.fakes.http import Response
from tests.fakes.openai_api import FakeOpenAI

TODAY = date(2026, 11, 30)


def client_for(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)


def test_a_model_shutting_down_within_60_days_gives_a_warning_with_the_replacement():
    models = {"gpt-4o-mini": {"shutdown_date": "2027-01-14", "replacement": "gpt-6-luna"}}
    with FakeOpenAI(models=models) as fake:
        status = check_model(client_for(fake), "gpt-4o-mini", today=TODAY)
    assert status.state == "retiring"
    warning = status.warning(TODAY)
    assert "2027-01-14" in warning and "gpt-6-luna" in warning and "45 days" in warning


def test_a_shutdown_date_further_away_is_no_warning_yet():
    models = {"gpt-6-luna": {"shutdown_date": "2028-06-01"}}
    with FakeOpenAI(models=models) as fake:
        status = check_model(client_for(fake), "gpt-6-luna", today=TODAY)
    assert status.state == "current" and status.warning(TODAY) is None


def test_a_model_with_no_shutdown_date_is_current():
    with FakeOpenAI(models={"gpt-6-luna": {}}) as fake:
        status = check_model(client_for(fake), "gpt-6-luna", today=TODAY)
    assert status.state == "current" and status.usable


def test_a_date_in_the_past_is_retired():
    with FakeOpenAI(models={"gpt-4o-mini": {"shutdown_date": "2027-01-14"}}) as fake:
        status = check_model(client_for(fake), "gpt-4o-mini", today=date(2027, 2, 1))
    assert status.state == "retired" and not status.usable
    assert "was shut down on 2027-01-14" in status.warning()


def test_an_unknown_model_is_gone():
    with FakeOpenAI(models={"gpt-6-luna": {}}) as fake:
        status = check_model(client_for(fake), "gpt-4o-mni", today=TODAY)
    assert status.state == "gone" and not status.usable
    assert "does not exist" in status.warning()


def test_a_local_server_without_a_models_endpoint_is_skipped():
    with FakeOpenAI(models=None) as fake:
        status = check_model(client_for(fake), "llama3.1:8b", today=TODAY)
    assert status.state == "unchecked" and status.usable and status.warning() is None


def test_an_unreachable_endpoint_is_skipped_not_raised():
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1", max_retries=0)
    status = check_model(client, "gpt-6-luna", today=TODAY, timeout=1.0)
    assert status.state == "unchecked"


def test_after_a_gone_model_each_fallback_says_the_model_is_gone():
    with FakeOpenAI(models={}) as fake:
        fake.default = lambda request: Response(404, {"error": {
            "message": "The model 'fake-model' does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": None, "code": "model_not_found"}})
        coach = make_coach(fake)
        assert coach.check_model().state == "gone"
        review = coach.review(DRAFT)
    assert review.engine == "offline"
    assert "no longer available" in review.note


def test_a_model_not_found_during_a_review_says_gone_even_without_the_startup_check():
    with FakeOpenAI() as fake:
        fake.default = lambda request: Response(404, {"error": {
            "message": "The model 'fake-model' does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": None, "code": "model_not_found"}})
        review = make_coach(fake).review(DRAFT)
    assert review.engine == "offline" and "no longer available" in review.note
