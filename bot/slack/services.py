"""What every listener needs: the settings, storage, Slack clients, review flow and pool."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.coaching.coach import Coach
from bot.jobs.job import ReviewJob
from bot.jobs.queue import JobQueue
from bot.settings import Settings
from bot.slack.channels import ChannelDirectory
from bot.slack.clients import SlackClients
from bot.slack.permissions import Admins, SettingsGuard
from bot.slack.pools import WorkPool
from bot.slack.priority import AckFirst
from bot.slack.review_flow import ReviewService
from bot.storage import Storage

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Shared by the listeners of one app; safe to use from many threads.

    Built by :class:`bot.runtime.Runtime`, which also starts and stops the pool.
    """

    coach: Coach
    storage: Storage
    settings: Settings
    clients: SlackClients | None = None
    ack_first: AckFirst = field(default_factory=AckFirst)
    pool: WorkPool | None = None
    jobs: JobQueue | None = None
    reviews: ReviewService = field(init=False)
    # Which channels are shared with another organisation (conversations.info, cached).
    channels: ChannelDirectory = field(default_factory=ChannelDirectory)
    # Who may change a channel's settings (TONE_COACH_ADMINS).
    guard: SettingsGuard = field(init=False)

    def __post_init__(self) -> None:
        self.reviews = ReviewService(self.coach, self.storage)
        self.guard = SettingsGuard(Admins.parse(self.settings.admins))
        if self.clients is None:
            self.clients = SlackClients(self.settings, self._installation_store())

    def _installation_store(self) -> object | None:
        if not self.settings.uses_oauth:
            return None
        return self.storage.slack_oauth.installation_store(self.settings.client_id or "")

    def in_background(self, work: Callable[..., None], *args: Any) -> None:
        """Run slow work (fetching, reviewing, posting) after the listener has returned,
        once the requests arriving with it have been answered."""
        if self.pool is None:
            raise RuntimeError("the review pool is not running: start the Runtime first")
        self.pool.submit(self._after_acks, work, *args)

    def _after_acks(self, work: Callable[..., None], *args: Any) -> None:
        self.ack_first.wait_for_quiet()
        work(*args)

    def defer(self, job: ReviewJob) -> None:
        """Queue a review job; returns at once (the database is written from another thread)."""
        if self.jobs is None:
            raise RuntimeError("no job queue: start the Runtime first")
        self.jobs.defer(job)

    def first_delivery(self, body: dict) -> bool:
        """True unless this exact delivery (a Slack retry, a duplicate event) was handled.

        Listeners call it after acknowledging, so the database is never on the ack path.
        """
        key = delivery_key(body)
        if key is None:
            return True
        try:
            first = self.storage.deliveries.claim(key)
        except Exception:  # answering twice beats never answering
            log.exception("could not claim a delivery; handling it anyway")
            return True
        if not first:
            log.info("skipping a repeated delivery %s", key)
        return first

    def titles(self, language: str) -> dict[str, str]:
        """Guideline titles in ``language``, for showing findings."""
        return self.reviews.titles(language)

    def watch_mode(self, team_id: str, channel_id: str) -> str | None:
        """``top``, ``replies`` or None: /tone-check watch first, then TONE_COACH_WATCH_CHANNELS."""
        stored = self.storage.channels.mode(team_id, channel_id)
        return stored or self.settings.watch_channels.get(channel_id)


def delivery_key(body: dict) -> str | None:
    """What makes a delivery unique: the event id, or the trigger of a command or click."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if body.get("command") and trigger:
        return f"command:{trigger}"
    if body.get("type") and trigger:
        return f"{body['type']}:{trigger}"
    return None
