"""Reacting to a message with the configured emoji posts a review in its thread."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.audience import Audience, audience_in
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import explain, fetch_message
from bot.slack.presenters import ReplyTo, presenter_for, tell_privately
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        item = event.get("item") or {}
        if event.get("reaction") != services.settings.reaction or item.get("type") != "message":
            return
        services.in_background(_review_reacted_message, services, body, client,
                               context.team_id or "", context.bot_user_id)


def _review_reacted_message(services: Services, body: dict, client: WebClient, team_id: str,
                            bot_user_id: str | None) -> None:
    if not services.first_delivery(body):
        return
    event = body["event"]
    item = event.get("item") or {}
    channel, ts, user = item.get("channel", ""), item.get("ts", ""), event.get("user", "")
    audience = audience_in(services.channels, client, channel,
                           services.settings.shared_channels, body)
    try:
        message = fetch_message(client, channel, ts)
    except SlackApiError as exc:
        tell_privately(client, channel, user, f":warning: {explain(exc)}")
        return
    if message.bot_id or message.user == bot_user_id:
        return  # reviews of our own (or other bots') posts help nobody
    request = DraftRequest(
        team_id=team_id,
        channel_id=channel,
        user_id=message.user or user,
        entry_point="reaction",
        draft=plain_text(message.text),
        context=plain_text(message.parent_text) or None,
    )
    kind = "thread" if audience is Audience.CHANNEL else "private"
    target = ReplyTo(kind, team_id, channel, user, message_ts=ts,
                     thread_ts=message.thread_ts or ts)
    services.reviews.run(request, presenter_for(target, client))
