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

Every Slack call goes through :class:`~bot.slack.delivery.Delivery` (Slack's passing faults
retried). When the place a review belongs refuses it, the person gets it privately (ephemeral,
else a DM) and a placeholder left behind says so; when even that fails, :class:`TryLater`
tells the job queue to run the review again later.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, Protocol

from slack_sdk import WebClient

from bot.jobs.job import TryLater
from bot.slack.blocks import MAX_MESSAGES, notice, working_message
from bot.slack.clients import RetryPolicy
from bot.slack.delivery import Delivery, DeliveryError

log = logging.getLogger(__name__)

PresenterKind = Literal["ephemeral", "shortcut", "thread", "watch", "private", "private_watch"]
WORKING_REACTION = "eyes"
GOOD_REACTION = "white_check_mark"
MOVED_PRIVATELY = (
    ":warning: Slack would not let me post the review here, so I've sent it to <@{user}> "
    "privately."
)


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

    #: How many messages the review may take (a long rewrite continues in the next ones).
    message_limit: int

    def show(self, verdict: str, messages: list[dict]) -> None:
        """Show the finished review: Block Kit ``messages``, the first one the review and the
        rest the continuation of a long rewrite, in the same place."""

    def refuse(self, text: str) -> None:
        """Say why this draft cannot be reviewed (empty, too long)."""

    def fail(self, text: str) -> None:
        """Something went wrong: say so, in place of anything that still says "Reviewing…"."""


def presenter_for(target: ReplyTo, client: WebClient | None,
                  policy: RetryPolicy | None = None) -> Presenter:
    """The presenter for ``target.kind``; ``client`` posts in the target's workspace."""
    delivery = Delivery(client, policy) if client is not None else None
    if target.kind in ("ephemeral", "shortcut"):
        return ResponseUrlReply(target, delivery, policy)
    if delivery is None:
        raise ValueError(f"a {target.kind} reply needs a Slack client")
    if target.kind == "thread":
        return ThreadReply(target, delivery)
    if target.kind == "watch":
        return WatchReply(target, delivery)
    if target.kind in ("private", "private_watch"):
        return PrivateReply(target, delivery)
    raise ValueError(f"unknown presenter kind {target.kind!r}")


class ResponseUrlReply:
    """A private reply through ``response_url`` (slash command, message shortcut); when that
    URL fails or has expired, an ephemeral message or a DM instead."""

    def __init__(self, target: ReplyTo, delivery: Delivery | None,
                 policy: RetryPolicy | None = None) -> None:
        self.target = target
        self.delivery = delivery
        self.policy = policy
        # A response_url takes five posts; the shortcut's "Reviewing…" used one.
        self.message_limit = MAX_MESSAGES - (1 if target.kind == "shortcut" else 0)

    def start(self) -> None:
        if self.target.kind == "shortcut":  # a command's ack already said it
            try:
                self._respond(working_message(), replace=False)
            except DeliveryError as exc:
                log.info("no placeholder for a shortcut: %s", exc)

    def show(self, verdict: str, messages: list[dict]) -> None:
        self._send(messages[0])
        for more in messages[1:]:  # a long rewrite continues below the review
            self._send(more, replace=False)

    def refuse(self, text: str) -> None:
        self._send(notice(text))

    def fail(self, text: str) -> None:
        self._send(notice(text))

    def _send(self, message: dict, *, replace: bool = True) -> None:
        try:
            self._respond(message, replace=replace)
            return
        except DeliveryError as exc:
            log.warning("could not answer through a response_url (%s); sending it privately",
                        exc)
        if self.delivery is None or not self.delivery.privately(
                self.target.channel_id, self.target.user_id, message):
            raise TryLater("Slack took the answer nowhere")

    def _respond(self, message: dict, *, replace: bool) -> None:
        if not self.target.response_url:
            raise DeliveryError("response_url", "none", permanent=True)
        Delivery.respond_to(self.target.response_url, message, replace_original=replace,
                            policy=self.policy)


