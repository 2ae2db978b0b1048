"""Posting the day's tip to every channel whose time has come, once across all instances."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.audience import SHARED_CHANNEL, Audience, audience_in
from bot.slack.services import Services
from bot.slack.tip_blocks import tip_message
from bot.storage import TipSubscription
from bot.tips.catalog import TipCatalog, load_tips
from bot.tips.choose import choose_tip
from bot.tips.schedule import is_due
from bot.tips.view import tip_view

log = logging.getLogger(__name__)

#: How far back the team's review findings count when choosing a tip.
FINDINGS_DAYS = 14
#: Recorded as the error when the workspace has no installation (OAuth) to post with.
NOT_INSTALLED = "not_installed"
# Errors that no retry can fix: a person has to act (invite the bot, reinstall the app...).
# They pause the channel's tips, and /tone-check tips explains how to resume.
PAUSING_ERRORS = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "account_inactive", "token_revoked",
    "invalid_auth", "not_authed", "missing_scope", "restricted_action", "team_access_not_granted",
    "ekm_access_denied", NOT_INSTALLED, SHARED_CHANNEL,
})

ClientForTeam = Callable[[str], WebClient | None]
#: Tries per channel and local day before the ticker gives up on that day's tip.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one channel's tip on one local day.

    ``status``: ``posted``; ``taken`` (another instance claimed the day); ``paused`` (an
    error a person must fix, recorded on the subscription); ``failed`` (Slack or the network
    failed; the delivery is marked failed and tried again on a later tick the same local
    day, up to ``MAX_ATTEMPTS`` times, and a failed tip does not count for rotation).
    """

    team_id: str
    channel_id: str
    local_date: date
    status: str
    tip_id: str | None = None
    error: str | None = None


def deliver_due_tips(
    services: Services,
    now_utc: datetime,
    client_for_team: ClientForTeam,
    catalog: TipCatalog | None = None,
) -> list[DeliveryResult]:
    """Post every tip due at ``now_utc``; see :class:`Deliverer`."""
    return Deliverer(services, client_for_team, catalog).deliver_due(now_utc)


class Deliverer:
    """Posts due tips, and remembers the days it has settled so later ticks skip them cheaply."""

    def __init__(
        self,
        services: Services,
        client_for_team: ClientForTeam,
        catalog: TipCatalog | None = None,
    ) -> None:
        self.services = services
        self.client_for_team = client_for_team
        self.catalog = catalog or load_tips(
            services.settings.tips_file, guidelines=services.coach.guidelines
        )
        self._settled: dict[tuple[str, str], date] = {}
        self._attempts: dict[tuple[str, str, date], int] = {}

    def deliver_due(self, now_utc: datetime) -> list[DeliveryResult]:
        """Post the tip of every active subscription that is due and not yet settled today.

        One channel's failure is logged and does not stop the others.
        """
        results = []
        for sub in self.services.storage.tips.subscriptions():
            if sub.last_error:
                continue  # paused until someone runs /tone-check tips again
            local_date = is_due(sub, now_utc)
            key = (sub.team_id, sub.channel_id)
            if local_date is None or self._settled.get(key) == local_date:
                continue
            try:
                result = self._deliver(sub, local_date, now_utc)
            except Exception:
                # Unclaimed days are tried again next tick; a claimed day stays taken.
                log.exception("tip for %s/%s failed", sub.team_id, sub.channel_id)
                continue
            attempt = (*key, local_date)
            self._attempts[attempt] = self._attempts.get(attempt, 0) + 1
            if result.status != "failed" or self._attempts[attempt] >= MAX_ATTEMPTS:
                self._settled[key] = local_date
            results.append(result)
        return results

    def _deliver(self, sub: TipSubscription, local_date: date, now: datetime) -> DeliveryResult:
        storage = self.services.storage
        team, channel = sub.team_id, sub.channel_id

        def outcome(status: str, tip_id: str | None = None, error: str | None = None
                    ) -> DeliveryResult:
            return DeliveryResult(team, channel, local_date, status, tip_id, error)

        client = self.client_for_team(team)
        if client is None:
            log.warning("no installation for team %s: pausing tips in %s", team, channel)
            storage.tips.pause(team, channel, local_date, NOT_INSTALLED, now=now)
            return outcome("paused", error=NOT_INSTALLED)
        policy = self.services.settings.shared_channels
        if audience_in(self.services.channels, client, channel, policy) is Audience.REQUESTER:
            # Shared with a customer since it subscribed: a tip there is read by them.
            log.warning("tips for %s/%s paused: the channel is shared", team, channel)
            storage.tips.pause(team, channel, local_date, SHARED_CHANNEL, now=now)
            return outcome("paused", error=SHARED_CHANNEL)
        history = storage.tips.history(team, channel)
        top = storage.reviews.team_top_guidelines(team, days=FINDINGS_DAYS, now=now)
        tip, finding = choose_tip(self.catalog, sub.language, history, top, channel)
        # Built before claiming, so that a bad message cannot use up the day.
        message = tip_message(
            tip_view(tip, sub.language, self._title(tip.guideline, sub.language),
                     self._title(finding, sub.language) if finding else None)
        )
        if not storage.tips.claim(team, channel, local_date, tip.id, now=now):
            return outcome("taken")
        try:
            client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **message
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in PAUSING_ERRORS:
                log.warning("tip for %s/%s paused: %s", team, channel, error)
                storage.tips.pause(team, channel, local_date, error, now=now)
                return outcome("paused", tip.id, error)
            log.error("tip %s for %s/%s not posted: %s", tip.id, team, channel, error)
            storage.tips.mark_failed(team, channel, local_date, error)
            return outcome("failed", tip.id, error)
        except OSError as exc:  # the network, after slack_sdk's own retries
            log.error("tip %s for %s/%s not posted: %s", tip.id, team, channel, exc)
            storage.tips.mark_failed(team, channel, local_date, type(exc).__name__)
            return outcome("failed", tip.id, type(exc).__name__)
        storage.tips.mark_posted(team, channel, local_date)
        log.info("posted tip %s to %s/%s for %s", tip.id, team, channel, local_date)
        return outcome("posted", tip.id)

    def _title(self, guideline_id: str, language: str) -> str:
        guideline = self.services.coach.guidelines.by_id.get(guideline_id)
        return guideline.localized_title(language) if guideline else guideline_id


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``), or ``http_<status>`` when there is none."""
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    return str(data.get("error") or f"http_{response.status_code}")
