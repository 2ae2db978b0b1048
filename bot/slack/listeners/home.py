"""App Home: how to use Tone Coach, the team's guidelines, and the user's own progress."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest.compute import own_trend
from bot.slack.blocks import MAX_BLOCKS, context_block, section
from bot.slack.escape import escape
from bot.slack.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        # The event is acknowledged when this returns: the queries and views.publish wait.
        services.in_background(publish_home, services, client, context.team_id or "",
                               event.get("user", ""))


def publish_home(services: Services, client: WebClient, team_id: str, user: str) -> None:
    """Build the user's Home tab and publish it."""
    view = home_view(services, team_id, user,
                     operator_note=_operator_note(services, client, user))
    try:
        client.views_publish(user_id=user, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))


def _operator_note(services: Services, client: WebClient, user: str) -> str | None:
    """The model lifecycle warning, for workspace admins and owners only."""
    status = services.coach.model_status
    warning = status.warning() if status else None
    if not warning:
        return None
    try:
        profile = client.users_info(user=user)["user"]
    except SlackApiError as exc:
        log.warning("users.info failed, so no admin note in App Home: %s",
                    exc.response.get("error"))
        return None
    return warning if profile.get("is_admin") or profile.get("is_owner") else None


def home_view(
    services: Services, team_id: str, user_id: str, operator_note: str | None = None
) -> dict:
    """The Home tab for one user; ``operator_note`` is shown first, to admins only."""
    titles = services.titles("en")
    storage = services.storage
    reaction = services.settings.reaction
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Tone Coach"}},
        *([section(f":warning: *For workspace admins:* {escape(operator_note)}")]
          if operator_note else []),
        section(
            "*Three ways to check a reply before you send it*\n"
            "• `/tone-check <your draft>`: a private review with a suggested rewrite\n"
            f"• React with :{reaction}: to a message: the review goes into its thread\n"
            "• *Check tone* in any message's ⋯ menu: a review only you can see\n"
            "Leads: `/tone-check watch` in a drafts channel, `/tone-check tips 09:30 "
            "Europe/Tallinn` for a daily tip, `/tone-check digest mon 09:00 Europe/Tallinn` "
            "for the team's weekly figures."
        ),
        {"type": "divider"},
        section("*Your recent checks*"),
    ]
    storage.recorder.flush(1.0)  # a review just posted may still be on its way in
    recent = storage.reviews.recent(team_id, user_id, limit=5)
    if not recent:
        blocks.append(context_block("No checks yet: try `/tone-check` with your next reply."))
    for review in recent:
        verdict = ":white_check_mark: ok" if review.verdict == "ok" else ":mag: needs work"
        found = ", ".join(titles.get(g, g) for g in review.guidelines) or "nothing to fix"
        when = review.created_at.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(context_block(f"{when} · {verdict} · {escape(found)}"))
    top = storage.reviews.user_top_findings(team_id, user_id, days=30, limit=3)
    if top:
        lines = "\n".join(f"• {escape(titles.get(g, g))}: {n}×" for g, n in top)
        blocks.append(section(f"*What you trip on most (30 days)*\n{lines}"))
    trend = own_trend_lines(services, team_id, user_id, titles)
    if trend:
        blocks.append(section("*Your last 8 weeks* (only you see this)\n" + "\n".join(trend)))
    team_top = storage.reviews.team_top_guidelines(team_id, days=7, limit=3)
    if team_top:
        lines = "\n".join(f"• {escape(titles.get(g, g))}: {n}×" for g, n in team_top)
        blocks.append(section(f"*The team's most frequent findings (7 days)*\n{lines}"))
    blocks += [{"type": "divider"}, section("*The team's guidelines*")]
    for guideline in services.coach.guidelines.guidelines:
        blocks.append(section(f"*{escape(guideline.title['en'])}*\n{escape(guideline.why)}"))
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def own_trend_lines(services: Services, team_id: str, user_id: str,
                    titles: dict[str, str]) -> list[str]:
    """One line per week with checks: how many, how many fine at once, the top finding."""
    lines = []
    for week in own_trend(services.storage, team_id, user_id, services.coach.guidelines.ids):
        if not week.drafts:
            continue
        line = (f"• {week.start:%d %b}–{week.end:%d %b}: {week.drafts} "
                f"{'check' if week.drafts == 1 else 'checks'}, "
                f"{round((week.fine_share or 0) * 100)}% fine on the first check")
        found = {g: rate for g, rate in week.per_100.items() if rate}
        if found:
            top = max(found, key=lambda g: (found[g], g))
            line += f", most often: {escape(titles.get(top, top))}"
        lines.append(line)
    return lines
