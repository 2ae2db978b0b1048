"""End-to-end fixtures: the real app over HTTP, a fake Slack Web API, a fake model server."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from bot.coaching.coach import Coach
from bot.coaching.guidelines import load_guidelines
from bot.coaching.llm import LLMReviewer, ModelSettings
from bot.coaching.prompts import load_prompts
from bot.jobs.slots import set_aside
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.clients import RetryPolicy
from bot.slack.server import WebApp, make_server, run_until
from bot.slack.services import Services
from bot.storage import Storage
from tests.fakes.http import Request, Response
from tests.fakes.openai_api import FakeOpenAI, review_reply
from tests.fakes.slack_api import TEAM, FakeSlack, sign

SECRET = "test-signing-secret"

__all__ = ["SECRET", "sign"]


@dataclass
class Reply:
    status: int
    body: str
    elapsed: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class RunningApp:
    url: str
    services: Services
    slack: FakeSlack
    model: FakeOpenAI

    def post(self, body: bytes, content_type: str, headers: dict | None = None,
             signed: bool = True) -> Reply:
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {})}
        all_headers.update(headers or {})
        request = urllib.request.Request(f"{self.url}/slack/events", data=body,
                                         headers=all_headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), time.monotonic() - started)

    def command(self, text: str, *, channel: str = "C1", user: str = "UAGENT",
                trigger: str | None = None, headers: dict | None = None) -> Reply:
        form = {
            "token": "x", "team_id": TEAM, "team_domain": "fake", "channel_id": channel,
            "channel_name": "support", "user_id": user, "user_name": "agent",
            "command": "/tone-check", "text": text, "api_app_id": "A1",
            "response_url": self.slack.response_url(trigger or "cmd"),
            "trigger_id": trigger or f"trig-{time.monotonic_ns()}",
        }
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", headers)

    def answer(self, text: str, *, timeout: float = 10.0, **options) -> dict:
        """Send a command acknowledged with nothing and answered through response_url;
        return that answer's body."""
        trigger = f"answer-{time.monotonic_ns()}"
        reply = self.command(text, trigger=trigger, **options)
        assert reply.status == 200 and not reply.body, reply.body
        return self.slack.wait_for_response(trigger, timeout=timeout)[0].args

    def event(self, event: dict, *, event_id: str | None = None,
              headers: dict | None = None) -> Reply:
        if event.get("type") == "message" and event.get("ts") and not event.get("subtype"):
            self.slack.remember(event.get("channel", ""), event)  # Slack has what it announces
        channel = event.get("channel") or (event.get("item") or {}).get("channel", "")
        body = {
            "token": "x", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
            "is_ext_shared_channel": self.slack.is_ext_shared(channel),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(body).encode(), "application/json", headers)

    def interaction(self, payload: dict) -> Reply:
        if payload.get("type") == "message_action" and payload.get("message"):
            self.slack.remember((payload.get("channel") or {}).get("id", ""), payload["message"])
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")


def llm_coach(model: FakeOpenAI, **settings) -> Coach:
    guidelines = load_guidelines()
    options = {"model": "fake-model", "base_url": model.base_url, "api_key": "sk-test",
               "request_timeout": 2.0, "deadline": 3.0, **settings}
    # As the runtime builds it: a review waiting for the model sets its work slot aside.
    return Coach(guidelines, LLMReviewer(guidelines, load_prompts(), ModelSettings(**options),
                                         waiting=set_aside))


@pytest.fixture
def slack():
    with FakeSlack() as server:
        yield server


@pytest.fixture
def model():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def storage(tmp_path):
    store = Storage(f"sqlite:///{tmp_path / 'app.db'}")
    store.upgrade()
    yield store
    store.close()


def test_settings(**values) -> Settings:
    """Settings from ``values`` only: no .env file; the defaults for everything else."""
    return Settings(_env_file=None, **values)


class AppServer:
    """The Runtime behind a waitress server on a free port; ``close()`` stops both."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.web = WebApp(runtime.app, runtime.settings.signing_secret,
                          runtime.services.ack_first)
        self.server = make_server(self.web, "127.0.0.1", 0, threads=8)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=run_until, args=(self.server, self._stopped),
                                        name="test-server")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.effective_port}"

    def close(self) -> None:
        self.web.drain_requests(timeout=5)
        self.runtime.stop(drain_seconds=10)
        self._stopped.set()
        self._thread.join(10)


def start_app(slack: FakeSlack, model: FakeOpenAI, storage: Storage, **settings):
    options = {"bot_token": "xoxb-test", "signing_secret": SECRET, "api_url": slack.api_url,
               "workers": 16, **settings}
    # Slack faults are retried as in production, only with shorter waits.
    runtime = Runtime(test_settings(**options), coach=llm_coach(model), storage=storage,
                      run_ticker=False,
                      slack_retry=RetryPolicy(attempts=3, base=0.05, longest=2.0)).start()
    server = AppServer(runtime)
    app = RunningApp(server.url, runtime.services, slack, model)
    return app, server


@pytest.fixture
def app(slack, model, storage):
    running, server = start_app(slack, model, storage)
    yield running
    server.close()


def answer_like_a_model(request: Request) -> Response:
    """The fake model's default: flags 'As I already explained', passes anything else."""

    user = request.json["messages"][1]["content"]
    draft = json.loads(user[user.index("{"):])["draft"]
    phrase = "As I already explained"
    if phrase in draft:
        return review_reply(
            verdict="needs_work", language="en",
            findings=[{"guideline": "dont-argue", "quote": phrase,
                       "explanation": "This reads as an argument."}],
            rewrite=draft.replace(phrase, "Thanks for asking again").strip(),
        )
    return review_reply(verdict="ok", language="en", findings=[], rewrite=draft)


@pytest.fixture(autouse=True)
def _model_answers(model):
    model.default = answer_like_a_model
