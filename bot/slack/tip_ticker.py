"""The ticker inside ``tone-coach serve`` (a thread the Runtime starts and stops) that posts
daily tips and purges old rows.

A ticker rather than Slack's chat.scheduleMessage: the tip is chosen at send time from the
latest findings, and a removed bot is noticed on the day. Every instance runs one; the
database claims make sure each channel still gets one tip a day.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.slack.clients import ClientForTeam
from bot.slack.services import Services
from bot.slack.tip_delivery import Deliverer, DeliveryResult
from bot.tips.catalog import TipsError
from bot.tips.schedule import ScheduleError, parse_schedule

if TYPE_CHECKING:
    from bot.slack.digest import DigestDeliverer

log = logging.getLogger(__name__)

#: Seconds between ticks: a tip goes out at most this long after its time.
TICK_SECONDS = 30.0

_CHANNEL_ID = re.compile(r"[A-Z][A-Z0-9]{5,}")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class TipScheduler:
    """Ticks every ``interval`` seconds: due tips are posted, and once a day storage is purged.

    Nothing raised in a tick escapes the thread: it is logged, and the next tick tries again.
    """

    def __init__(
        self,
        services: Services,
        *,
        client_for_team: ClientForTeam | None = None,
        clock: Clock = utc_now,
        interval: float = TICK_SECONDS,
    ) -> None:
        self.services = services
        self.client_for_team = client_for_team
        self.clock = clock
        self.interval = interval
        self._deliverer: Deliverer | None = None
        self._digests: DigestDeliverer | None = None
        self._catalog_error: str | None = None
        self._purged_on: date | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tips-ticker", daemon=True)

    def start(self) -> TipScheduler:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current tick (at shutdown, and in tests)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def tick(self) -> list[DeliveryResult]:
        """One round: purge if not yet done today (UTC), then post whatever is due."""
        now = self.clock()
        if self._purged_on != now.date():
            removed = self.services.storage.purge(now=now)
            self._purged_on = now.date()
            log.info("purged old rows: %s", removed)
        self._deliver_digests(now)
        deliverer = self._deliverer_or_none()
        return deliverer.deliver_due(now) if deliverer else []

    def _deliver_digests(self, now: datetime) -> None:
        """The weekly digests ride on the same ticker; their failures never stop the tips."""
        from bot.digest.texts import DigestTextsError
        from bot.slack.digest import DigestDeliverer

        try:
            if self._digests is None:
                self._digests = DigestDeliverer(
                    self.services, self.client_for_team or self.services.clients.for_team
                )
            self._digests.deliver_due(now)
        except DigestTextsError as exc:
            if str(exc) != self._catalog_error:  # once, not every tick
                log.error("weekly digests are off until the texts file is fixed: %s", exc)
                self._catalog_error = str(exc)
        except Exception:
            log.exception("weekly digest tick failed; trying again in %ss", self.interval)

    def subscribe_from_settings(self) -> None:
        """Subscribe ``TIPS_CHANNEL`` (with TIPS_TIME, TIPS_TZ, TIPS_LANGUAGE) unless it already
        has a schedule, which may have been changed with /tone-check tips since."""
        settings = self.services.settings
        channel = settings.tips_channel
        if not channel:
            return
        if settings.uses_oauth:
            log.warning("TIPS_CHANNEL is ignored with OAuth: run /tone-check tips in the channel")
            return
        if not _CHANNEL_ID.fullmatch(channel):
            log.error("TIPS_CHANNEL must be a channel id such as C0123456789, not %r", channel)
            return
        try:
            schedule = parse_schedule(
                f"{settings.tips_time} {settings.tips_tz} {settings.tips_language}"
            )
        except ScheduleError as exc:
            log.error("TIPS_TIME, TIPS_TZ or TIPS_LANGUAGE: %s", exc.problem)
            return
        team_id = self.services.clients.default.auth_test()["team_id"]
        storage = self.services.storage
        if storage.tips.subscription(team_id, channel) is None:
            storage.tips.subscribe(schedule.for_channel(team_id, channel), now=self.clock())
            log.info("subscribed %s to daily tips from TIPS_CHANNEL", channel)

    def _run(self) -> None:
        try:
            self.subscribe_from_settings()
        except Exception:
            log.exception("could not subscribe TIPS_CHANNEL")
        while True:
            try:
                self.tick()
            except Exception:
                log.exception("tips tick failed; trying again in %ss", self.interval)
            if self._stopping.wait(self.interval):
                return

    def _deliverer_or_none(self) -> Deliverer | None:
        if self._deliverer is None:
            clients = self.client_for_team or self.services.clients.for_team
            try:
                self._deliverer = Deliverer(self.services, clients)
            except TipsError as exc:
                if str(exc) != self._catalog_error:  # once, not every tick
                    log.error("daily tips are off until the tips file is fixed: %s", exc)
                    self._catalog_error = str(exc)
                return None
        return self._deliverer
