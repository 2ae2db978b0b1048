"""The HTTP edge: the WSGI app (health check, draining, malformed payloads) and its server loop."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore

from bot.slack.priority import AckFirst

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class WebApp:
    """The WSGI app: ``/healthz``, ``/slack/events`` and the OAuth pages.

    Requests that are signed but unreadable get 400 here rather than an exception in Bolt.
    While draining (shutting down), ``/healthz`` and new Slack requests get 503: the load
    balancer stops sending traffic, and Slack retries the request on another instance.
    """

    def __init__(
        self, app: App, signing_secret: str | None, ack_first: AckFirst | None = None
    ) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.ack_first = ack_first or AckFirst()
        self.draining = threading.Event()

    def start_draining(self) -> None:
        """Refuse new requests from now on (503)."""
        self.draining.set()

    def drain_requests(self, timeout: float = 5.0) -> None:
        """Refuse new requests, then wait (up to ``timeout``) for those being answered."""
        self.start_draining()
        deadline = time.monotonic() + timeout
        while self.ack_first.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            if self.draining.is_set():
                return _reply(start_response, "503 Service Unavailable", b"draining")
            return _reply(start_response, "200 OK", b"ok")
        if self.draining.is_set():
            return _reply(start_response, "503 Service Unavailable", b"shutting down")
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            problem = self._problem(body, environ)
            if problem:
                return _reply(start_response, *problem)
            environ["wsgi.input"] = io.BytesIO(body)
            self.ack_first.request_started()
            try:
                return self.bolt(environ, start_response)
            finally:
                self.ack_first.request_finished()
        return self.bolt(environ, start_response)

    def _problem(self, body: bytes, environ: dict) -> tuple[str, bytes] | None:
        headers = {
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
        }
        if self.verifier:
            # slack_sdk's verifier raises on a missing timestamp instead of saying no.
            stamped = headers["x-slack-request-timestamp"].isdigit()
            if not stamped or not self.verifier.is_valid_request(body, headers):
                return "401 Unauthorized", b"invalid signature"
        if not _readable(body.decode("utf-8", "replace"), environ.get("CONTENT_TYPE", "")):
            return "400 Bad Request", b"malformed payload"
        return None


def _readable(body: str, content_type: str) -> bool:
    """True when the body is a payload Slack sends: JSON, or a form with a command or payload."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body)
            return isinstance(data, dict) and "type" in data
        form = parse_qs(body)
        if "payload" in form:
            data = json.loads(form["payload"][0])
            return isinstance(data, dict) and "type" in data
        return "command" in form or "ssl_check" in form
    except ValueError:
        return False


def _reply(start_response: Callable, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("content-type", "text/plain"), ("content-length", str(len(body)))])
    return [body]


def make_server(web_app: WebApp, host: str, port: int, threads: int = 16):  # noqa: ANN201
    """A waitress server (call ``.run()``; ``.close()`` to stop) for ``web_app``."""
    from waitress import create_server

    return create_server(web_app, host=host, port=port, threads=threads, ident="tone-coach")


def run_until(server, stopped: threading.Event) -> None:  # noqa: ANN001 - waitress's server
    """Serve until ``stopped`` is set, then close every socket and waitress's threads.

    waitress's own ``run()`` loops until its socket map is empty, which idle keep-alive
    connections can postpone forever; polling a flag between rounds ends it on time.
    """
    socket_map = server._map
    try:
        while not stopped.is_set():
            wasyncore.loop(timeout=0.2, map=socket_map, use_poll=True, count=1)
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)
