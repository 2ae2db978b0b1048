"""A few reviews work at once; a review waiting on the network lets another one work."""

from __future__ import annotations

import threading

import pytest

from bot.coaching.guidelines import load_guidelines
from bot.coaching.llm import LLMReviewer, ModelSettings
from bot.coaching.prompts import load_prompts
from bot.jobs.slots import WorkSlots, set_aside
from bot.slack.clients import response_url_client, web_client
from tests.fakes.http import FakeServer, Request, Response
from tests.fakes.openai_api import FakeOpenAI, review_reply


def run_together(count: int, work) -> list[BaseException]:  # noqa: ANN001
    """Run ``work()`` in ``count`` threads at once; the errors they raised."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=body) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return errors


def meets_in_pairs(reply: Response) -> callable:
    """A handler that answers only once two requests are in flight together."""
    barrier = threading.Barrier(2, timeout=5)

    def handle(request: Request) -> Response:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Response(400, {"ok": False, "error": "the_other_request_never_came"})
        return reply

    return handle


def test_no_more_threads_work_at_once_than_there_are_slots():
    slots = WorkSlots(2)
    inside, most, lock = 0, 0, threading.Lock()
    entered = threading.Barrier(2, timeout=5)

    def work() -> None:
        nonlocal inside, most
        with slots.hold():
            with lock:
                inside += 1
                most = max(most, inside)
            entered.wait()  # two are inside together at least once
            with lock:
                inside -= 1

    assert run_together(6, work) == []
    assert most == 2


def test_a_thread_that_sets_its_slot_aside_lets_another_work():
    slots = WorkSlots(1)
    other_worked = threading.Event()

    def waiting_for_the_other() -> None:
        with slots.hold(), set_aside():
            assert other_worked.wait(5)

    def the_other() -> None:
        with slots.hold():
            other_worked.set()

    first = threading.Thread(target=waiting_for_the_other)
    first.start()
    assert run_together(1, the_other) == []
    first.join(10)
    assert other_worked.is_set() and not first.is_alive()


def test_setting_aside_without_a_slot_or_holding_twice_changes_nothing():
    slots = WorkSlots(1)
    with set_aside():
        pass
    with slots.hold(), slots.hold():  # a nested hold takes no second slot
        pass
    with slots.hold():  # and every slot is free again
        pass


def test_there_is_at_least_one_slot():
    with pytest.raises(ValueError):
        WorkSlots(0)


def test_two_reviews_with_one_slot_wait_for_the_model_together():
    reply = review_reply(verdict="ok", language="en", findings=[], rewrite="Thanks!")
    with FakeOpenAI(meets_in_pairs(reply)) as model:
        guidelines = load_guidelines()
        settings = ModelSettings(api_key="sk-test", base_url=model.base_url, model="gpt-test",
                                 deadline=10.0)
        reviewer = LLMReviewer(guidelines, load_prompts(), settings, waiting=set_aside)
        slots = WorkSlots(1)
        engines: list[str] = []

        def review() -> None:
            with slots.hold():
                engines.append(reviewer.review("Thanks for waiting, it is fixed now.").engine)

        assert run_together(2, review) == []
    assert engines == ["llm", "llm"]


@pytest.mark.parametrize("call", ["web_api", "response_url"])
def test_two_slack_calls_with_one_slot_wait_for_slack_together(call: str):
    answer = Response(200, {"ok": True, "ts": "1.0"} if call == "web_api" else "ok")
    with FakeServer(meets_in_pairs(answer)) as slack:
        slots = WorkSlots(1)
        statuses: list[int] = []

        def post() -> None:
            with slots.hold():
                if call == "web_api":
                    response = web_client(f"{slack.url}/api/").chat_postMessage(
                        channel="C1", text="hi")
                else:
                    response = response_url_client(f"{slack.url}/respond/1").send_dict(
                        {"text": "hi"})
                statuses.append(response.status_code)

        assert run_together(2, post) == []
    assert statuses == [200, 200]
