"""``/tone-check``: review a draft privately, watch a channel, manage daily tips."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App

from bot.jobs.job import ReviewJob
from bot.slack.blocks import notice, working_message
from bot.slack.delivery import Delivery, DeliveryError
from bot.slack.escape import escape, truncate
from bot.slack.services import Services, delivery_key
from bot.slack.tips_command import handle_tips_command

log = logging.getLogger(__name__)

COMMAND = "/tone-check"
SUBCOMMANDS = ("help", "watch", "unwatch", "tips")
USAGE = (
    "*Tone Coach* checks a reply to a customer before you send it.\n"
    "• `/tone-check <your draft>`: a private review and a suggested rewrite\n"
    "• react with :{reaction}: to any message: the review goes into its thread\n"
    "• *Check tone* in a message's ⋯ menu: a private review of that message\n"
    "• `/tone-check watch`: review every new top-level draft in this channel; "
    "`/tone-check watch replies`: agents' replies in threads too; `/tone-check unwatch`: stop\n"
    "• `/tone-check tips 09:30 Europe/Tallinn [mon-fri] [en|ru|pl|et|uk]`, "
    "`/tone-check tips`, `/tone-check tips off`: a daily tip in this channel\n"
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


def register(app: App, services: Services) -> None:
    @app.command(COMMAND)
    def tone_check(ack: Ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip().lower()
        # Subcommands that need the database acknowledge first and answer through
        # response_url, so Slack never sees a timeout, a 404 or a 500 from them.
        if text.lower() in ("", "help"):
            ack()
            services.in_background(_answer_later, services, command,
                                   lambda: usage(services, command))
        elif word == "watch" and rest in ("", "replies", "top"):
            ack()
            services.in_background(_answer_later, services, command,
                                   lambda: _watch(services, command, rest or "top"))
        elif word == "unwatch" and not rest:
            ack()
            services.in_background(_answer_later, services, command,
                                   lambda: _unwatch(services, command))
        elif word == "tips":
            ack()
            services.in_background(
                _answer_later, services, command,
                lambda: handle_tips_command(services.storage, command, text.partition(" ")[2]))
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
    """How to use Tone Coach, and whether (and how) this channel is watched."""
    try:
        mode = services.watch_mode(command.get("team_id", ""), command.get("channel_id", ""))
    except Exception:  # the help must answer within the ack, database or not
        log.exception("could not read the channel's watch mode")
        mode = None
    return notice(USAGE.format(reaction=services.settings.reaction, mode=MODES[mode]))


def _watch(services: Services, command: dict, mode: str) -> dict:
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    services.storage.channels.watch(team, channel, mode)
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
    if channel in services.settings.watch_channels:
        return notice(
            f"I've stopped watching <#{channel}> from Slack, but it is also listed in "
            "TONE_COACH_WATCH_CHANNELS, so it stays watched until that setting changes."
        )
    return notice(f"I've stopped watching <#{channel}>.")
