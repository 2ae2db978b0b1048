"""Watched channels: new drafts from people are reviewed without being asked.

``top`` mode reviews top-level messages. ``replies`` mode also reviews replies in threads,
with the thread's first message as the customer's side of the conversation: replies by that
message's author are the customer talking (or the lead pasting the customer's words), never
a draft, and replies from bots are never drafts either.
"""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.jobs.job import ReviewJob
from bot.slack.services import Services, delivery_key


def register(app: App, services: Services) -> None:
    # Every message event is acknowledged here, subtypes included: an unheard event gets a
    # 404 from Bolt, and Slack retries those.
    @app.event("message")
    def on_message(event: dict, body: dict, context: BoltContext) -> None:
        if _is_new_human_message(event, context):
            # Whether (and how) the channel is watched is a database question, asked by the
            # worker (see bot.slack.review_jobs), never on the ack path.
            services.defer(ReviewJob(
                kind="watch",
                key=delivery_key(body) or f"watch:{event.get('channel')}:{event.get('ts')}",
                team_id=context.team_id or event.get("team", ""),
                channel_id=event.get("channel", ""),
                user_id=event.get("user", ""),
                ts=event.get("ts"),
                thread_ts=event.get("thread_ts"),
                bot_user_id=context.bot_user_id,
                ext_shared=body.get("is_ext_shared_channel") is True,
            ))


def _is_new_human_message(event: dict, context: BoltContext) -> bool:
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return False  # edits, joins, bots, our own posts
    return event.get("user") != context.bot_user_id
