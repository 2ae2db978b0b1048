"""Getting a review to the person through Slack's faults.

Every Slack call that carries a review goes through :class:`Delivery`, on clients from
:mod:`bot.slack.clients` that retry Slack's passing faults. When a call still fails,
:class:`DeliveryError` says which call and why in a few words fit for a log line: a status
and an error code, never the body (Slack's 5xx pages are HTML) and never the message.
"""

from __future__ import annotations

import logging
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.clients import RetryPolicy, is_transient, response_url_client

log = logging.getLogger(__name__)

class DeliveryError(Exception):
    """A Slack call that failed for good; the message is fit for a log line."""

    def __init__(self, call: str, reason: str, *, permanent: bool = False) -> None:
        super().__init__(f"{call}: {reason}")
        self.call = call
        self.reason = reason
        self.permanent = permanent  # retrying the same call later will not help


def api_error(call: str, exc: SlackApiError) -> DeliveryError:
    """A :class:`DeliveryError` from slack_sdk's error, without the response body."""
    response = exc.response
    status = getattr(response, "status_code", 0) or 0
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    # slack_sdk files a non-JSON body (Slack's HTML error pages) under "error" too.
    reason = code if isinstance(code, str) and code.isidentifier() else f"HTTP {status}"
    return DeliveryError(call, reason, permanent=not is_transient(status, data))


class Delivery:
    """The Slack calls that carry a review, each retried and each failing as DeliveryError."""

    def __init__(self, client: WebClient, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()

    def post(self, channel: str, message: dict, *, thread_ts: str | None = None) -> str:
        """Post ``message`` (in a thread when ``thread_ts``); returns the new message's ts."""
        kwargs = {"thread_ts": thread_ts} if thread_ts else {}
        response = self._call("chat.postMessage", self.client.chat_postMessage,
                              channel=channel, **kwargs, **message)
        return response["ts"]

    def update(self, channel: str, ts: str, message: dict) -> None:
        self._call("chat.update", self.client.chat_update, channel=channel, ts=ts, **message)

    def ephemeral(self, channel: str, user: str, message: dict) -> None:
        self._call("chat.postEphemeral", self.client.chat_postEphemeral,
                   channel=channel, user=user, **message)

    def direct(self, user: str, message: dict) -> None:
        """A direct message from the bot (posting to a user id opens the DM)."""
        self._call("chat.postMessage", self.client.chat_postMessage, channel=user, **message)

    def privately(self, channel: str, user: str, message: dict) -> bool:
        """Ephemeral in ``channel``, else a DM; False (and a warning) if neither reached."""
        try:
            self.ephemeral(channel, user, message)
            return True
        except DeliveryError as first:
            try:
                self.direct(user, message)
                return True
            except DeliveryError as second:
                log.warning("could not reach a user privately: %s; then %s", first, second)
                return False

    def respond(self, response_url: str, message: dict, *, replace_original: bool) -> None:
        """Post to a slash command's or shortcut's ``response_url``, retried like the rest."""
        self.respond_to(response_url, message, replace_original=replace_original,
                        policy=self.policy)

    @staticmethod
    def respond_to(response_url: str, message: dict, *, replace_original: bool,
                   policy: RetryPolicy | None = None) -> None:
        """:meth:`respond` without a Web API client (a response URL needs no token)."""
        webhook = response_url_client(response_url, policy)
        body = {"response_type": "ephemeral", "replace_original": replace_original, **message}
        try:
            response = webhook.send_dict(body)
        except (URLError, OSError, HTTPException) as exc:
            raise DeliveryError("response_url", type(exc).__name__) from None
        if response.status_code != 200:
            # Slack answers response_url errors in plain text (expired_url, used_url, ...).
            code = (response.body or "").strip()
            reason = code if code.isidentifier() else f"HTTP {response.status_code}"
            raise DeliveryError("response_url", reason,
                                permanent=not is_transient(response.status_code, None))

    def react(self, add: bool, channel: str, ts: str, name: str) -> None:
        """Add or remove a status emoji; never raises, since it is only a nicety."""
        method = self.client.reactions_add if add else self.client.reactions_remove
        try:
            method(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            error = api_error("reactions." + ("add" if add else "remove"), exc)
            if error.reason not in ("already_reacted", "no_reaction"):
                log.info("status emoji %s failed: %s", name, error)
        except (URLError, OSError, HTTPException) as exc:
            log.info("status emoji %s failed: %s", name, type(exc).__name__)

    def _call(self, name: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            raise api_error(name, exc) from None
        except (URLError, OSError, HTTPException) as exc:
            raise DeliveryError(name, type(exc).__name__) from None
