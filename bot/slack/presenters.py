"""Where a review goes and how it is shown, one presenter per entry point.

What to post where is plain data (:class:`ReplyTo`, JSON-serialisable), kept apart from the
client that posts it: ``presenter_for(ReplyTo.from_dict(data), client)`` rebuilds the same
presenter in another process.

Kinds:

- ``ephemeral``: ``/tone-check``; the ack already said "Reviewing…", the review replaces it
  through the command's ``response_url``.
- ``shortcut``: *Check tone*; "Reviewing…" and then the review, privately, via ``response_url``.
- ``thread``: a reaction; a placeholder in the message's thread, updated in place.
- ``watch``: a watched channel; :eyes: while working, then :white_check_mark: for a good draft
  or the review in the thread, and problems told privately.
- ``private``: a reaction in a channel shared with another organisation; the review goes
  only to whoever reacted (ephemeral, or a direct message), nothing in the thread.
- ``private_watch``: a watched channel that is shared with another organisation; no
  reactions, nothing for a good draft, a review that needs work only to its author.

Which of ``thread``/``watch`` or ``private``/``private_watch`` applies is decided by
:func:`bot.slack.audience.audience_in`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import notice, working_message
from bot.slack.clients import response_url_client

log = logging.getLogger(__name__)

PresenterKind = Literal["ephemeral", "shortcut", "thread", "watch", "private", "private_watch"]
WORKING_REACTION = "eyes"
GOOD_REACTION = "white_check_mark"


@dataclass(frozen=True)
class ReplyTo:
    """Plain data saying where a review goes; safe to store as JSON and rebuild elsewhere."""

    kind: PresenterKind
    team_id: str
    channel_id: str
    user_id: str  # who asked, and who is told privately when something goes wrong
    message_ts: str | None = None  # the reviewed message (reactions go on it)
    thread_ts: str | None = None  # the thread the review is posted in
    placeholder_ts: str | None = None  # our "Reviewing…" message, once posted
    response_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplyTo:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


class Presenter(Protocol):
    """Shows one review's progress and outcome to the person who asked."""

    target: ReplyTo

    def start(self) -> None:
        """Show that the review is under way."""

    def show(self, verdict: str, message: dict) -> None:
        """Show the finished review (``message`` is Block Kit)."""

    def refuse(self, text: str) -> None:
        """Say why this draft cannot be reviewed (empty, too long)."""

    def fail(self, text: str) -> None:
        """Something went wrong: say so, in place of anything that still says "Reviewing…"."""


def presenter_for(target: ReplyTo, client: WebClient | None) -> Presenter:
    """The presenter for ``target.kind``; ``client`` posts in the target's workspace."""
    if target.kind in ("ephemeral", "shortcut"):
        return ResponseUrlReply(target)
    if client is None:
        raise ValueError(f"a {target.kind} reply needs a Slack client")
    if target.kind == "thread":
        return ThreadReply(target, client)
    if target.kind == "watch":
        return WatchReply(target, client)
    if target.kind in ("private", "private_watch"):
        return PrivateReply(target, client)
    raise ValueError(f"unknown presenter kind {target.kind!r}")


class ResponseUrlReply:
    """A private reply through ``response_url`` (slash command, message shortcut)."""

    def __init__(self, target: ReplyTo) -> None:
        self.target = target
        self._webhook = response_url_client(target.response_url or "")

    def start(self) -> None:
        if self.target.kind == "shortcut":  # a command's ack already said it
            self._send(working_message(), replace=False)

    def show(self, verdict: str, message: dict) -> None:
        self._send(message)

    def refuse(self, text: str) -> None:
        self._send(notice(text))

    def fail(self, text: str) -> None:
        self._send(notice(text))

    def _send(self, message: dict, *, replace: bool = True) -> None:
        response = self._webhook.send_dict(
            {"response_type": "ephemeral", "replace_original": replace, **message}
        )
        if response.status_code != 200:
            log.warning("response_url answered %s", response.status_code)


