"""Listeners grouped by Slack feature; each module has a ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    commands,
    events,
    fallback,
    home,
    messages,
    reactions,
    shortcuts,
)
from bot.slack.services import Services


def register_all(app: App, services: Services) -> None:
    for module in (commands, reactions, messages, shortcuts, actions, home, events, fallback):
        module.register(app, services)
