"""Running the app: HTTP (WSGI under waitress) for production, Socket Mode for laptops."""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.coaching.coach import Coach
from bot.config import ConfigError, SlackSettings
from bot.slack.app import build_app
from bot.slack.priority import AckFirst
from bot.slack.services import Services
from bot.storage import Storage, StorageError

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class WebApp:
    """The WSGI app: ``/healthz``, ``/slack/events`` and the OAuth pages.

    Requests that are signed but unreadable get 400 here rather than an exception in Bolt.
    """

    def __init__(
        self, app: App, signing_secret: str | None, ack_first: AckFirst | None = None
    ) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.ack_first = ack_first or AckFirst()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _reply(start_response, "200 OK", b"ok")
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


def create_services(settings: SlackSettings) -> Services:
    """Open the database (applying migrations) and the coach."""
    storage = Storage.from_env()
    storage.upgrade()
    return Services(coach=Coach.from_env(), storage=storage, settings=settings)


def _start(*, socket_mode: bool) -> Services | None:
    """Check the settings and open everything, or print one line saying what is wrong."""
    try:
        settings = SlackSettings.from_env()
        settings.check(socket_mode=socket_mode)
        services = create_services(settings)
    # ValueError covers a broken guidelines or prompt file and a bad model setting.
    except (ConfigError, StorageError, ValueError) as exc:
        print(f"tone-coach: error: {exc}", file=sys.stderr)
        return None
    _configure_logging()
    report_model_status(services.coach)
    return services


def report_model_status(coach: Coach) -> None:
    """Look the configured model up once and log what an operator must know."""
    status = coach.check_model()
    if status is None:
        return
    warning = status.warning()
    if warning and not status.usable:
        log.error("%s; until then every review is the offline one", warning)
    elif warning:
        log.warning("%s", warning)
    elif status.state == "unchecked":
        log.info("model %s not looked up: %s", status.model, status.reason)


def make_server(web_app: WebApp, host: str, port: int, threads: int = 16):  # noqa: ANN201
    """A waitress server (call ``.run()``; ``.close()`` to stop) for ``web_app``."""
    from waitress import create_server

    return create_server(web_app, host=host, port=port, threads=threads, ident="tone-coach")


def serve(port: int | None = None) -> int:
    """``tone-coach serve``: HTTP mode, for production behind a public URL."""
    services = _start(socket_mode=False)
    if services is None:
        return 2
    port = port or int(os.environ.get("PORT") or 3000)
    web_app = WebApp(build_app(services), services.settings.signing_secret, services.ack_first)
    start_background_jobs(services)
    _freeze_startup_objects()
    server = make_server(web_app, "0.0.0.0", port)
    log.info("Tone Coach listening on port %d (%s)", port, EVENTS_PATH)
    server.run()
    return 0


def run_socket_mode() -> int:
    """``tone-coach socket``: Socket Mode, no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    services = _start(socket_mode=True)
    if services is None:
        return 2
    app = build_app(services)
    start_background_jobs(services)
    _freeze_startup_objects()
    SocketModeHandler(app, services.settings.app_token).start()
    return 0


def start_background_jobs(services: Services) -> None:
    """Daily tips and clean-up of old rows."""
    from bot.tips.scheduler import start_scheduler

    start_scheduler(services)


def _freeze_startup_objects() -> None:
    """Keep the garbage collector from walking everything loaded at start-up, again and again.

    Libraries leave some hundred thousand long-lived objects behind; a full collection that
    walks them all stalls every thread for tens of milliseconds, which shows as ack latency.
    """
    gc.collect()
    gc.freeze()


def _configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
