"""``/tone-check``: review a draft privately, change a channel's settings, see or erase your data.

Every subcommand (it reads the database, and may ask Slack who the caller is and whether the
channel is shared) is acknowledged at once with nothing and answered through ``response_url``,
so no ack waits on Slack or on a long query. A draft is acknowledged with "Reviewing…" and
becomes a review job.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.jobs.job import ReviewJob
from bot.slack.audience import refusal_to_post_unasked
from bot.slack.blocks import notice, working_message
from bot.slack.delivery import Delivery, DeliveryError
from bot.slack.escape import escape, truncate
from bot.slack.listeners.personal import ask_to_forget, show_my_data
from bot.slack.services import Services, delivery_key
from bot.slack.tips_command import handle_tips_command
from bot.storage import SettingsChange

log = logging.getLogger(__name__)

COMMAND = "/tone-check"
SUBCOMMANDS = ("help", "watch", "unwatch", "tips", "digest", "my-data", "forget-me")
USAGE = (
    "*Tone Coach* checks a reply to a customer before you send it.\n"
    "• `/tone-check <your draft>`: a private review and a suggested rewrite\n"
    "• react with :{reaction}: to any message: the review goes into its thread "
    "(only to you in channels shared with another organisation)\n"
    "• *Check tone* in a message's ⋯ menu: a private review of that message\n"
    "• `/tone-check watch`: review every new top-level draft in this channel; "
    "`/tone-check watch replies`: agents' replies in threads too; `/tone-check unwatch`: stop\n"
    "• `/tone-check tips 09:30 Europe/Tallinn [mon-fri] [en|ru|pl|et|uk]`, "
    "`/tone-check tips`, `/tone-check tips off`: a daily tip in this channel\n"
    "• `/tone-check my-data`: what Tone Coach keeps about you; "
    "`/tone-check forget-me`: delete it\n"
    "• `/tone-check digest mon 09:00 Europe/Tallinn [en|ru|pl|et|uk]`, "
    "`/tone-check digest`, `/tone-check digest off`: the team's weekly figures and trend "
    "chart in this channel\n"
    "{mode}"
)
MODES = {
    None: "This channel is not watched.",
    "top": "This channel is watched: new top-level messages are checked as drafts.",
    "replies": "This channel is watched with replies: new top-level messages and agents' "
    "replies in threads are checked as drafts.",
}
# One short lowercase word is a command the user mistyped, not a draft.
_LOOKS_LIKE_COMMAND = re.compile(r"[a-z][a-z-]{0,15}")
_WATCH_DETAIL = {"top": "top-level messages", "replies": "top-level messages and replies"}
_CHANGES = {
    "watch": "started watching this channel ({detail})",
    "unwatch": "stopped watching this channel",
    "tips_on": "set the daily tips to {detail}",
    "tips_off": "turned the daily tips off",
    "digest_on": "set the digest to {detail}",
    "digest_off": "turned the digest off",
}


def register(app: App, services: Services) -> None:
    @app.command(COMMAND)
    def tone_check(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip().lower()
        # Subcommands that need the database acknowledge first and answer through
        # response_url, so Slack never sees a timeout, a 404 or a 500 from them.
        if text.lower() in ("", "help"):
            ack()
            services.in_background(_answer_later, services, command,
                                   lambda: usage(services, command))
        elif (word == "watch" and rest in ("", "replies", "top")) or (
                word == "unwatch" and not rest) or (
                word in ("tips", "digest") and changes_schedule(rest)):
            ack()
            services.in_background(change_settings, services, command, respond, client,
                                   word, text.partition(" ")[2])
        elif word == "tips":
            ack()
            services.in_background(
                _answer_later, services, command,
                lambda: handle_tips_command(services.storage, command, text.partition(" ")[2]))
        elif text.lower() in ("my-data", "forget-me"):
            ack()
            answer = show_my_data if text.lower() == "my-data" else ask_to_forget
            services.in_background(answer, services, command, respond)
        elif word == "digest":
            ack()
            services.in_background(_answer_later, services, command,
                                   lambda: _digest(services, command, text.partition(" ")[2]))
        elif _LOOKS_LIKE_COMMAND.fullmatch(text) or word in ("watch", "unwatch"):
            ack(**notice(
                f"I don't know the command `{escape(truncate(text, 40))}`. "
                f"Try `{COMMAND} help`, or write the whole draft after `{COMMAND}`."
            ))
        else:
            ack(**working_message())
            services.defer(ReviewJob(
                kind="command",
                key=delivery_key(command) or f"command:{command.get('response_url')}",
                team_id=command.get("team_id", ""),
                channel_id=command.get("channel_id", ""),
                user_id=command.get("user_id", ""),
                draft=command.get("text") or "",
                response_url=command.get("response_url"),
            ))


DATABASE_TROUBLE = (
    ":warning: Sorry, I couldn't do that just now: my database did not answer. "
    "Please try again in a minute."
)


def _answer_later(services: Services, command: dict, answer: Callable[[], dict]) -> None:
    """Run a subcommand that needs the database, then answer through ``response_url``."""
    try:
        message = answer()
    except Exception:
        log.exception("/tone-check subcommand failed")
        message = notice(DATABASE_TROUBLE)
    try:
        Delivery.respond_to(command.get("response_url") or "", message,
                            replace_original=False)
    except DeliveryError as exc:
        log.warning("could not answer a /tone-check subcommand: %s", exc)


def usage(services: Services, command: dict) -> dict:
    """How to use Tone Coach, whether (and how) this channel is watched, who may change its
    settings, and the last change made to them."""
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    last = None
    try:
        mode = services.watch_mode(team, channel)
        last = services.storage.settings_log.last_change(team, channel)
    except Exception:  # the help must answer within the ack, database or not
        log.exception("could not read the channel's settings")
        mode = None
    lines = [USAGE.format(reaction=services.settings.reaction, mode=MODES[mode])]
    if services.guard.admins.configured:
        lines.append(f"Channel settings can be changed by {services.guard.admins.described()}.")
    if last is not None:
        lines.append(f"Last settings change here: {describe_change(last)}.")
    return notice("\n".join(lines))


def describe_change(change: SettingsChange) -> str:
    """``<@U1> started watching this channel (…) on 2026-11-30 at 08:00 UTC``."""
    who = f"<@{change.user_id}>" if change.user_id else "someone who has since been forgotten"
    what = _CHANGES[change.action].format(detail=escape(change.detail or ""))
    return f"{who} {what} on {change.created_at:%Y-%m-%d at %H:%M} UTC"


def changes_schedule(rest: str) -> bool:
    """Whether ``/tone-check tips|digest <rest>`` changes the schedule (not: show it, help)."""
    return bool(rest) and rest != "help"


def change_settings(services: Services, command: dict, respond: Respond, client: WebClient,
                    word: str, rest: str) -> None:
    """Check who asks and where, make the change, record it, and answer privately."""
    if not services.first_delivery(command):
        return
    user, channel = command.get("user_id", ""), command.get("channel_id", "")
    if not services.guard.may_change(client, user):
        log.info("refused a settings change (%s) by %s in %s", word, user, channel)
        respond(response_type="ephemeral", **notice(services.guard.refusal()))
        return
    feature = {"watch": "reviews of every draft", "tips": "daily tips",
               "digest": "the weekly digest"}.get(word)
    turning_on = word == "watch" or (word in ("tips", "digest") and rest.split()[0].lower()
                                     not in ("off", "stop"))
    if feature and turning_on:
        refusal = refusal_to_post_unasked(services.channels, client, channel,
                                          services.settings.shared_channels, feature)
        if refusal:
            log.info("refused %s in %s: %s", word, channel, refusal)
            respond(response_type="ephemeral", **notice(refusal))
            return
    change: Callable[[], dict] = {
        "watch": lambda: _watch(services, command, rest.strip().lower() or "top"),
        "unwatch": lambda: _unwatch(services, command),
        "tips": lambda: handle_tips_command(services.storage, command, rest),
        "digest": lambda: _digest(services, command, rest),
    }[word]
    try:
        message = change()
    except Exception:
        log.exception("settings change %s in %s failed", word, channel)
        message = notice(DATABASE_TROUBLE)
    respond(response_type="ephemeral", **message)


def _watch(services: Services, command: dict, mode: str) -> dict:
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    services.storage.channels.watch(team, channel, mode)
    services.storage.settings_log.record(team, channel, command.get("user_id", ""), "watch",
                                         _WATCH_DETAIL[mode])
    what = (
        "every new top-level message here is checked as a draft"
        if mode == "top"
        else "every new top-level message, and every reply in a thread from someone other "
        "than the thread's author, is checked as a draft (the thread's first message is the "
        "customer's side)"
    )
    return notice(
        f"I'm watching <#{channel}> now: {what}. "
        "Good drafts get a :white_check_mark:, others a review in their thread. "
        "If I'm not a member yet, invite me with `/invite @Tone Coach`."
    )


def _unwatch(services: Services, command: dict) -> dict:
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    services.storage.channels.unwatch(team, channel)
    services.storage.settings_log.record(team, channel, command.get("user_id", ""), "unwatch")
    if channel in services.settings.watch_channels:
        return notice(
            f"I've stopped watching <#{channel}> from Slack, but it is also listed in "
            "TONE_COACH_WATCH_CHANNELS, so it stays watched until that setting changes."
        )
    return notice(f"I've stopped watching <#{channel}>.")


def _digest(services: Services, command: dict, rest: str) -> dict:
    from bot.slack.digest_command import handle_digest_command

    return handle_digest_command(services, command, rest)
