"""Is the bot token good? ``auth.test`` at start-up, retried while Slack cannot be reached."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import Retrying, retry_if_exception_type, stop_any, wait_exponential

from bot.settings import ConfigError

log = logging.getLogger(__name__)

# auth.test answers these when the token itself is wrong; retrying cannot help.
REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                     "token_expired", "not_allowed_token_type"})


class SlackUnreachable(Exception):
    """The Web API could not be reached (network, DNS, 5xx); worth trying again later."""


def check_token(client: WebClient) -> dict:
    """``auth.test``'s answer (team_id, user_id...).

    Raises :class:`ConfigError` naming SLACK_BOT_TOKEN when Slack refuses the token, and
    :class:`SlackUnreachable` when Slack cannot be reached.
    """
    try:
        return client.auth_test().data  # type: ignore[return-value]
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error in REFUSED:
            raise ConfigError(
                f"SLACK_BOT_TOKEN was refused by Slack ({error}): copy the Bot User OAuth "
                "Token (xoxb-...) from the app's OAuth & Permissions page again"
            ) from None
        raise SlackUnreachable(error or f"HTTP {exc.response.status_code}") from None
    except OSError as exc:  # urllib's URLError, connection refused, timeouts
        raise SlackUnreachable(str(getattr(exc, "reason", exc))) from None


class InstallCheck:
    """Keeps trying ``auth.test`` in the background, with backoff, until Slack answers."""

    def __init__(
        self,
        client: WebClient,
        on_refused: Callable[[ConfigError], None],
        *,
        max_wait: float = 60.0,
    ) -> None:
        self.client = client
        self.on_refused = on_refused
        self.max_wait = max_wait
        self.identity: dict | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-install-check",
                                        daemon=True)

    def start(self) -> InstallCheck:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        retrying = Retrying(
            retry=retry_if_exception_type(SlackUnreachable),
            wait=wait_exponential(multiplier=1, max=self.max_wait),
            stop=stop_any(lambda state: self._stopping.is_set()),
            sleep=self._stopping.wait,
            before_sleep=lambda state: log.warning(
                "Slack's Web API cannot be reached (%s); trying again in %.0f s",
                state.outcome.exception() if state.outcome else "?",
                state.upcoming_sleep,
            ),
            reraise=True,
        )
        try:
            self.identity = retrying(check_token, self.client)
            log.info("Slack install checked: team %s", self.identity.get("team_id"))
        except ConfigError as exc:
            log.error("%s", exc)
            self.on_refused(exc)
        except SlackUnreachable:
            pass  # stopped while still waiting for Slack
