"""``tone-coach serve`` / ``tone-coach worker`` as real processes, wired to the fakes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from tests.fakes.slack_api import TEAM, FakeSlack, sign

SECRET = "served-signing-secret"
ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(slack: FakeSlack, model_url: str, database_url: str, **extra: str) -> dict:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "OPENAI_", "TONE_COACH_", "TIPS_", "DATABASE_URL"))}
    return {**keep, "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-served",
            "SLACK_API_URL": slack.api_url, "OPENAI_BASE_URL": model_url,
            "OPENAI_API_KEY": "sk-served", "OPENAI_MODEL": "served-model",
            "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "TONE_COACH_WORKERS": "24",
            "PYTHONPATH": str(ROOT), **extra}


class Process:
    """A tone-coach subcommand in its own process; stderr kept in a file for failures."""

    def __init__(self, args: list[str], env: dict, workdir: Path) -> None:
        self.log_path = workdir / f"{args[0]}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env,
                                        cwd=workdir, stdout=self._log, stderr=self._log)

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """``kill -9``: no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def terminate(self, timeout: float = 40) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._log.close()
        return code


class Served(Process):
    """``tone-coach serve`` with helpers to send signed requests."""

    def __init__(self, env: dict, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(["serve", "--port", str(self.port)], env, workdir)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited at start-up:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("serve did not come up in 60 s")

    def post(self, body: bytes, content_type: str) -> int:
        headers = {"Content-Type": content_type, **sign(body, secret=SECRET)}
        request = urllib.request.Request(f"{self.url}/slack/events", data=body,
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def command(self, slack: FakeSlack, text: str, name: str) -> int:
        form = {"team_id": TEAM, "channel_id": "C1", "user_id": "UAGENT",
                "command": "/tone-check", "text": text, "trigger_id": f"trig-{name}",
                "response_url": slack.response_url(name)}
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def reaction(self, channel: str, ts: str, event_id: str) -> int:
        return self.event({"type": "reaction_added", "user": "ULEAD", "reaction": "mag",
                           "item": {"type": "message", "channel": channel, "ts": ts}}, event_id)

    def message(self, channel: str, ts: str, text: str, event_id: str) -> int:
        return self.event({"type": "message", "channel": channel, "user": "UAGENT",
                           "text": text, "ts": ts, "channel_type": "channel"}, event_id)

    def event(self, event: dict, event_id: str) -> int:
        body = {"type": "event_callback", "team_id": TEAM, "event_id": event_id,
                "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}]}
        return self.post(json.dumps(body).encode(), "application/json")
