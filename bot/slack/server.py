"""The HTTP edge of `tone-coach serve`: the WSGI app in front of Bolt, and its server.

The HTTP edge expects abuse. Requests to ``/slack/events`` are refused from their headers
alone when they are too large (413) or carry no fresh Slack signature (401), before any of
the body is read; signed bodies that no Slack payload looks like get 400 with a log line; and
every payload type Slack may send gets 200, so Slack never retries what we cannot use.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore

from bot.slack.http_server import EdgeLimits
from bot.slack.http_server import make_server as make_http_server
from bot.slack.payloads import BOLT_TYPES, MalformedPayload, read_payload
from bot.slack.priority import AckFirst

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
#: Slack's payloads are a few kilobytes; anything larger is not from Slack.
MAX_BODY = 1024 * 1024
#: Slack refuses to sign anything older, and so do we (replays).
MAX_SIGNATURE_AGE = 5 * 60
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_COMMAND_FAILED = (
    b'{"response_type": "ephemeral", "text": ":warning: Tone Coach could not handle this '
    b'just now; please try again in a moment."}'
)


def header_refusal(
    signature: str, timestamp: str, content_length: str | None, now: float | None = None
) -> tuple[str, str] | None:
    """``(status, reason)`` when a request to ``/slack/events`` can be refused from its
    headers alone: a body over :data:`MAX_BODY`, or no fresh, well-formed Slack signature."""
    if content_length and content_length.isdigit() and int(content_length) > MAX_BODY:
        return "413 Content Too Large", f"a body over {MAX_BODY} bytes"
    if not _SIGNATURE.fullmatch(signature):
        return "401 Unauthorized", "no Slack signature"
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SIGNATURE_AGE:
        return "401 Unauthorized", "a signature timestamp missing or over five minutes old"
    return None


class WebApp:
    """The WSGI app: ``/healthz``, ``/slack/events`` and the OAuth pages.

    While draining (shutting down), ``/healthz`` and new Slack requests get 503: the load
    balancer stops sending traffic, and Slack retries the request on another instance.
    """

    def __init__(
        self, app: App, signing_secret: str | None, ack_first: AckFirst | None = None
    ) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.secret = signing_secret.encode() if signing_secret else None
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
            return self._slack_request(environ, start_response)
        return self.bolt(environ, start_response)

    def _slack_request(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        if self.secret:
            refusal = header_refusal(signature, timestamp, environ.get("CONTENT_LENGTH"))
            if refusal:
                log.info("refused a request to %s: %s", EVENTS_PATH, refusal[1])
                return _reply(start_response, refusal[0], refusal[1].encode())
        body = _read_body(environ)
        if body is None:
            return _reply(start_response, "413 Content Too Large", b"body too large")
        if self.secret and not self._signed_by_slack(body, timestamp, signature):
            log.info("refused a request to %s: the signature does not match", EVENTS_PATH)
            return _reply(start_response, "401 Unauthorized", b"invalid signature")
        try:
            payload = read_payload(body, environ.get("CONTENT_TYPE", ""))
        except MalformedPayload as exc:
            log.warning("refused a malformed signed payload (%d bytes): %s", len(body), exc)
            return _reply(start_response, "400 Bad Request", b"malformed payload")
        kind = payload["type"]
        if kind == "app_rate_limited":
            log.warning("Slack is rate-limiting events for team %s since minute %s",
                        payload.get("team_id"), payload.get("minute_rate_limited"))
            return _reply(start_response, "200 OK", b"")
        if kind not in BOLT_TYPES:
            log.info("acknowledged a Slack payload of a type we do not use: %.40r", kind)
            return _reply(start_response, "200 OK", b"")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        self.ack_first.request_started()
        try:
            return self._bolt_without_errors(environ, start_response, kind)
        finally:
            self.ack_first.request_finished()

    def _signed_by_slack(self, body: bytes, timestamp: str, signature: str) -> bool:
        # slack_sdk's verifier decodes the body as UTF-8 first and raises on anything else;
        # Slack signs bytes, so the check is done on bytes here.
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret or b"", base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    def _bolt_without_errors(
        self, environ: dict, start_response: Callable, kind: str
    ) -> Iterable[bytes]:
        """Bolt's answer, except that a 404 (nobody listened) becomes 200 and a 5xx (a
        listener failed before acknowledging) becomes an answer Slack does not retry."""
        answer: list = []
        chunks = self.bolt(environ, lambda status, headers, exc_info=None: answer.extend(
            (status, headers)))
        status, headers = answer
        code = int(status.split()[0])
        if code == 404:
            log.info("no listener took a %s payload; acknowledged it", kind)
            return _reply(start_response, "200 OK", b"")
        if code >= 500:
            log.error("a %s payload failed in its listener (HTTP %d from Bolt)", kind, code)
            if kind == "command":
                return _reply(start_response, "200 OK", _COMMAND_FAILED, "application/json")
            return _reply(start_response, "400 Bad Request", b"could not handle this payload")
        start_response(status, headers)
        return chunks


def _read_body(environ: dict) -> bytes | None:
    """The request body, or None when it is over :data:`MAX_BODY` (never read past that)."""
    length = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length.isdigit():
        return stream.read(int(length)) if int(length) <= MAX_BODY else None
    body = stream.read(MAX_BODY + 1)  # chunked: no length given
    return body if len(body) <= MAX_BODY else None


def _reply(
    start_response: Callable, status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("content-type", content_type), ("content-length", str(len(body)))])
    return [body]


def make_server(web_app: WebApp, host: str, port: int, threads: int = 16,  # noqa: ANN201
                limits: EdgeLimits | None = None):
    """A waitress server (``.run()``; ``.close()`` to stop) for ``web_app``, with the edge's
    limits and the header-time signature check on ``/slack/events``."""
    return make_http_server(web_app, host, port, threads, limits=limits,
                            events_path=EVENTS_PATH, refusal=header_refusal)


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
