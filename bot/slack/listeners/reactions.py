"""Reacting to a message with the configured emoji posts a review in its thread."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.jobs.job import ReviewJob
from bot.slack.services import Services, delivery_key


def register(app: App, services: Services) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, context: BoltContext) -> None:
        item = event.get("item") or {}
        if event.get("reaction") != services.settings.reaction or item.get("type") != "message":
            return
        # Only where the message is: the worker reads its text back from Slack.
        services.defer(ReviewJob(
            kind="reaction",
            key=delivery_key(body) or f"reaction:{item.get('channel')}:{item.get('ts')}",
            team_id=context.team_id or "",
            channel_id=item.get("channel", ""),
            user_id=event.get("user", ""),
            ts=item.get("ts"),
            bot_user_id=context.bot_user_id,
            ext_shared=body.get("is_ext_shared_channel") is True,
        ))
