"""Building the Bolt app: client, executor, de-duplication and listeners."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.slack.listeners import register_all
from bot.slack.pools import started_pool
from bot.slack.services import Services

log = logging.getLogger(__name__)

#: Threads running Bolt listeners; each only acknowledges and hands over, so a few suffice.
LISTENER_THREADS = 16

# Keep in step with manifest.json (a test checks they agree).
BOT_SCOPES = [
    "commands", "chat:write", "reactions:read", "reactions:write", "channels:history",
    "groups:history", "im:write", "users:read",
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
        # Listeners only acknowledge and hand reviews to the services' own pool, so acks
        # never queue behind drafts waiting on the model.
        listener_executor=started_pool(LISTENER_THREADS, "listener"),
        process_before_response=False,
    )
    register_all(app, services)
    services.start_review_pool()
    return app

