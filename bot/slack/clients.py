"""The one place that builds Slack Web API clients."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.settings import Settings

ClientForTeam = Callable[[str], WebClient | None]


def web_client(api_url: str | None, token: str | None = None) -> WebClient:
    """A Web API client that waits out Slack's 429s (``Retry-After``) and brief outages."""
    kwargs = {"base_url": api_url} if api_url else {}
    return WebClient(
        token=token,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
        **kwargs,
    )


def response_url_client(response_url: str) -> WebhookClient:
    """A client for one ``response_url`` (slash commands, shortcuts), with the same retries."""
    return WebhookClient(
        response_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


class SlackClients:
    """Clients for the configured workspace, or for any workspace installed through OAuth."""

    def __init__(self, settings: Settings, installation_store: object | None = None) -> None:
        self.settings = settings
        self.installation_store = installation_store
        # One client for the bot token; with OAuth, Bolt gives it each request's token.
        self.default = web_client(settings.api_url, settings.bot_token)

    def for_team(self, team_id: str) -> WebClient | None:
        """The client that posts in ``team_id``, or None if that workspace has no install.

        With OAuth the bot token is looked up each time, because a reinstall replaces it.
        """
        if not self.settings.uses_oauth:
            return self.default
        if self.installation_store is None:
            return None
        bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        return web_client(self.settings.api_url, bot.bot_token) if bot and bot.bot_token else None
