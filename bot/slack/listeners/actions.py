"""The "Helpful" / "Not helpful" buttons under a review."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond

from bot.messages import message
from bot.slack.blocks import FEEDBACK_HELPFUL, FEEDBACK_NOT_HELPFUL
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(FEEDBACK_HELPFUL)
    @app.action(FEEDBACK_NOT_HELPFUL)
    def vote(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        value = str(action.get("value", ""))
        if value.isdigit():
            services.in_background(record_vote, services, body, action, respond)


def record_vote(services: Services, body: dict, action: dict, respond: Respond) -> None:
    """Count the vote on the review it names and thank the voter privately."""
    user = (body.get("user") or {}).get("id", "")
    review_id = int(action["value"])
    helpful = action.get("action_id") == FEEDBACK_HELPFUL
    reviews = services.storage.reviews
    if not reviews.record_feedback(review_id, user, helpful=helpful):
        # The review's row may still be on its way in (bot/storage/recorder.py).
        services.storage.recorder.flush(2.0)
        if not reviews.record_feedback(review_id, user, helpful=helpful):
            log.info("a vote on a review that is no longer kept was not counted")
    locale = (body.get("user") or {}).get("locale", "en")[:2]
    respond(response_type="ephemeral", replace_original=False,
            text=message("thanks_for_vote", locale))
