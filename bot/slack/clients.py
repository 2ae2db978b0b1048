"""The one place that builds Slack Web API clients.

Every client retries what Slack means as "try again later" (a refused or dropped connection,
HTTP 429, any 5xx, and ``{"ok": false, "error": "ratelimited"}`` answered with status 200),
waiting as long as ``Retry-After`` asks, or backing off with jitter when it says nothing. That
includes posts to a ``response_url``, which Bolt's ``respond()`` sends once and forgets.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.jobs.slots import set_aside
from bot.settings import Settings

log = logging.getLogger(__name__)

RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: ``attempts`` retries, ``base`` doubling up to ``longest``.

    ``Retry-After`` is honoured up to ``longest`` seconds; a longer wait is left to the job
    queue, which tries the whole review again later instead of holding a thread.
    """

    attempts: int = 5
    base: float = 0.5
    longest: float = 30.0

    def backoff(self, attempt: int) -> float:
        return min(self.longest, self.base * 2**attempt) * random.uniform(0.5, 1.0)


class SlackFaultRetry(RetryHandler):
    """A slack_sdk retry handler for every transient fault Slack answers with."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        super().__init__(max_retry_count=self.policy.attempts)

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None:
            return isinstance(error, URLError | OSError | HTTPException)
        return is_transient(response.status_code, response.body)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = retry_after(response.headers if response else {}, self.policy.longest)
        if wait is None:
            wait = self.policy.backoff(state.current_attempt)
        what = f"HTTP {response.status_code}" if response else type(error).__name__
        log.info("slack call %s failed (%s); retry %d in %.1fs", _method(request.url), what,
                 state.current_attempt + 1, wait)
        time.sleep(wait)
        state.increment_current_attempt()
        state.next_attempt_requested = True


def is_transient(status: int, body: Mapping[str, Any] | None) -> bool:
    """True for answers that mean "later": 429, any 5xx, or a 200 saying ``ratelimited``."""
    if status == 429 or status >= 500:
        return True
    return isinstance(body, Mapping) and body.get("error") in RATE_LIMIT_ERRORS


def retry_after(headers: Mapping[str, Any], longest: float) -> float | None:
    """Seconds from a ``Retry-After`` header (any case), capped at ``longest``."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return min(max(float(value), 0.0), longest)
            except (TypeError, ValueError):
                return None
    return None


def _method(url: str) -> str:
    """``chat.postMessage`` for a Web API URL; ``response_url`` for anything else."""
    return url.rsplit("/api/", 1)[-1] if "/api/" in url else "response_url"



ClientForTeam = Callable[[str], WebClient | None]


class _WaitingWebClient(WebClient):
    """A Web API client whose calls (and their retries' waits) set the review's work slot
    aside: Slack answers in tens or hundreds of milliseconds, time another review can use."""

    def api_call(self, *args: Any, **kwargs: Any) -> Any:
        with set_aside():
            return super().api_call(*args, **kwargs)


class _WaitingWebhookClient(WebhookClient):
    """A ``response_url`` client that sets the work slot aside as :class:`_WaitingWebClient`."""

    def send_dict(self, *args: Any, **kwargs: Any) -> Any:
        with set_aside():
            return super().send_dict(*args, **kwargs)


def web_client(
    api_url: str | None, token: str | None = None, policy: RetryPolicy | None = None
) -> WebClient:
    """A Web API client that waits out Slack's faults before giving up."""
    kwargs = {"base_url": api_url} if api_url else {}
    return _WaitingWebClient(token=token, retry_handlers=[SlackFaultRetry(policy)], timeout=15,
                             **kwargs)


def response_url_client(response_url: str, policy: RetryPolicy | None = None) -> WebhookClient:
    """A client for one ``response_url`` (slash commands, shortcuts), with the same retries."""
    return _WaitingWebhookClient(response_url, timeout=15,
                                 retry_handlers=[SlackFaultRetry(policy)])


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
