"""The "Check tone" message shortcut: a review of any message, shown only to the caller."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.coaching.coach import DraftError
from bot.slack.blocks import MAX_MESSAGES, notice, working_message
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import fetch_parent_text
from bot.slack.services import Services

CALLBACK_ID = "check_tone"


def register(app: App, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    def check_tone(ack: Ack, shortcut: dict, respond: Respond, client: WebClient) -> None:
        ack()
        services.in_background(_review, services, shortcut, respond, client)


def _review(services: Services, shortcut: dict, respond: Respond, client: WebClient) -> None:
    if not services.first_delivery(shortcut):
        return
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id", "")
    respond(response_type="ephemeral", **working_message())
    thread_ts = message.get("thread_ts")
    parent = None
    if thread_ts and thread_ts != message.get("ts"):
        parent = fetch_parent_text(client, channel, thread_ts)
    request = DraftRequest(
        team_id=(shortcut.get("team") or {}).get("id", ""),
        channel_id=channel,
        user_id=(shortcut.get("user") or {}).get("id", ""),
        entry_point="shortcut",
        draft=plain_text(message.get("text")),
        context=plain_text(parent) or None,
    )
    try:
        # The "working" note above took one of the response_url's five posts.
        _, replies = services.review(request, max_messages=MAX_MESSAGES - 1)
    except DraftError as exc:
        replies = [notice(f":warning: I couldn't check this message: {exc}")]
    respond(response_type="ephemeral", replace_original=True, **replies[0])
    for more in replies[1:]:  # a long rewrite continues below the review
        respond(response_type="ephemeral", replace_original=False, **more)
