"""Reacting to a message with the configured emoji posts a review in its thread."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coaching.coach import DraftError, check_draft
from bot.slack.blocks import notice, working_message
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import explain, fetch_message
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
    review_in_thread(services, client, request, thread_ts=message.thread_ts or ts,
                     requester=user)


def review_in_thread(services: Services, client: WebClient, request: DraftRequest, *,
                     thread_ts: str, requester: str) -> None:
    """Post a placeholder in the thread, review, then update the placeholder in place."""
    channel = request.channel_id
    try:
        check_draft(request.draft)
    except DraftError as exc:
        tell_privately(client, channel, requester, f":warning: I couldn't check that draft: {exc}")
        return
    try:
        placeholder = client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                              **working_message())
        _, messages = services.review(request)
        client.chat_update(channel=channel, ts=placeholder["ts"], **messages[0])
        for more in messages[1:]:  # a long rewrite continues in the same thread
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **more)
    except SlackApiError as exc:
        log.warning("slack refused a review post: %s", exc.response.get("error"))
        tell_privately(client, channel, requester, f":warning: {explain(exc)}")


def tell_privately(client: WebClient, channel: str, user: str, text: str) -> None:
    """An ephemeral note in the channel, or a direct message when that is impossible."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, **notice(text))
    except SlackApiError:
        try:
            client.chat_postMessage(channel=user, **notice(text))
        except SlackApiError as exc:
            log.warning("could not tell a user what went wrong: %s", exc.response.get("error"))
