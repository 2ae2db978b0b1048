"""``/tone-check digest``: subscribe a channel to the weekly digest, show it, or stop it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.coaching.language import LANGUAGE_NAMES
from bot.digest.schedule import (
    EXAMPLE,
    DigestScheduleError,
    latest_digest_day,
    next_digest,
    parse_digest_schedule,
    week_of,
)
from bot.slack.audience import SHARED_CHANNEL
from bot.slack.blocks import notice
from bot.slack.escape import escape
from bot.slack.services import Services
from bot.storage import DigestSubscription

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
SCOPE = ("It covers every channel of this workspace: drafts checked, how many were fine on "
         "the first check, each guideline's trend, votes, model fallbacks and review time, "
         "with an 8-week chart. It never names anyone, and hides any figure from fewer than "
         "3 agents.")
_INVITE = "invite me with `/invite @Tone Coach`"
_PROBLEMS = {
    "not_in_channel": f"I'm not a member of this channel: {_INVITE}",
    "channel_not_found": f"I can't see this channel (private, or deleted): {_INVITE}",
    "is_archived": "this channel is archived: unarchive it",
    "not_installed": "Tone Coach is not installed in this workspace: reinstall it",
    "missing_scope": "Tone Coach lacks a permission: reinstall it to grant it",
    SHARED_CHANNEL: ("this channel is now shared with another organisation, where people "
                     "outside your team would read it: stop sharing it, or ask whoever runs "
                     "Tone Coach to set TONE_COACH_SHARED_CHANNELS=allow"),
}
USAGE = (
    "Weekly digest: once a week, the team's coaching figures and an 8-week chart here.\n"
    f"• `{EXAMPLE}`: subscribe (weekday, 24-hour time, IANA time zone, optional language "
    "en, ru, pl, et or uk)\n"
    "• `/tone-check digest`: this channel's schedule and the last digest\n"
    "• `/tone-check digest off`: stop it"
)


def handle_digest_command(services: Services, command: dict, rest: str,
                          now: datetime | None = None) -> dict:
    """Answer ``/tone-check digest [rest]`` with a message dict (``text`` and ``blocks``)."""
    now = now or datetime.now(UTC)
    store = services.storage.digests
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    user = command.get("user_id", "")
    words = rest.split()
    if not words:
        return notice(status(services, store.subscription(team, channel), now))
    if len(words) == 1 and words[0].lower() in ("off", "stop"):
        if store.unsubscribe(team, channel):
            services.storage.settings_log.record(team, channel, user, "digest_off", now=now)
            return notice(f"The weekly digest in this channel is off. To start it again: "
                          f"`{EXAMPLE}`.")
        return notice("This channel had no weekly digest, so there was nothing to stop.")
    if len(words) == 1 and words[0].lower() == "help":
        return notice(USAGE)
    try:
        schedule = parse_digest_schedule(rest)
    except DigestScheduleError as exc:
        return notice(f":warning: {escape(str(exc))}")
    sub = schedule.for_channel(team, channel)
    store.subscribe(sub, now=now)
    services.storage.settings_log.record(team, channel, user, "digest_on",
                                         resubscribe(sub).removeprefix("/tone-check digest "),
                                         now=now)
    return notice(
        f"Done: <#{escape(channel)}> gets the weekly digest {describe(sub)}.\n{SCOPE}\n"
        f"First digest: {when(next_digest(sub, now), sub.timezone)}. "
        f"`/tone-check digest` shows the schedule, `/tone-check digest off` stops it. "
        f"If I'm not in this channel yet, {_INVITE}."
    )


def status(services: Services, sub: DigestSubscription | None, now: datetime) -> str:
    """What ``/tone-check digest`` says about the channel."""
    if sub is None:
        return (f"This channel gets no weekly digest yet. Subscribe with `{EXAMPLE}`: a "
                f"weekday, a time, an IANA time zone and optionally a language.\n{SCOPE}")
    if sub.last_error:
        problem = _PROBLEMS.get(sub.last_error, "Slack refused it: ask a workspace admin to "
                                "check Tone Coach's access")
        return (f":warning: The weekly digest here is paused: the last one could not be "
                f"posted because {problem} (Slack said `{escape(sub.last_error)}`). Then run "
                f"`{resubscribe(sub)}` to resume.")
    lines = [f"This channel gets the weekly digest {describe(sub)}. {SCOPE}",
             f"Next digest: {when(next_digest(sub, now), sub.timezone)}."]
    last = _last_delivery(services, sub, now)
    if last:
        lines.append(last)
    lines.append(f"Change it with `{resubscribe(sub)}`, or stop it with "
                 "`/tone-check digest off`.")
    return "\n".join(lines)


def _last_delivery(services: Services, sub: DigestSubscription, now: datetime) -> str | None:
    day = latest_digest_day(sub, now)
    for week in (week_of(day), week_of(day - timedelta(days=7))):
        found = services.storage.digests.delivery(sub.team_id, sub.channel_id, week)
        if found is None:
            continue
        state, error = found
        if state == "posted" and error:
            return (f"The digest for the week of {week.isoformat()} went out, but "
                    f"{escape(error)}; reinstalling Tone Coach grants the `files:write` "
                    "permission charts need.")
        if state == "posted":
            return f"The last digest went out for the week of {week.isoformat()}."
        if state == "failed":
            return (f"The digest for the week of {week.isoformat()} could not be posted "
                    f"(Slack said `{escape(error or 'nothing')}`); the next one is tried as "
                    "usual.")
        return (f"The digest for the week of {week.isoformat()} was started but never "
                "confirmed (the app stopped while posting); it is not sent twice.")
    return None


def describe(sub: DigestSubscription) -> str:
    """``every *Monday at 09:00 Europe/Tallinn*, in English``."""
    language = LANGUAGE_NAMES.get(sub.language, sub.language)
    return f"every *{DAY_NAMES[sub.weekday]} at {sub.time} {sub.timezone}*, in {language}"


def resubscribe(sub: DigestSubscription) -> str:
    return f"/tone-check digest {sub.weekday} {sub.time} {sub.timezone} {sub.language}"


def when(moment: datetime, timezone: str) -> str:
    """``Monday 7 December at 09:00 (Europe/Tallinn)``, in the channel's time."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} ({timezone})"
