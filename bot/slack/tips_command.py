"""``/tone-check tips``: subscribe a channel to a daily tip, show its schedule, or stop it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.coaching.language import LANGUAGE_NAMES
from bot.slack.audience import SHARED_CHANNEL
from bot.slack.blocks import notice
from bot.slack.escape import escape
from bot.slack.tip_delivery import NOT_INSTALLED
from bot.storage import Storage, TipSubscription
from bot.tips.schedule import (
    EXAMPLE,
    LANGUAGE_LIST,
    ScheduleError,
    describe_weekdays,
    is_due,
    next_delivery,
    parse_schedule,
)

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_INVITE = "invite me with `/invite @Tone Coach`"
# Why a paused channel's tip could not be posted, and what a person can do about it.
_PROBLEMS = {
    "not_in_channel": ("I'm not a member of this channel", _INVITE),
    "channel_not_found": ("I can't see this channel: it is private and I'm not in it, "
                          "or it was deleted", _INVITE),
    "is_archived": ("this channel is archived", "unarchive it"),
    NOT_INSTALLED: ("Tone Coach is not installed in this workspace", "reinstall Tone Coach"),
    SHARED_CHANNEL: ("this channel is now shared with another organisation, where people "
                     "outside your team would read it",
                     "stop sharing the channel (or ask whoever runs Tone Coach to set "
                     "TONE_COACH_SHARED_CHANNELS=allow)"),
}
_ACCESS_REVOKED = ("account_inactive", "token_revoked", "invalid_auth", "not_authed")
USAGE = (
    "Daily tips: a short coaching tip posted in this channel on the days you choose.\n"
    f"• `{EXAMPLE}`: subscribe (time, IANA time zone, optional weekdays such as `mon-fri`, "
    f"`sat-sun`, `mon,wed,fri` or `daily`, optional language {LANGUAGE_LIST})\n"
    "• `/tone-check tips`: this channel's schedule and the next tip\n"
    "• `/tone-check tips off`: stop the tips here"
)


def handle_tips_command(
    storage: Storage, command: dict, rest: str, now: datetime | None = None
) -> dict:
    """Answer ``/tone-check tips [rest]`` with a message dict (``text`` and ``blocks``).

    ``rest`` is what follows ``tips``: nothing (show), ``off``, ``help`` or a schedule.
    """
    now = now or datetime.now(UTC)
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    words = rest.split()
    if not words:
        return notice(status(storage.tips.subscription(team, channel), now))
    user = command.get("user_id", "")
    if len(words) == 1 and words[0].lower() in ("off", "stop"):
        if storage.tips.unsubscribe(team, channel):
            storage.settings_log.record(team, channel, user, "tips_off", now=now)
            return notice(
                "Daily tips in this channel are off. "
                f"To start them again: `{EXAMPLE}`."
            )
        return notice("This channel had no daily tips, so there was nothing to stop.")
    if len(words) == 1 and words[0].lower() == "help":
        return notice(USAGE)
    try:
        schedule = parse_schedule(rest)
    except ScheduleError as exc:
        return notice(f":warning: {escape(str(exc))}")
    sub = schedule.for_channel(team, channel)
    storage.tips.subscribe(sub, now=now)
    storage.settings_log.record(team, channel, user, "tips_on", schedule_words(sub), now=now)
    return notice(confirmation(sub, now))


def status(sub: TipSubscription | None, now: datetime) -> str:
    """What ``/tone-check tips`` says about a channel's subscription."""
    if sub is None:
        return (
            "This channel gets no daily tip yet. Subscribe with "
            f"`{EXAMPLE}`: a time, an IANA time zone, optionally the weekdays "
            f"(mon-fri unless you say otherwise) and a language ({LANGUAGE_LIST})."
        )
    if sub.last_error:
        return paused(sub)
    # The scheduler posts within a minute of the time, so a passed time means it went out.
    upcoming = next_delivery(sub, now, delivered_today=is_due(sub, now) is not None)
    return (
        f"This channel gets a daily tip {describe(sub)}.\n"
        f"Next tip: {when(upcoming, sub.timezone, now)}.\n"
        f"Change it with `{resubscribe(sub)}`, or stop it with `/tone-check tips off`."
    )


def confirmation(sub: TipSubscription, now: datetime) -> str:
    """What a successful subscription says back."""
    lines = [f"Done: <#{escape(sub.channel_id)}> gets a daily tip {describe(sub)}."]
    if is_due(sub, now) is not None:
        lines.append(
            f"{sub.time} has passed today, so today's tip comes within a minute, "
            "unless this channel has already had one today."
        )
        upcoming = next_delivery(sub, now, delivered_today=True)
        lines.append(f"The one after: {when(upcoming, sub.timezone, now)}.")
    else:
        lines.append(f"Next tip: {when(next_delivery(sub, now, False), sub.timezone, now)}.")
    lines.append(
        "`/tone-check tips` shows the schedule, `/tone-check tips off` stops it. "
        f"If I'm not in this channel yet, {_INVITE}."
    )
    return "\n".join(lines)


def paused(sub: TipSubscription) -> str:
    """Why the channel's tips stopped, since when, and how to resume them."""
    error = sub.last_error or ""
    if error in _PROBLEMS:
        problem, fix = _PROBLEMS[error]
    elif error in _ACCESS_REVOKED:
        problem, fix = "Tone Coach's access to this workspace was revoked", "reinstall Tone Coach"
    else:
        problem, fix = "Slack refused it", "ask a workspace admin to check Tone Coach's access"
    since = ""
    if sub.last_error_at:
        local = sub.last_error_at.astimezone(ZoneInfo(sub.timezone))
        since = f" on {_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    return (
        f":warning: Daily tips here are paused: I couldn't post the tip{since} because "
        f"{problem} (Slack said `{escape(error)}`). "
        f"To resume, {fix}, then run `{resubscribe(sub)}` again.\n"
        f"(It was set for a tip {describe(sub)}.)"
    )


def describe(sub: TipSubscription) -> str:
    """``at 09:30 Europe/Tallinn, mon-fri, in Russian``."""
    language = LANGUAGE_NAMES.get(sub.language, sub.language)
    return f"at *{sub.time} {sub.timezone}*, {describe_weekdays(sub.weekdays)}, in {language}"


def resubscribe(sub: TipSubscription) -> str:
    """The command that recreates this subscription."""
    return f"/tone-check tips {schedule_words(sub)}"


def schedule_words(sub: TipSubscription) -> str:
    """``09:30 Europe/Tallinn mon-fri en``: the schedule as the command spells it."""
    return f"{sub.time} {sub.timezone} {describe_weekdays(sub.weekdays)} {sub.language}"


def when(moment: datetime, timezone: str, now: datetime) -> str:
    """``today at 09:30``, ``tomorrow at 09:30`` or ``Monday 9 March at 09:30``, channel time."""
    zone = ZoneInfo(timezone)
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local <= now.astimezone(zone):
        return "within a minute"
    days = (local.date() - today).days
    day = {0: "today", 1: "tomorrow"}.get(
        days, f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    )
    return f"{day} at {local:%H:%M} ({timezone})"
