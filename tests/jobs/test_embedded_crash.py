"""``kill -9`` of the embedded ``serve`` loses no acknowledged review, and posts none twice."""

from __future__ import annotations

import json
import time
from collections import Counter

from tests.fakes.http import Request, Response
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.served import Served, app_env, free_port
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import answer_like_a_model

BAD_DRAFT = "As I already explained, the refund for order #{n} takes 5 days."
REVIEWED = "Thanks for asking again"


def slow_model(seconds: float):
    def answer(request: Request) -> Response:
        reply = answer_like_a_model(request)
        reply.delay = seconds
        return reply
    return answer


def reviews_by_response_url(slack: FakeSlack) -> Counter:
    return Counter(c.args["response_url"] for c in slack.calls_to("response_url")
                   if REVIEWED in json.dumps(c.args.get("blocks", [])))


def reviewed_updates(slack: FakeSlack) -> Counter:
    return Counter(c.args["ts"] for c in slack.calls_to("chat.update")
                   if REVIEWED in json.dumps(c.args.get("blocks", [])))


def reviews_asked(model: FakeOpenAI) -> list[Request]:
    return [r for r in model.requests if r.path.endswith("/chat/completions")]


def wait_until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not done in time")
        time.sleep(0.1)


def send_ten_commands_and_ten_reactions(served: Served, slack: FakeSlack, name: str) -> None:
    """Twenty acknowledged requests: ten slash commands and ten reactions to drafts in C1."""
    drafts = [slack.add_message("C1", BAD_DRAFT.format(n=n)) for n in range(10)]
    statuses = [served.command(slack, BAD_DRAFT.format(n=100 + n), f"{name}{n}")
                for n in range(10)]
    statuses += [served.reaction("C1", ts, f"Ev{name}{n}") for n, ts in enumerate(drafts)]
    assert statuses == [200] * 20


def test_kill_9_then_restart_posts_every_acked_review_once(tmp_path):
    with FakeSlack() as slack, FakeOpenAI(slow_model(3.0)) as model:
        env = app_env(slack, model.base_url, f"sqlite:///{tmp_path / 'app.db'}")
        port = free_port()
        served = Served(env, tmp_path, port)
        send_ten_commands_and_ten_reactions(served, slack, "kill")
        # Every review is in flight (the model takes 3 s) when the process dies.
        wait_until(lambda: len(reviews_asked(model)) >= 20, 15)
        served.kill()
        assert not reviews_by_response_url(slack) and not reviewed_updates(slack)

        served = Served(env, tmp_path, port)
        try:
            wait_until(lambda: len(reviews_by_response_url(slack)) == 10
                       and len(reviewed_updates(slack)) == 10, 40)
            time.sleep(1.0)  # anything posted twice would show up by now
            assert set(reviews_by_response_url(slack).values()) == {1}
            assert set(reviewed_updates(slack).values()) == {1}
            # The interrupted tries' placeholders were reused, not doubled.
            placeholders = [c for c in slack.calls_to("chat.postMessage")
                            if "Reviewing" in c.args.get("text", "")]
            assert len(placeholders) == 10
        finally:
            assert served.terminate() in (0, -15)


def test_sigterm_with_20_in_flight_posts_all_20_and_exits_0(tmp_path, database_url):
    """Both single-process set-ups: SQLite's embedded queue, and PostgreSQL with the
    procrastinate workers running inside ``serve``."""
    with FakeSlack() as slack, FakeOpenAI(slow_model(3.0)) as model:
        env = app_env(slack, model.base_url, database_url)
        served = Served(env, tmp_path)
        statuses = [served.command(slack, BAD_DRAFT.format(n=n), f"term{n}") for n in range(20)]
        assert statuses == [200] * 20
        wait_until(lambda: len(reviews_asked(model)) >= 20, 15)
        assert served.terminate() == 0
        assert len(reviews_by_response_url(slack)) == 20
        assert set(reviews_by_response_url(slack).values()) == {1}
