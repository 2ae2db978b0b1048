"""Watched channels: every new top-level message from a person is a draft to review."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coaching.coach import DraftError, check_draft
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import explain
from bot.slack.listeners.reactions import tell_privately
from bot.slack.services import Services

log = logging.getLogger(__name__)

WORKING_REACTION = "eyes"
GOOD_REACTION = "white_check_mark"


def register(app: App, services: Services) -> None:
    # Every message event is acknowledged here, subtypes included: an unheard event gets a
    # 404 from Bolt, and Slack retries those.
    @app.event("message")
    def on_message(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        if _is_new_human_draft(event, context):
            team = context.team_id or event.get("team", "")
            services.in_background(_review_if_watched, services, body, client, team)


def _review_if_watched(services: Services, body: dict, client: WebClient, team: str) -> None:
    event = body["event"]
    channel = event.get("channel", "")
    watched = channel in services.settings.watch_channels or services.storage.is_watched(
        team, channel
    )
    if not watched or not services.first_delivery(body):
        return
    request = DraftRequest(
        team_id=team,
        channel_id=channel,
        user_id=event.get("user", ""),
        entry_point="watch",
        draft=plain_text(event.get("text")),
    )
    review_quietly(services, client, request, ts=event["ts"])


def _is_new_human_draft(event: dict, context: BoltContext) -> bool:
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return False  # edits, joins, bots, our own posts
    if event.get("user") == context.bot_user_id:
        return False
    thread_ts = event.get("thread_ts")
    return not thread_ts or thread_ts == event.get("ts")  # replies in threads are conversation


def review_quietly(
    services: Services, client: WebClient, request: DraftRequest, *, ts: str
) -> None:
    """Eyes while working; a check mark for a good draft, a review in the thread otherwise."""
    channel = request.channel_id
    try:
        check_draft(request.draft)
    except DraftError as exc:
        tell_privately(
            client, channel, request.user_id, f":warning: I couldn't check that draft: {exc}"
        )
        return
    try:
        _react(client, "add", channel, ts, WORKING_REACTION)
        review, messages = services.review(request)
        _react(client, "remove", channel, ts, WORKING_REACTION)
        if review.verdict == "ok":
            _react(client, "add", channel, ts, GOOD_REACTION)
        else:
            for message in messages:  # a long rewrite continues in the same thread
                client.chat_postMessage(channel=channel, thread_ts=ts, **message)
    except SlackApiError as exc:
        log.warning("slack refused a watched-channel review: %s", exc.response.get("error"))
        tell_privately(client, channel, request.user_id, f":warning: {explain(exc)}")


def _react(client: WebClient, action: str, channel: str, ts: str, name: str) -> None:
    try:
        if action == "add":
            client.reactions_add(channel=channel, timestamp=ts, name=name)
        else:
            client.reactions_remove(channel=channel, timestamp=ts, name=name)
    except SlackApiError as exc:
        # A status emoji is a nicety; losing one must not lose the review.
        if exc.response.get("error") not in ("already_reacted", "no_reaction"):
            log.info("reaction %s %s failed: %s", action, name, exc.response.get("error"))
