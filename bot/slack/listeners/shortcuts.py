"""The "Check tone" message shortcut: a review of any message, shown only to the caller."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import fetch_parent_text
from bot.slack.presenters import ReplyTo, presenter_for
from bot.slack.services import Services

CALLBACK_ID = "check_tone"


def register(app: App, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    def check_tone(ack: Ack, shortcut: dict, client: WebClient) -> None:
        ack()
        services.in_background(_review, services, shortcut, client)


def _review(services: Services, shortcut: dict, client: WebClient) -> None:
    if not services.first_delivery(shortcut):
        return
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id", "")
    team = (shortcut.get("team") or {}).get("id", "")
    user = (shortcut.get("user") or {}).get("id", "")
    target = ReplyTo("shortcut", team, channel, user, message_ts=message.get("ts"),
                     response_url=shortcut.get("response_url"))
    presenter = presenter_for(target, client)
    thread_ts = message.get("thread_ts")
    parent = None
    if thread_ts and thread_ts != message.get("ts"):
        parent = fetch_parent_text(client, channel, thread_ts)
    request = DraftRequest(
        team_id=team,
        channel_id=channel,
        user_id=user,
        entry_point="shortcut",
        draft=plain_text(message.get("text")),
        context=plain_text(parent) or None,
    )
    services.reviews.run(request, presenter)
