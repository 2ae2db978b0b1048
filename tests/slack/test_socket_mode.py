"""``tone-coach socket``: Socket Mode over a real WebSocket, and a clean stop on SIGTERM."""

from __future__ import annotations

from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.served import Process, app_env
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.jobs.test_embedded_crash import (
    BAD_DRAFT,
    reviews_asked,
    reviews_by_response_url,
    slow_model,
    wait_until,
)


def command(slack: FakeSlack, text: str, name: str) -> dict:
    return {"token": "x", "team_id": "T1", "team_domain": "fake", "channel_id": "C1",
            "channel_name": "support", "user_id": "UAGENT", "user_name": "agent",
            "command": "/tone-check", "text": text, "api_app_id": "A1",
            "response_url": slack.response_url(name), "trigger_id": f"trig-{name}"}


def test_sigterm_in_socket_mode_acks_then_posts_every_review_and_exits_0(tmp_path):
    with FakeSlack() as slack, FakeOpenAI(slow_model(3.0)) as model, FakeSocketMode() as ws:
        slack.socket_mode_url = ws.url
        env = app_env(slack, model.base_url, f"sqlite:///{tmp_path / 'app.db'}",
                      SLACK_APP_TOKEN="xapp-1-A1-1-test")
        app = Process(["socket"], env, tmp_path)
        try:
            ws.wait_for_connection()
            sent = [ws.send("slash_commands", command(slack, BAD_DRAFT.format(n=n), f"s{n}"))
                    for n in range(5)]
            assert set(ws.wait_for_acks(5)) == set(sent)  # each envelope acknowledged
            wait_until(lambda: len(reviews_asked(model)) >= 5, 15)  # all five in flight
            assert app.terminate() == 0, app.log()
            assert len(reviews_by_response_url(slack)) == 5
            assert set(reviews_by_response_url(slack).values()) == {1}
            opened = slack.calls_to("apps.connections.open")
            assert opened  # the URL came from Slack, asked with the app-level token
        finally:
            if app.process.poll() is None:
                app.kill()