class ThreadReply:
    """A placeholder in the thread, updated in place with the review (reaction)."""

    message_limit = MAX_MESSAGES

    def __init__(self, target: ReplyTo, delivery: Delivery) -> None:
        self.target = target
        self.delivery = delivery

    def start(self) -> None:
        if self.target.placeholder_ts:
            return  # posted by an earlier, interrupted try (a resumed job)
        try:
            posted = self.delivery.post(self.target.channel_id, working_message(),
                                        thread_ts=self.target.thread_ts)
        except DeliveryError as exc:
            log.warning("no placeholder in the thread: %s", exc)
            return
        self.target = replace(self.target, placeholder_ts=posted)

    def show(self, verdict: str, messages: list[dict]) -> None:
        channel, placeholder = self.target.channel_id, self.target.placeholder_ts
        if placeholder:
            try:
                self.delivery.update(channel, placeholder, messages[0])
                self._continue(messages[1:])
                return
            except DeliveryError as exc:
                log.warning("could not post a review in its thread: %s", exc)
                try:
                    self.delivery.update(channel, placeholder,
                                         notice(MOVED_PRIVATELY.format(user=self.target.user_id)))
                except DeliveryError as again:
                    log.warning("placeholder left as it was: %s", again)
        if not _privately(self.delivery, self.target, messages):
            raise TryLater("Slack took the review nowhere")

    def _continue(self, messages: list[dict]) -> None:
        """A long rewrite continues in the same thread, below the review already shown."""
        for more in messages:
            try:
                self.delivery.post(self.target.channel_id, more, thread_ts=self.target.thread_ts)
            except DeliveryError as exc:
                log.warning("the rest of a long review was not posted: %s", exc)
                return

    def refuse(self, text: str) -> None:
        self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))

    def fail(self, text: str) -> None:
        if not self.replace_placeholder(text):
            self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))

    def replace_placeholder(self, text: str) -> bool:
        """Put ``text`` where "Reviewing…" is; False (with a log line) if there is none or
        Slack refused."""
        if not self.target.placeholder_ts:
            return False
        try:
            self.delivery.update(self.target.channel_id, self.target.placeholder_ts,
                                 notice(text))
            return True
        except DeliveryError as exc:
            log.warning("could not replace a placeholder: %s", exc)
            return False


class WatchReply:
    """Quiet: reactions on the draft, a thread reply only when there is something to fix."""

    message_limit = MAX_MESSAGES

    def __init__(self, target: ReplyTo, delivery: Delivery) -> None:
        self.target = target
        self.delivery = delivery

    def start(self) -> None:
        self._react(True, WORKING_REACTION)

    def show(self, verdict: str, messages: list[dict]) -> None:
        self._react(False, WORKING_REACTION)
        if self.target.placeholder_ts:  # an earlier review of ours is in the thread: replace it
            self._replace(verdict, messages)
            return
        if verdict == "ok":
            self._react(True, GOOD_REACTION)
            return
        self._react(False, GOOD_REACTION)  # a later review may disagree with an earlier "ok"
        try:
            for number, message in enumerate(messages):  # a long rewrite continues below
                posted = self.delivery.post(self.target.channel_id, message,
                                            thread_ts=self.target.thread_ts
                                            or self.target.message_ts)
                if number == 0:
                    self.target = replace(self.target, placeholder_ts=posted)
            return
        except DeliveryError as exc:
            log.warning("could not post a review in its thread: %s", exc)
        if not _privately(self.delivery, self.target, messages):
            raise TryLater("Slack took the review nowhere")

    def _replace(self, verdict: str, messages: list[dict]) -> None:
        try:
            self.delivery.update(self.target.channel_id, self.target.placeholder_ts or "",
                                 messages[0])
        except DeliveryError as exc:
            log.warning("could not replace a review in its thread: %s", exc)
            if not _privately(self.delivery, self.target, messages):
                raise TryLater("Slack took the review nowhere") from None
            return
        if verdict == "ok":
            self._react(True, GOOD_REACTION)

    def refuse(self, text: str) -> None:
        self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))

    def fail(self, text: str) -> None:
        self._react(False, WORKING_REACTION)
        self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))

    def _react(self, add: bool, name: str) -> None:
        self.delivery.react(add, self.target.channel_id, self.target.message_ts or "", name)


class PrivateReply:
    """Only the person in ``target.user_id`` sees anything; nothing is posted in the channel."""

    message_limit = MAX_MESSAGES

    def __init__(self, target: ReplyTo, delivery: Delivery) -> None:
        self.target = target
        self.delivery = delivery

    def start(self) -> None:
        pass  # a placeholder would be public, and an ephemeral one cannot be updated

    def show(self, verdict: str, messages: list[dict]) -> None:
        if self.target.kind == "private_watch" and verdict == "ok":
            return  # the author did not ask; a good draft needs no word
        if not _privately(self.delivery, self.target, messages):
            raise TryLater("Slack took the review nowhere")

    def refuse(self, text: str) -> None:
        self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))

    def fail(self, text: str) -> None:
        self.delivery.privately(self.target.channel_id, self.target.user_id, notice(text))


def tell_privately(client: WebClient, channel: str, user: str, text: str) -> None:
    """A short note of ours, only for ``user``: see :func:`post_privately`."""
    post_privately(client, channel, user, notice(text))


def post_privately(client: WebClient, channel: str, user: str, message: dict) -> bool:
    """An ephemeral message in the channel, or a direct message when that is impossible.

    Returns False (and logs) when neither reached the user.
    """
    return Delivery(client).privately(channel, user, message)


def _privately(delivery: Delivery, target: ReplyTo, messages: list[dict]) -> bool:
    """``messages`` only for ``target.user_id``; False when the first reached nobody."""
    if not delivery.privately(target.channel_id, target.user_id, messages[0]):
        return False
    for more in messages[1:]:  # a long rewrite continues in the next private message
        delivery.privately(target.channel_id, target.user_id, more)
    return True
