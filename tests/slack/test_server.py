"""`tone-coach serve` as a deployer runs it: settings checked at start, health check up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.slack.conftest import SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    prefixes = ("SLACK_", "OPENAI_", "TONE_COACH_", "DATABASE_URL", "TIPS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {**env, **extra}


@pytest.mark.parametrize(("settings", "complaint"), [
    ({}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxp-user"}, "xoxb-"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1"},
     "SLACK_CLIENT_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1",
      "SLACK_CLIENT_SECRET": "2"}, "not both"),
])
def test_missing_or_contradictory_settings_stop_start_up_with_one_line(tmp_path, settings,
                                                                       complaint):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/t.db", **settings)
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_socket_mode_needs_an_app_token(tmp_path):
    env = clean_env(SLACK_BOT_TOKEN="xoxb-1", DATABASE_URL=f"sqlite:///{tmp_path}/t.db")
    result = subprocess.run([sys.executable, "-m", "bot", "socket"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "SLACK_APP_TOKEN" in result.stderr


def test_a_wrong_database_url_is_one_line(tmp_path):
    env = clean_env(SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="xoxb-1",
                    DATABASE_URL="postgresql+psycopg://postgres:secret@127.0.0.1:9/test")
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "127.0.0.1:9" in result.stderr and "secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_answers_health_checks_and_signed_commands(tmp_path, slack):
    port = free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test",
                    SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/t.db",
                    PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        from tests.slack.conftest import RunningApp

        client = RunningApp(f"http://127.0.0.1:{port}", None, slack, None)
        reply = client.command("As I already explained, order #1 ships on Monday.")
        assert reply.status == 200
        [review] = slack.wait_for("response_url")
        assert "ships on Monday" in str(review.args)
        assert "offline" in str(review.args)  # no model configured: the offline engine
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_broken_guidelines_file_stops_start_up_with_one_line(tmp_path):
    broken = tmp_path / "g.yaml"
    broken.write_text("guidelines: []\n", encoding="utf-8")
    env = clean_env(SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="xoxb-1",
                    DATABASE_URL=f"sqlite:///{tmp_path}/t.db",
                    TONE_COACH_GUIDELINES=str(broken))
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert str(broken) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_start_up_logs_a_retiring_model_once_and_a_gone_model_as_an_error(caplog):
    import logging
    from datetime import date, timedelta

    from bot.runtime import report_model_status
    from tests.coaching.test_llm import make_coach
    from tests.fakes.openai_api import FakeOpenAI

    shutdown = (date.today() + timedelta(days=30)).isoformat()
    models = {"gpt-4o-mini": {"shutdown_date": shutdown}}
    with FakeOpenAI(models=models) as fake, caplog.at_level(logging.INFO, logger="bot"):
        report_model_status(make_coach(fake, model="gpt-4o-mini"))
        report_model_status(make_coach(fake, model="gpt-4-retired"))
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert shutdown in warning.getMessage()
    assert "gpt-4-retired" in error.getMessage() and "does not exist" in error.getMessage()


def test_a_token_slack_refuses_stops_start_up_with_one_line(tmp_path, slack):
    slack.fail("auth.test", "invalid_auth")
    env = clean_env(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-revoked",
                    SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/t.db",
                    PORT=str(free_port()))
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line and "xoxb-revoked" not in line


def test_an_unreachable_slack_is_retried_while_health_checks_already_answer(tmp_path):
    port = free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test",
                    SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
                    DATABASE_URL=f"sqlite:///{tmp_path}/t.db", PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "cannot be reached" in output and "Traceback" not in output
