"""Posting the weekly digest: the message, then its chart through Slack's external upload.

Each channel gets one digest per local week, across all instances: the week is claimed in
the database before anything is posted, and marked posted or failed afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.digest.compute import team_digest
from bot.digest.schedule import due_digest_day, week_of
from bot.digest.texts import DigestText, alt_text, load_digest_texts, render_digest
from bot.slack.audience import SHARED_CHANNEL, Audience, audience_in
from bot.slack.blocks import MAX_BLOCKS, section
from bot.slack.clients import ClientForTeam
from bot.slack.escape import escape, truncate
from bot.slack.services import Services
from bot.slack.tip_delivery import MAX_ATTEMPTS
from bot.storage import DigestSubscription

log = logging.getLogger(__name__)

NOT_INSTALLED = "not_installed"
# Errors a person has to fix (invite the bot, reinstall the app): the channel's digest pauses
# until someone runs /tone-check digest again, which says why.
PAUSING_ERRORS = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "account_inactive", "token_revoked",
    "invalid_auth", "not_authed", "missing_scope", "restricted_action", "team_access_not_granted",
    "ekm_access_denied", NOT_INSTALLED, SHARED_CHANNEL,
})
HEADER_LIMIT = 150  # Slack's limit for a header block's text


@dataclass(frozen=True)
class DigestResult:
    """What happened to one channel's digest for one week: ``posted``, ``taken`` (another
    instance claimed it), ``paused`` (an error a person must fix) or ``failed`` (tried again
    on a later tick while the week's digest is due, like a failed tip)."""

    team_id: str
    channel_id: str
    week_of: date
    status: str
    error: str | None = None


def digest_message(text: DigestText) -> dict:
    """``text`` and ``blocks`` for chat.postMessage."""
    blocks: list[dict] = [{
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(f"📊 {text.title}", HEADER_LIMIT)},
    }]
    for part in text.sections:
        lines = "\n".join(f"• {escape(line)}" if part.heading else escape(line)
                          for line in part.lines)
        blocks.append(section(f"*{escape(part.heading)}*\n{lines}" if part.heading else lines))
    # The fallback text shows in notifications, where mrkdwn is not rendered.
    return {"text": truncate(text.plain(), 3000), "blocks": blocks[:MAX_BLOCKS]}


