"""``/tone-check``: review a draft privately, watch a channel, manage daily tips."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App, Respond

from bot.coaching.coach import DraftError
from bot.slack.blocks import notice, working_message
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.escape import escape, truncate
from bot.slack.services import Services

log = logging.getLogger(__name__)

COMMAND = "/tone-check"
SUBCOMMANDS = ("help", "watch", "unwatch", "tips")
USAGE = (
    "*Tone Coach* checks a reply to a customer before you send it.\n"
    "• `/tone-check <your draft>`: a private review and a suggested rewrite\n"
    "• react with :{reaction}: to any message: the review goes into its thread\n"
    "• *Check tone* in a message's ⋯ menu: a private review of that message\n"
    "• `/tone-check watch` / `/tone-check unwatch`: review every new draft in this channel\n"
    "• `/tone-check tips 09:30 Europe/Tallinn [mon-fri] [en|ru|pl|et|uk]`, "
    "`/tone-check tips`, `/tone-check tips off`: a daily tip in this channel"
)
# One short lowercase word is a command the user mistyped, not a draft.
_LOOKS_LIKE_COMMAND = re.compile(r"[a-z][a-z-]{0,15}")


def register(app: App, services: Services) -> None:
    @app.command(COMMAND)
    def tone_check(ack: Ack, command: dict, respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        if text.lower() in ("", "help"):
            ack(**notice(USAGE.format(reaction=services.settings.reaction)))
        elif word.lower() in ("watch", "unwatch") and not rest:
            ack(**_watch(services, command, watch=word.lower() == "watch"))
        elif word.lower() == "tips":
            ack(**_tips(services, command, rest))
        elif _LOOKS_LIKE_COMMAND.fullmatch(text):
            ack(**notice(
                f"I don't know the command `{escape(truncate(text, 40))}`. "
                f"Try `{COMMAND} help`, or write the whole draft after `{COMMAND}`."
            ))
        else:
            ack(**working_message())
            services.in_background(_review, services, command, respond)


def _review(services: Services, command: dict, respond: Respond) -> None:
    if not services.first_delivery(command):
        return
    request = DraftRequest(
        team_id=command.get("team_id", ""),
        channel_id=command.get("channel_id", ""),
        user_id=command.get("user_id", ""),
        entry_point="command",
        draft=plain_text(command.get("text")),
    )
    try:
        _, messages = services.review(request)
    except DraftError as exc:
        messages = [notice(f":warning: I couldn't check this draft: {exc}")]
    respond(response_type="ephemeral", replace_original=True, **messages[0])
    for more in messages[1:]:  # a long rewrite continues below the review
        respond(response_type="ephemeral", replace_original=False, **more)


def _watch(services: Services, command: dict, *, watch: bool) -> dict:
    team, channel = command.get("team_id", ""), command.get("channel_id", "")
    if watch:
        services.storage.watch_channel(team, channel)
        return notice(
            f"I'm watching <#{channel}> now: every new message here is checked as a draft. "
            "Good drafts get a :white_check_mark:, others a review in their thread. "
            "If I'm not a member yet, invite me with `/invite @Tone Coach`."
        )
    services.storage.unwatch_channel(team, channel)
    return notice(f"I've stopped watching <#{channel}>.")


def _tips(services: Services, command: dict, rest: str) -> dict:
    from bot.tips.commands import handle_tips_command

    return handle_tips_command(services, command, rest)
