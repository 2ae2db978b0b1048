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
    personal,
    reactions,
    sharing,
    shortcuts,
)
from bot.slack.services import Services


def register_all(app: App, services: Services) -> None:
    # events, then fallback last: their catch-alls only take what no other listener did.
    for module in (commands, reactions, messages, shortcuts, actions, personal, home, sharing,
                   events, fallback):
        module.register(app, services)