class DigestDeliverer:
    """Posts due digests, remembering the weeks it settled so later ticks skip them cheaply."""

    def __init__(self, services: Services, client_for_team: ClientForTeam) -> None:
        self.services = services
        self.client_for_team = client_for_team
        self.texts = load_digest_texts(services.settings.digest_texts_file)
        self._settled: dict[tuple[str, str], date] = {}
        self._attempts: dict[tuple[str, str, date], int] = {}

    def deliver_due(self, now_utc: datetime) -> list[DigestResult]:
        """Post every digest due at ``now_utc``; one channel's failure does not stop others."""
        results = []
        for sub in self.services.storage.digests.subscriptions():
            day = due_digest_day(sub, now_utc)
            key = (sub.team_id, sub.channel_id)
            if day is None or self._settled.get(key) == week_of(day):
                continue
            try:
                result = self._deliver(sub, day, now_utc)
            except Exception:
                # Unclaimed weeks are tried again next tick; a claimed week stays taken.
                log.exception("digest for %s/%s failed", sub.team_id, sub.channel_id)
                continue
            # A failed week is claimed again on later ticks, as a failed tip is, up to
            # MAX_ATTEMPTS times per instance.
            attempt = (*key, week_of(day))
            self._attempts[attempt] = self._attempts.get(attempt, 0) + 1
            if result.status != "failed" or self._attempts[attempt] >= MAX_ATTEMPTS:
                self._settled[key] = week_of(day)
            results.append(result)
        return results

    def _deliver(self, sub: DigestSubscription, day: date, now: datetime) -> DigestResult:
        store = self.services.storage.digests
        team, channel, week = sub.team_id, sub.channel_id, week_of(day)
        client = self.client_for_team(team)
        if client is None:
            log.warning("no installation for team %s: pausing the digest in %s", team, channel)
            store.pause(team, channel, NOT_INSTALLED, now=now)
            return DigestResult(team, channel, week, "paused", NOT_INSTALLED)
        policy = self.services.settings.shared_channels
        if audience_in(self.services.channels, client, channel, policy) is Audience.REQUESTER:
            # Shared with another organisation since it subscribed: coaching figures there
            # would be read by customers.
            log.warning("digest for %s/%s paused: the channel is shared", team, channel)
            store.pause(team, channel, SHARED_CHANNEL, now=now)
            return DigestResult(team, channel, week, "paused", SHARED_CHANNEL)
        # Everything is built before claiming, so that a failure here cannot use up the week.
        message, chart, alt, title = self._build(sub, day)
        if not store.claim(team, channel, week, now=now):
            return DigestResult(team, channel, week, "taken")
        try:
            client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False,
                                    **message)
        except SlackApiError as exc:
            return self._failed(sub, week, _slack_error(exc), now)
        except OSError as exc:  # the network, after slack_sdk's own retries
            return self._failed(sub, week, type(exc).__name__, now)
        chart_error = self._upload_chart(client, channel, day, chart, alt, title)
        store.finish(team, channel, week, "posted", error=chart_error, now=now)
        log.info("posted the digest to %s/%s for the week of %s", team, channel, week)
        return DigestResult(team, channel, week, "posted", chart_error)

    def _upload_chart(self, client: WebClient, channel: str, day: date, chart: bytes,
                      alt: str, title: str) -> str | None:
        """Share the chart right under the digest; None when it worked, else why not.

        A chart that fails does not pause the digest: the figures already went out, and a
        missing ``files:write`` scope (an app installed before the digest existed) should
        not stop them next week.
        """
        try:
            client.files_upload_v2(channel=channel, content=chart, title=title, alt_txt=alt,
                                   filename=f"tone-coach-digest-{day.isoformat()}.png")
        except SlackApiError as exc:
            error = f"chart not posted: {_slack_error(exc)}"
        except (SlackRequestError, OSError) as exc:  # the upload URL refused, or the network
            error = f"chart not posted: {type(exc).__name__}"
        else:
            return None
        log.error("digest chart for %s: %s", channel, error)
        return error

    def _build(self, sub: DigestSubscription, day: date) -> tuple[dict, bytes, str, str]:
        from bot.digest.chart import render_chart

        guidelines = self.services.coach.guidelines
        titles = {g.id: g.localized_title(sub.language) for g in guidelines.guidelines}
        digest = team_digest(self.services.storage, sub.team_id, day, sub.timezone,
                             guidelines.ids)
        text = render_digest(digest, self.texts, sub.language, titles)
        chart = render_chart(digest, self.texts, sub.language, titles)
        alt = alt_text(digest, self.texts, sub.language, titles)
        title = self.texts("chart_caption", sub.language, weeks=len(digest.weeks))
        return digest_message(text), chart, alt, title

    def _failed(self, sub: DigestSubscription, week: date, error: str,
                now: datetime) -> DigestResult:
        store = self.services.storage.digests
        # Claimable again: a later tick retries it (unless the channel is paused below).
        store.finish(sub.team_id, sub.channel_id, week, "failed", error=error, now=now)
        if error in PAUSING_ERRORS:
            log.warning("digest for %s/%s paused: %s", sub.team_id, sub.channel_id, error)
            store.pause(sub.team_id, sub.channel_id, error, now=now)
            return DigestResult(sub.team_id, sub.channel_id, week, "paused", error)
        log.error("digest for %s/%s not posted: %s", sub.team_id, sub.channel_id, error)
        return DigestResult(sub.team_id, sub.channel_id, week, "failed", error)


def _slack_error(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or f"http_{exc.response.status_code}")
