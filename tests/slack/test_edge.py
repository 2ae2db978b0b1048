"""The HTTP edge under abuse, against ``tone-coach serve`` in its own process on loopback.

Floods of half-open connections, oversized unsigned bodies, and every payload shape Slack
documents (plus broken ones), each signed exactly as Slack signs: the status is checked, and
so is that the process is still alive and answering.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes, urlencode

import psutil
import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import SECRET, sign
from tests.slack.test_server import clean_env, free_port

MB = 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen
    log: Path
    slack: FakeSlack

    def post(self, body: bytes, content_type: str, headers: dict | None = None,
             signed: bool = True) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {}),
                       **(headers or {})}
        request = urllib.request.Request(f"{self.url}/slack/events", data=body,
                                         headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def alive(self) -> bool:
        if self.process.poll() is not None:
            return False
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as reply:
            return reply.status == 200

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.log_text():
            assert time.monotonic() < deadline, f"{needle!r} never logged"
            time.sleep(0.1)
        return self.log_text()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("edge")
    port = free_port()
    with FakeSlack() as slack:
        env = clean_env(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test",
                        SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{workdir}/t.db",
                        PORT=str(port), LOG_LEVEL="INFO", TONE_COACH_HTTP_IDLE_TIMEOUT="2")
        log = workdir / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env,
                                       cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        app = Served(f"http://127.0.0.1:{port}", port, process, log, slack)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if app.alive():
                        break
                except OSError:
                    assert process.poll() is None, app.log_text()
                    assert time.monotonic() < deadline, "serve did not come up"
                    time.sleep(0.2)
            yield app
        finally:
            process.terminate()
            process.wait(timeout=15)


# --- connection floods and oversized bodies ------------------------------------------------
def test_200_slow_header_connections_leave_the_health_check_answering(served):
    sockets = []
    try:
        for i in range(200):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            path = b"/slack/events" if i % 2 else b"/healthz"
            sock.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        started = time.monotonic()
        with urllib.request.urlopen(f"{served.url}/healthz", timeout=1) as reply:
            assert reply.status == 200
        assert time.monotonic() - started < 1
    finally:
        for sock in sockets:
            sock.close()
    assert served.alive()


def test_half_open_connections_are_closed_after_the_idle_timeout(served):
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=20)
    try:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            data = b""
        assert data == b""  # closed by the server, without an answer
        assert time.monotonic() - started < 15  # the default timeout is 10 s; here it is 2 s
    finally:
        sock.close()


def send_unsigned(port: int, size: int, results: list, *, extra: bytes = b"") -> None:
    status, sent = None, 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/json\r\n" + extra + f"Content-Length: {size}\r\n\r\n".encode())
        chunk = b"x" * MB
        try:
            while sent < size:
                sock.sendall(chunk[: size - sent])
                sent += min(MB, size - sent)
        except OSError:
            pass  # the server answered and closed before taking the whole body
        try:
            head = sock.recv(64)
            status = int(head.split()[1]) if head.startswith(b"HTTP/") else None
        except OSError:
            status = "reset"
    results.append((status, sent))


def test_8_concurrent_100_mb_unsigned_bodies_keep_memory_under_200_mb(served):
    server = psutil.Process(served.process.pid)
    results: list = []
    senders = [threading.Thread(target=send_unsigned, args=(served.port, 100 * MB, results))
               for _ in range(8)]
    peak = server.memory_info().rss
    for sender in senders:
        sender.start()
    while any(s.is_alive() for s in senders):
        peak = max(peak, server.memory_info().rss)
        time.sleep(0.02)
    assert peak < 200 * MB, f"peak RSS {peak / MB:.0f} MB"
    assert len(results) == 8
    assert all(status in (401, 413, "reset") for status, _ in results), results
    assert any(status in (401, 413) for status, _ in results), results
    assert served.alive()


def test_an_unsigned_request_is_refused_before_its_body_is_sent(served):
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 401")


def test_a_stale_signature_is_refused_before_the_body_is_sent(served):
    stale = sign(b"{}", timestamp=int(time.time()) - 6 * 60)
    headers = "".join(f"{k}: {v}\r\n" for k, v in stale.items()).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                     b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 401")


def test_a_signed_body_over_1_mb_gets_413_from_its_headers(served):
    fresh = sign(b"x")  # well-formed headers; the body is never read, so never compared
    headers = "".join(f"{k}: {v}\r\n" for k, v in fresh.items()).encode()
    results: list = []
    send_unsigned(served.port, 2 * MB, results, extra=headers)
    [(status, _)] = results
    assert status in (413, "reset")
    body = json.dumps({"type": "event_callback", "event": {"type": "message"},
                       "padding": "x" * (MB + 10)}).encode()
    assert served.post(body, JSON)[0] == 413
    assert served.alive()


# --- every payload Slack documents, and broken ones, signed -------------------------------
TEAM = {"id": "T1", "domain": "fake"}
USER = {"id": "U1", "username": "anna", "team_id": "T1"}
CHANNEL = {"id": "C1", "name": "support"}
VIEW = {"id": "V1", "team_id": "T1", "type": "modal", "callback_id": "someone_elses_modal",
        "private_metadata": "", "state": {"values": {}}, "hash": "1.abc",
        "title": {"type": "plain_text", "text": "Modal"}, "blocks": []}


def event(inner: object, **outer: object) -> tuple[bytes, str]:
    body = {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
            "event": inner, **outer}
    return json.dumps(body).encode(), JSON


def interaction(payload: dict) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


def command(name: str, text: str) -> tuple[bytes, str]:
    form = {"token": "x", "team_id": "T1", "team_domain": "fake", "channel_id": "C1",
            "channel_name": "support", "user_id": "U1", "user_name": "anna", "command": name,
            "text": text, "api_app_id": "A1", "response_url": "http://127.0.0.1:9/commands/x",
            "trigger_id": f"trig-{time.monotonic_ns()}"}
    return urlencode(form).encode(), FORM


def raw_payload(text: bytes) -> tuple[bytes, str]:
    return b"payload=" + quote_from_bytes(text).encode(), FORM


DEEP = b"[" * 5000 + b"]" * 5000
NESTED_100 = {"a": 1}
for _ in range(100):
    NESTED_100 = {"a": NESTED_100}

PAYLOADS: list[tuple[str, tuple[bytes, str], int]] = [
    # Events API (https://docs.slack.dev/reference/events)
    ("url_verification", (json.dumps({"token": "x", "challenge": "c-123",
                                      "type": "url_verification"}).encode(), JSON), 200),
    ("app_rate_limited", (json.dumps({"token": "x", "type": "app_rate_limited",
                                      "team_id": "T1", "minute_rate_limited": 1518467820,
                                      "api_app_id": "A1"}).encode(), JSON), 200),
    ("event message", event({"type": "message", "channel": "C9", "user": "U1", "text": "hi",
                             "ts": "1.1", "channel_type": "channel"}), 200),
    ("event message_changed", event({"type": "message", "subtype": "message_changed",
                                     "channel": "C9", "hidden": True, "ts": "1.2",
                                     "message": {"type": "message", "text": "x"}}), 200),
    ("event app_mention", event({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi",
                                 "ts": "1.3", "channel": "C1"}), 200),
    ("event reaction_added (other emoji)", event({
        "type": "reaction_added", "user": "U1", "reaction": "tada",
        "item": {"type": "message", "channel": "C1", "ts": "1.1"}, "event_ts": "1.4"}), 200),
    ("event reaction_removed", event({
        "type": "reaction_removed", "user": "U1", "reaction": "mag",
        "item": {"type": "message", "channel": "C1", "ts": "1.1"}, "event_ts": "1.5"}), 200),
    ("event app_home_opened (messages tab)", event({"type": "app_home_opened", "user": "U1",
                                                    "channel": "D1", "tab": "messages"}), 200),
    ("event member_joined_channel", event({"type": "member_joined_channel", "user": "U1",
                                           "channel": "C1", "channel_type": "C"}), 200),
    ("event app_uninstalled", event({"type": "app_uninstalled"}), 200),
    ("event tokens_revoked", event({"type": "tokens_revoked",
                                    "tokens": {"oauth": ["U1"], "bot": ["UBOT"]}}), 200),
    ("event of a type nobody knows", event({"type": "brand_new_event_2031"}), 200),
    ("unknown top-level type", (json.dumps({"type": "brand_new_envelope"}).encode(), JSON), 200),
    # Slash commands
    ("/tone-check help", command("/tone-check", "help"), 200),
    ("another app's command", command("/other-command", "hello"), 200),
    ("ssl_check", (b"ssl_check=1&token=x", FORM), 200),
    # Interactivity (https://docs.slack.dev/reference/interaction-payloads)
    ("block_actions feedback with a bad value", interaction({
        "type": "block_actions", "team": TEAM, "user": USER, "channel": CHANNEL,
        "api_app_id": "A1", "trigger_id": "t1", "response_url": "http://127.0.0.1:9/actions/x",
        "container": {"type": "message", "message_ts": "1.1"},
        "actions": [{"action_id": "feedback_helpful", "block_id": "review_feedback",
                     "type": "button", "value": "not-a-number", "action_ts": "1.1"}]}), 200),
    ("block_actions nobody listens for", interaction({
        "type": "block_actions", "team": TEAM, "user": USER, "api_app_id": "A1",
        "trigger_id": "t2", "container": {"type": "view", "view_id": "V1"}, "view": VIEW,
        "actions": [{"action_id": "someone_elses_button", "block_id": "b",
                     "type": "button", "value": "1", "action_ts": "1.1"}]}), 200),
    ("global shortcut nobody listens for", interaction({
        "type": "shortcut", "team": TEAM, "user": USER, "callback_id": "someone_elses",
        "trigger_id": "t3", "action_ts": "1.1", "token": "x"}), 200),
    ("message_action nobody listens for", interaction({
        "type": "message_action", "team": TEAM, "user": USER, "channel": CHANNEL,
        "callback_id": "someone_elses", "trigger_id": "t4", "message_ts": "1.1",
        "response_url": "http://127.0.0.1:9/actions/y",
        "message": {"type": "message", "user": "U2", "text": "hello", "ts": "1.1"}}), 200),
    ("view_submission nobody listens for", interaction({
        "type": "view_submission", "team": TEAM, "user": USER, "api_app_id": "A1",
        "trigger_id": "t5", "view": VIEW, "response_urls": []}), 200),
    ("view_submission from an org-wide install (team null)", interaction({
        "type": "view_submission", "team": None, "user": USER, "api_app_id": "A1",
        "enterprise": {"id": "E1", "name": "org"}, "is_enterprise_install": True,
        "trigger_id": "t6", "view": VIEW}), 200),
    ("view_closed", interaction({"type": "view_closed", "team": TEAM, "user": USER,
                                 "api_app_id": "A1", "view": VIEW, "is_cleared": False}), 200),
    ("block_suggestion (options)", interaction({
        "type": "block_suggestion", "team": TEAM, "user": USER, "api_app_id": "A1",
        "action_id": "someone_elses_menu", "block_id": "b", "value": "ab",
        "container": {"type": "view", "view_id": "V1"}, "view": VIEW}), 200),
    ("interactive_message (legacy attachments)", interaction({
        "type": "interactive_message", "callback_id": "legacy", "team": TEAM, "user": USER,
        "channel": CHANNEL, "action_ts": "1.1", "message_ts": "1.1", "attachment_id": "1",
        "actions": [{"name": "ok", "type": "button", "value": "ok"}]}), 200),
    ("dialog_submission (legacy)", interaction({
        "type": "dialog_submission", "callback_id": "legacy_dialog", "team": TEAM,
        "user": USER, "channel": CHANNEL, "submission": {"a": "b"}}), 200),
    # Broken, but signed
    ("JSON nested 5000 deep", (b'{"type":"event_callback","event":' + DEEP + b"}", JSON), 400),
    ("JSON nested 100 deep", event({"type": "message", "x": NESTED_100}), 400),
    ("payload nested 5000 deep", raw_payload(b'{"type":"block_actions","x":' + DEEP + b"}"),
     400),
    ("bad UTF-8 in JSON", (b'{"type":"event_callback","event":{"type":"\xff\xfe"}}', JSON),
     400),
    ("bad UTF-8 in a form", (b"command=%2Ftone-check&text=\xff", FORM), 400),
    ("event is a string", event("hello"), 400),
    ("event is null", event(None), 400),
    ("event without a type", event({"user": "U1"}), 400),
    ("event type is a number", event({"type": 7}), 400),
    ("authorizations are strings", event({"type": "message"}, authorizations=["x"]), 400),
    ("view_submission without a view", interaction({"type": "view_submission",
                                                    "team": TEAM, "user": USER}), 400),
    ("view_submission whose view is a list", interaction({"type": "view_submission",
                                                          "user": USER, "view": []}), 400),
    ("view without type", interaction({"type": "view_submission", "user": USER,
                                       "view": {"id": "V1", "callback_id": "x"}}), 400),
    ("block_actions with no actions", interaction({"type": "block_actions", "user": USER,
                                                   "actions": []}), 400),
    ("block_actions with actions as text", interaction({"type": "block_actions",
                                                        "actions": "click"}), 400),
    ("user is a number", interaction({"type": "shortcut", "callback_id": "x", "user": 5}), 400),
    ("payload is a JSON list", raw_payload(b"[1, 2]"), 400),
    ("payload is not JSON", raw_payload(b"{broken"), 400),
    ("JSON without a type", (b'{"event": {}}', JSON), 400),
    ("type is a number", (b'{"type": 3}', JSON), 400),
    ("empty JSON body", (b"", JSON), 400),
    ("form with neither command nor payload", (b"hello=world", FORM), 400),
    ("form with 10,000 fields", ("&".join(f"f{i}=1" for i in range(10000)).encode(), FORM),
     400),
]


@pytest.mark.parametrize(("name", "request_", "status"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_every_payload_shape_gets_its_status_and_the_process_lives(served, name, request_,
                                                                    status):
    body, content_type = request_
    got, text = served.post(body, content_type)
    assert got == status, (name, text)
    assert served.alive()


def test_url_verification_still_echoes_its_challenge(served):
    body = json.dumps({"token": "x", "challenge": "c-42", "type": "url_verification"}).encode()
    status, text = served.post(body, JSON)
    assert status == 200 and json.loads(text) == {"challenge": "c-42"}


def test_options_requests_get_an_empty_list(served):
    body, content_type = interaction({
        "type": "block_suggestion", "team": TEAM, "user": USER, "api_app_id": "A1",
        "action_id": "menu", "block_id": "b", "value": "ab", "view": VIEW})
    status, text = served.post(body, content_type)
    assert status == 200 and json.loads(text) == {"options": []}


def test_app_rate_limited_is_logged_as_a_warning(served):
    body = json.dumps({"token": "x", "type": "app_rate_limited", "team_id": "TLIMITED",
                       "minute_rate_limited": 1518467820, "api_app_id": "A1"}).encode()
    assert served.post(body, JSON)[0] == 200
    log = served.wait_for_log("TLIMITED")
    [line] = [line for line in log.splitlines() if "TLIMITED" in line]
    assert " WARNING " in line and "rate-limiting" in line


def test_a_malformed_signed_payload_leaves_a_log_line_without_its_content(served):
    body = json.dumps({"type": "event_callback", "event": "secret-draft-words"}).encode()
    assert served.post(body, JSON)[0] == 400
    log = served.wait_for_log("malformed signed payload")
    assert "secret-draft-words" not in log


def test_a_retried_response_url_never_reaches_the_log(served):
    """slack_sdk logs the URL it retries at INFO; the URL is a credential for 30 minutes."""
    closed = free_port()  # nothing listens there: the post fails and is retried
    secret_url = f"http://127.0.0.1:{closed}/commands/T1/1234/s3cr3t-resp0nse-t0ken"
    form = {"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/tone-check",
            "text": "As I already explained, this is how it works.", "response_url": secret_url,
            "trigger_id": f"trig-{time.monotonic_ns()}"}
    assert served.post(urlencode(form).encode(), FORM)[0] == 200
    log = served.wait_for_log("Going to retry the same request")
    assert "s3cr3t-resp0nse-t0ken" not in log
    assert "<url hidden>" in log


# --- the same refusals at the WSGI level, for any process server --------------------------
class UnreadableBody:
    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")


@pytest.mark.parametrize(("headers", "status"), [
    ({}, "401"),
    ({"HTTP_X_SLACK_SIGNATURE": "v0=abc"}, "401"),
    ({**{f"HTTP_{k.upper().replace('-', '_')}": v
         for k, v in sign(b"x", timestamp=int(time.time()) - 301).items()}}, "401"),
    ({**{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sign(b"x").items()},
      "CONTENT_LENGTH": str(MB + 1)}, "413"),
])
def test_the_wsgi_app_refuses_from_headers_without_reading_the_body(headers, status):
    from slack_bolt import App

    from bot.slack.server import WebApp

    bolt = App(token="xoxb-test", signing_secret=SECRET, token_verification_enabled=False)
    web = WebApp(bolt, SECRET)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events",
               "CONTENT_TYPE": JSON, "CONTENT_LENGTH": "100", "wsgi.input": UnreadableBody(),
               **headers}
    answered = []
    web(environ, lambda s, h, exc_info=None: answered.append(s))
    assert answered[0].startswith(status)
