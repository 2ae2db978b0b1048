"""The "Check tone" message shortcut: a review of any message, shown only to the caller."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.jobs.job import ReviewJob
from bot.slack.services import Services, delivery_key

CALLBACK_ID = "check_tone"


def register(app: App, services: Services) -> None:
    @app.shortcut(CALLBACK_ID)
    def check_tone(ack: Ack, shortcut: dict, context: BoltContext) -> None:
        ack()
        message = shortcut.get("message") or {}
        # Where the message is, not its text: the worker reads it back from Slack.
        services.defer(ReviewJob(
            kind="shortcut",
            key=delivery_key(shortcut) or f"shortcut:{shortcut.get('response_url')}",
            team_id=(shortcut.get("team") or {}).get("id", ""),
            channel_id=(shortcut.get("channel") or {}).get("id", ""),
            user_id=(shortcut.get("user") or {}).get("id", ""),
            ts=message.get("ts"),
            response_url=shortcut.get("response_url"),
            bot_user_id=context.bot_user_id,
        ))
