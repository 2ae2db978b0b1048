"""Events Tone Coach hears but has nothing to do for, acknowledged so Slack never retries."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    # Registered last, so it only catches what no other listener took: Bolt answers 404
    # to unheard events and Slack treats that as a failure to retry.
    @app.event(re.compile(".*"))
    def ignore_other_events() -> None:
        return None
