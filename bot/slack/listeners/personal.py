"""``/tone-check my-data`` and ``/tone-check forget-me``: what is kept about you, and erasing it.

forget-me asks first, with a button; only the person who clicks has their rows erased (the
clicker's id comes from Slack's signed payload, never from the button's value).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond

from bot.slack.blocks import MAX_BLOCKS, MAX_TEXT, context_block, notice, section
from bot.slack.escape import escape
from bot.slack.services import Services
from bot.storage import PersonalData

log = logging.getLogger(__name__)

FORGET_CONFIRM = "forget_me_confirm"
FORGET_CANCEL = "forget_me_cancel"
_NO_TEXT = ("Tone Coach never keeps the text of your drafts, of the customer's message or of "
            "the rewrite.")


def register(app: App, services: Services) -> None:
    @app.action(FORGET_CONFIRM)
    def confirm_forget(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        services.in_background(forget, services, body, respond)

    @app.action(FORGET_CANCEL)
    def cancel_forget(ack: Ack, respond: Respond) -> None:
        ack()
        services.in_background(
            lambda: respond(replace_original=True, **notice("Nothing was deleted.")))


def show_my_data(services: Services, command: dict, respond: Respond) -> None:
    """Answer ``/tone-check my-data`` privately with every row kept about the caller."""
    if not services.first_delivery(command):
        return
    team, user = command.get("team_id", ""), command.get("user_id", "")
    data = services.storage.personal_data.collect(team, user)
    respond(response_type="ephemeral", **my_data_message(data, services.storage.retention_days))


def ask_to_forget(services: Services, command: dict, respond: Respond) -> None:
    """Answer ``/tone-check forget-me`` with what would go, and a button to confirm."""
    if not services.first_delivery(command):
        return
    data = services.storage.personal_data.collect(command.get("team_id", ""),
                                                  command.get("user_id", ""))
    if not (data.reviews or data.votes or data.settings_changes or data.tallies):
        respond(response_type="ephemeral",
                **notice("Tone Coach keeps nothing about you in this workspace."))
        return
    text = (
        f"This deletes what Tone Coach keeps about you in this workspace: "
        f"{_count(len(data.reviews), 'review')} (with the guidelines each one found) and "
        f"{_count(len(data.votes), 'vote')}, and your daily counts for the weekly digest "
        f"({_count(len(data.tallies), 'day')}). "
    )
    if data.settings_changes:
        text += (f"The {_count(len(data.settings_changes), 'settings change')} you made stay "
                 "on their channels' record, without your name. ")
    text += "This cannot be undone."
    buttons = {"type": "actions", "block_id": "forget_me", "elements": [
        {"type": "button", "action_id": FORGET_CONFIRM, "style": "danger", "value": "forget",
         "text": {"type": "plain_text", "text": "Delete my data"}},
        {"type": "button", "action_id": FORGET_CANCEL, "value": "cancel",
         "text": {"type": "plain_text", "text": "Cancel"}},
    ]}
    respond(response_type="ephemeral", text=text, blocks=[section(text), buttons])


def forget(services: Services, body: dict, respond: Respond) -> None:
    """Erase the clicking user's rows in their workspace, and say what went."""
    if not services.first_delivery(body):
        return
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id", "")
    try:
        erased = services.storage.personal_data.erase(team, user.get("id", ""))
    except Exception:
        log.exception("forget-me failed")
        respond(replace_original=True, **notice(
            ":warning: I couldn't delete your data just now; nothing was changed. "
            "Please try `/tone-check forget-me` again in a minute."))
        return
    log.info("erased one user's data on request: %s reviews, %s votes, %s digest tallies, "
             "%s changes made anonymous",
             erased.reviews, erased.votes, erased.tallies, erased.settings_changes)
    respond(replace_original=True, **notice(
        f"Done: I deleted {_count(erased.reviews, 'review')}, "
        f"{_count(erased.votes, 'vote')} and your counts in the weekly digest's tallies"
        + (f", and took your name off {_count(erased.settings_changes, 'settings change')}"
           if erased.settings_changes else "")
        + ". Reviews you ask for from now on are kept as usual."))


def my_data_message(data: PersonalData, retention_days: int) -> dict:
    """Every kept row, newest first, as text lines split over as many blocks as allowed."""
    blocks: list[dict] = [section(
        "*What Tone Coach keeps about you in this workspace*\n"
        f"{_NO_TEXT} Reviews are deleted after {retention_days} days; "
        "`/tone-check forget-me` deletes yours now. The weekly digest also keeps counts of "
        "your checked drafts, findings and votes per UTC day and quarter hour (shown by day "
        "below); they go with your reviews.")]
    groups = [
        (f"Reviews ({len(data.reviews)})", [
            f"{r.created_at:%Y-%m-%d %H:%M} · <#{r.channel_id}> · {r.entry_point} · "
            f"{r.verdict} · {', '.join(r.guidelines) or 'no findings'} · #{r.id}"
            for r in data.reviews]),
        (f"Votes ({len(data.votes)})", [
            f"{v.updated_at:%Y-%m-%d %H:%M} · review #{v.review_id} · "
            f"{'helpful' if v.helpful else 'not helpful'}" for v in data.votes]),
        (f"Settings changes ({len(data.settings_changes)})", [
            f"{c.created_at:%Y-%m-%d %H:%M} · <#{c.channel_id}> · {c.action}"
            + (f" {escape(c.detail)}" if c.detail else "") for c in data.settings_changes]),
        # The digest's roll-up: counts only, shown per UTC day (also kept per quarter hour).
        (f"Weekly digest counts, by UTC day ({len(data.tallies)})", [
            f"{t.day:%Y-%m-%d} · {_count(t.checked, 'draft')} checked · "
            f"{_count(t.findings, 'finding')} · {_count(t.votes, 'vote')} cast"
            for t in data.tallies]),
    ]
    for title, lines in groups:
        blocks.extend(_listing(title, lines, room=(MAX_BLOCKS - len(blocks)) // 2))
    summary = ", ".join(title.lower() for title, _ in groups)
    return {"text": f"What Tone Coach keeps about you: {summary}", "blocks": blocks[:MAX_BLOCKS]}


def _listing(title: str, lines: list[str], room: int) -> list[dict]:
    """A heading and the lines in sections of up to MAX_TEXT characters, in ``room`` blocks."""
    if not lines:
        return [section(f"*{title}*: none")]
    blocks, current = [], [f"*{title}*"]
    for shown, line in enumerate(lines):
        if sum(len(part) + 1 for part in current) + len(line) > MAX_TEXT - 100:
            if len(blocks) + 2 >= room:
                blocks.append(section("\n".join(current)))
                blocks.append(context_block(f"…and {len(lines) - shown} older ones."))
                return blocks
            blocks.append(section("\n".join(current)))
            current = []
        current.append(line)
    blocks.append(section("\n".join(current)))
    return blocks


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
