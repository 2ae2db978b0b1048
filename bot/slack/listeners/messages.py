"""Watched channels: new drafts from people are reviewed without being asked.

``top`` mode reviews top-level messages. ``replies`` mode also reviews replies in threads,
with the thread's first message as the customer's side of the conversation: replies by that
message's author are the customer talking (or the lead pasting the customer's words), never
a draft, and replies from bots are never drafts either.
"""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack.audience import Audience, audience_in
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import fetch_parent
from bot.slack.presenters import ReplyTo, presenter_for
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    # Every message event is acknowledged here, subtypes included: an unheard event gets a
    # 404 from Bolt, and Slack retries those.
    @app.event("message")
    def on_message(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        if _is_new_human_message(event, context):
            team = context.team_id or event.get("team", "")
            services.in_background(_review_if_watched, services, body, client, team)


def _is_new_human_message(event: dict, context: BoltContext) -> bool:
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return False  # edits, joins, bots, our own posts
    return event.get("user") != context.bot_user_id


def _review_if_watched(services: Services, body: dict, client: WebClient, team: str) -> None:
    event = body["event"]
    channel, ts = event.get("channel", ""), event["ts"]
    thread_ts = event.get("thread_ts")
    is_reply = bool(thread_ts) and thread_ts != ts
    mode = services.watch_mode(team, channel)
    if mode is None or (is_reply and mode != "replies"):
        return
    if not services.first_delivery(body):
        return
    context = None
    if is_reply:
        parent = fetch_parent(client, channel, thread_ts)
        if parent is None or parent.user == event.get("user"):
            return  # the customer's side of the thread, or a thread we cannot read
        context = plain_text(parent.text) or None
    request = DraftRequest(
        team_id=team,
        channel_id=channel,
        user_id=event.get("user", ""),
        entry_point="watch",
        draft=plain_text(event.get("text")),
        context=context,
    )
    # Watched before it was shared with another organisation: nothing the customer sees.
    audience = audience_in(services.channels, client, channel,
                           services.settings.shared_channels, body)
    kind = "watch" if audience is Audience.CHANNEL else "private_watch"
    target = ReplyTo(kind, team, channel, request.user_id, message_ts=ts,
                     thread_ts=thread_ts or ts)
    services.reviews.run(request, presenter_for(target, client))
