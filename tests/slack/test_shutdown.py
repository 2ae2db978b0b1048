"""A deploy drops nothing: `tone-coach serve` drains on SIGTERM, and a review that cannot
finish in time tells its author instead of leaving "Reviewing…" behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fakes.openai_api import FakeOpenAI
from tests.slack.conftest import SECRET, RunningApp, answer_like_a_model
from tests.slack.test_server import clean_env, free_port

BAD_DRAFT = "As I already explained, the refund for order #{n} takes 5 days."


def slow_model(seconds: float):
    def answer(request):
        response = answer_like_a_model(request)
        response.delay = seconds
        return response
    return answer


def health(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def start_serve(tmp_path, slack, model, port: int, **extra: str) -> subprocess.Popen:
    env = clean_env(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test",
                    SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/t.db",
                    PORT=str(port), OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="sk-test",
                    OPENAI_MODEL="fake-model",
                    TONE_COACH_MODEL_TIMEOUT="20", TONE_COACH_MODEL_DEADLINE="30", **extra)
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while health(port) != 200:
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "serve did not come up"
        time.sleep(0.2)
    return process


def send_commands(port: int, slack, count: int) -> list[int]:
    client = RunningApp(f"http://127.0.0.1:{port}", None, slack, None)
    with ThreadPoolExecutor(count) as pool:
        replies = list(pool.map(
            lambda n: client.command(BAD_DRAFT.format(n=n), trigger=f"cmd{n}"), range(count)))
    return [reply.status for reply in replies]


@pytest.mark.parametrize("count", [20])
def test_sigterm_after_20_acks_still_posts_20_reviews_and_exits_0(tmp_path, slack, count):
    with FakeOpenAI(slow_model(3.0)) as model:
        port = free_port()
        process = start_serve(tmp_path, slack, model, port)
        try:
            assert send_commands(port, slack, count) == [200] * count
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert health(port) == 503  # the load balancer stops sending traffic
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output
    answers = slack.calls_to("response_url")
    # Each answer is the model's review of its own draft (the order number is in it).
    reviewed = {a.args["response_url"] for a in answers
                if f"order #{a.args['response_url'].removeprefix('/respond/cmd')} "
                in json.dumps(a.args["blocks"], ensure_ascii=False)
                and "fake-model" in json.dumps(a.args["blocks"])}
    assert reviewed == {f"/respond/cmd{n}" for n in range(count)}
    assert "Traceback" not in output


def test_a_review_that_outlasts_the_drain_tells_its_author_to_ask_again(tmp_path, slack):
    with FakeOpenAI(slow_model(8.0)) as model:
        port = free_port()
        process = start_serve(tmp_path, slack, model, port, TONE_COACH_DRAIN_SECONDS="1")
        try:
            assert send_commands(port, slack, 1) == [200]
            model_seen = time.monotonic() + 10
            while not model.requests and time.monotonic() < model_seen:
                time.sleep(0.05)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
            stopped_in = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output
    assert stopped_in < 6
    [answer] = slack.calls_to("response_url")
    assert "restarting" in answer.args["text"] and answer.args["replace_original"] is True