class ThreadReply:
    """A placeholder in the thread, updated in place with the review (reaction)."""

    def __init__(self, target: ReplyTo, client: WebClient) -> None:
        self.target = target
        self.client = client

    def start(self) -> None:
        if self.target.placeholder_ts:
            return  # posted before (a resumed job)
        posted = self.client.chat_postMessage(
            channel=self.target.channel_id, thread_ts=self.target.thread_ts, **working_message()
        )
        self.target = replace(self.target, placeholder_ts=posted["ts"])

    def show(self, verdict: str, message: dict) -> None:
        self.client.chat_update(
            channel=self.target.channel_id, ts=self.target.placeholder_ts, **message
        )

    def refuse(self, text: str) -> None:
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)

    def fail(self, text: str) -> None:
        if self.target.placeholder_ts:
            try:
                self.client.chat_update(
                    channel=self.target.channel_id, ts=self.target.placeholder_ts, **notice(text)
                )
                return
            except SlackApiError as exc:
                log.warning("could not replace a placeholder: %s", exc.response.get("error"))
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)


class WatchReply:
    """Quiet: reactions on the draft, a thread reply only when there is something to fix."""

    def __init__(self, target: ReplyTo, client: WebClient) -> None:
        self.target = target
        self.client = client

    def start(self) -> None:
        self._react("add", WORKING_REACTION)

    def show(self, verdict: str, message: dict) -> None:
        self._react("remove", WORKING_REACTION)
        if verdict == "ok":
            self._react("add", GOOD_REACTION)
        else:
            self.client.chat_postMessage(
                channel=self.target.channel_id,
                thread_ts=self.target.thread_ts or self.target.message_ts,
                **message,
            )

    def refuse(self, text: str) -> None:
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)

    def fail(self, text: str) -> None:
        self._react("remove", WORKING_REACTION)
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)

    def _react(self, action: str, name: str) -> None:
        channel, ts = self.target.channel_id, self.target.message_ts
        try:
            if action == "add":
                self.client.reactions_add(channel=channel, timestamp=ts, name=name)
            else:
                self.client.reactions_remove(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            # A status emoji is a nicety; losing one must not lose the review.
            if exc.response.get("error") not in ("already_reacted", "no_reaction"):
                log.info("reaction %s %s failed: %s", action, name, exc.response.get("error"))


class PrivateReply:
    """Only the person in ``target.user_id`` sees anything; nothing is posted in the channel."""

    def __init__(self, target: ReplyTo, client: WebClient) -> None:
        self.target = target
        self.client = client

    def start(self) -> None:
        pass  # a placeholder would be public, and an ephemeral one cannot be updated

    def show(self, verdict: str, message: dict) -> None:
        if self.target.kind == "private_watch" and verdict == "ok":
            return  # the author did not ask; a good draft needs no word
        post_privately(self.client, self.target.channel_id, self.target.user_id, message)

    def refuse(self, text: str) -> None:
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)

    def fail(self, text: str) -> None:
        tell_privately(self.client, self.target.channel_id, self.target.user_id, text)


def tell_privately(client: WebClient, channel: str, user: str, text: str) -> None:
    """A short note of ours, only for ``user``: see :func:`post_privately`."""
    post_privately(client, channel, user, notice(text))


def post_privately(client: WebClient, channel: str, user: str, message: dict) -> bool:
    """An ephemeral message in the channel, or a direct message when that is impossible.

    Returns False (and logs) when neither reached the user.
    """
    try:
        client.chat_postEphemeral(channel=channel, user=user, **message)
        return True
    except SlackApiError as exc:
        log.info("ephemeral message refused (%s); sending a direct message",
                 exc.response.get("error"))
    try:
        client.chat_postMessage(channel=user, **message)
        return True
    except SlackApiError as exc:
        log.warning("could not reach a user privately: %s", exc.response.get("error"))
        return False
