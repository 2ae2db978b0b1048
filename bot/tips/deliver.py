"""Posting the day's tip to every channel whose time has come, once across all instances."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.app import web_client
from bot.slack.services import Services
from bot.storage import TipSubscription
from bot.tips.blocks import tip_message, tip_view
from bot.tips.catalog import TipCatalog, load_tips
from bot.tips.choose import choose_tip
from bot.tips.schedule import is_due

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
    "ekm_access_denied", NOT_INSTALLED,
})

ClientForTeam = Callable[[str], WebClient | None]


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one channel's tip on one local day.

    ``status``: ``posted``; ``taken`` (another instance claimed the day); ``paused`` (an
    error a person must fix, recorded on the subscription); ``failed`` (Slack or the network
    failed; the day is lost rather than risk posting twice, and the channel carries on).
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
        self.catalog = catalog or load_tips(guidelines=services.coach.guidelines)
        self._settled: dict[tuple[str, str], date] = {}

    def deliver_due(self, now_utc: datetime) -> list[DeliveryResult]:
        """Post the tip of every active subscription that is due and not yet settled today.

        One channel's failure is logged and does not stop the others.
        """
        results = []
        for sub in self.services.storage.tip_subscriptions():
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
            storage.mark_tip_failed(team, channel, local_date, NOT_INSTALLED, now=now)
            return outcome("paused", error=NOT_INSTALLED)
        history = storage.tip_history(team, channel)
        top = storage.team_top_guidelines(team, days=FINDINGS_DAYS, now=now)
        tip, finding = choose_tip(self.catalog, sub.language, history, top, channel)
        # Built before claiming, so that a bad message cannot use up the day.
        message = tip_message(
            tip_view(tip, sub.language, self._title(tip.guideline, sub.language),
                     self._title(finding, sub.language) if finding else None)
        )
        if not storage.claim_tip(team, channel, local_date, tip.id, now=now):
            return outcome("taken")
        try:
            client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **message
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            if error not in PAUSING_ERRORS:
                # Not retried: Slack may have posted it before failing, and twice is worse.
                log.error("tip %s for %s/%s not posted: %s", tip.id, team, channel, error)
                return outcome("failed", tip.id, error)
            log.warning("tip for %s/%s paused: %s", team, channel, error)
            storage.mark_tip_failed(team, channel, local_date, error, now=now)
            return outcome("paused", tip.id, error)
        except OSError as exc:  # the network, after slack_sdk's own retries
            log.error("tip %s for %s/%s not posted: %s", tip.id, team, channel, exc)
            return outcome("failed", tip.id, type(exc).__name__)
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


def slack_clients(services: Services) -> ClientForTeam:
    """A function giving the Web API client for a workspace, or None if it has no install.

    One workspace: the bot token from the settings. OAuth: the bot token stored for that
    workspace, looked up each time because a reinstall replaces it.
    """
    settings = services.settings
    if not settings.uses_oauth:
        client = web_client(services, settings.bot_token)
        return lambda team_id: client
    store = services.storage.installation_store(settings.client_id or "")

    def client_for_team(team_id: str) -> WebClient | None:
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return web_client(services, bot.bot_token) if bot and bot.bot_token else None

    return client_for_team
