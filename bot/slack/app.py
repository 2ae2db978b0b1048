"""Building the Bolt app: client, executor, de-duplication and listeners."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.slack.listeners import register_all
from bot.slack.services import Services

log = logging.getLogger(__name__)

# Keep in step with manifest.json (a test checks they agree).
BOT_SCOPES = [
    "commands", "chat:write", "reactions:read", "reactions:write", "channels:history",
    "groups:history", "im:write",
]


def web_client(services: Services, token: str | None = None) -> WebClient:
    """A Web API client that waits out Slack's 429s (``Retry-After``) and brief outages."""
    kwargs = {"base_url": services.settings.api_url} if services.settings.api_url else {}
    return WebClient(
        token=token,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
        **kwargs,
    )


def build_app(services: Services) -> App:
    """The Bolt app with every listener registered; settings must already be checked."""
    settings = services.settings
    oauth = None
    if settings.uses_oauth:
        oauth = OAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=BOT_SCOPES,
            installation_store=services.storage.installation_store(settings.client_id or ""),
            state_store=services.storage.oauth_state_store(),
        )
    app = App(
        client=web_client(services, settings.bot_token),
        signing_secret=settings.signing_secret,
        oauth_settings=oauth,
        # Reviews wait on the model for seconds; Bolt's default pool of 5 threads would
        # queue the sixth draft behind the first five.
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.workers, thread_name_prefix="listener"
        ),
        process_before_response=False,
    )
    app.use(_handle_each_delivery_once(services))
    register_all(app, services)
    return app


def delivery_key(body: dict) -> str | None:
    """What makes a delivery unique: the event id, or the trigger of a command or click."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if body.get("command") and trigger:
        return f"command:{trigger}"
    if body.get("type") and trigger:
        return f"{body['type']}:{trigger}"
    return None


def _handle_each_delivery_once(services: Services):  # noqa: ANN202 - Bolt middleware
    def middleware(body: dict, next, logger) -> BoltResponse | None:  # noqa: A002, ANN001
        key = delivery_key(body)
        try:
            first = key is None or services.storage.claim_delivery(key)
        except Exception:  # answering twice beats never answering
            log.exception("could not claim a delivery; handling it anyway")
            first = True
        if not first:
            log.info("skipping a repeated delivery %s", key)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
