"""Interactions Tone Coach did not ask for, acknowledged so Slack shows no error and never
retries: a button, shortcut, modal or menu of another version of the app, or a stray click."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App

from bot.slack.services import Services

log = logging.getLogger(__name__)

_ANY = re.compile(".*")


def register(app: App, services: Services) -> None:
    # Registered after every other listener, so these only see what nobody else took.
    @app.action(_ANY)
    @app.shortcut(_ANY)
    @app.view(_ANY)
    @app.view_closed(_ANY)
    @app.command(_ANY)
    def acknowledge(ack: Ack, body: dict) -> None:
        ack()
        log.info("acknowledged a %s payload nobody listens for", body.get("type", "command"))

    @app.options(_ANY)
    def no_options(ack: Ack) -> None:
        ack(options=[])
