"""A channel was shared with, or unshared from, another workspace: forget its cached flags."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    @app.event("channel_shared")
    @app.event("channel_unshared")
    def on_sharing_changed(event: dict) -> None:
        services.channels.forget(event.get("channel", ""))
