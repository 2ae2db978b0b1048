"""Daily tips never go to a channel the customer reads, unless the team allows it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.slack.tip_delivery import SHARED_CHANNEL, deliver_due_tips
from bot.slack.tips_command import handle_tips_command
from bot.storage import TipSubscription
from tests.tips.tips_helpers import TEAM, make_services

MONDAY_0930 = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Tallinn"))


def subscribe(services, channel: str) -> None:
    services.storage.tips.subscribe(TipSubscription(
        TEAM, channel, "09:30", "Europe/Tallinn", ("mon", "tue", "wed", "thu", "fri"), "en"))


def deliver(services, client, catalog) -> dict[str, tuple[str, str | None]]:
    results = deliver_due_tips(services, MONDAY_0930.astimezone(UTC), lambda team: client, catalog)
    return {r.channel_id: (r.status, r.error) for r in results}


def test_a_channel_shared_with_a_customer_since_it_subscribed_is_paused(
    services, client, catalog, slack
):
    subscribe(services, "CCONNECT")
    subscribe(services, "CTEAM")
    slack.share_with_customer("CCONNECT")

    assert deliver(services, client, catalog) == {
        "CCONNECT": ("paused", SHARED_CHANNEL), "CTEAM": ("posted", None)}
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["CTEAM"]
    status = handle_tips_command(services.storage, {"team_id": TEAM, "channel_id": "CCONNECT"}, "",
                                 now=MONDAY_0930)["text"]
    assert "paused" in status and "shared with another organisation" in status


def test_a_pending_invitation_pauses_too_but_an_organisation_share_does_not(
    services, client, catalog, slack
):
    subscribe(services, "CINVITED")
    subscribe(services, "CSISTER")
    slack.share_with_customer("CINVITED", pending=True)
    slack.share_in_org("CSISTER")
    assert deliver(services, client, catalog) == {
        "CINVITED": ("paused", SHARED_CHANNEL), "CSISTER": ("posted", None)}


def test_a_team_that_allows_it_gets_tips_in_shared_channels(
    storage, slack, guidelines, client, catalog
):
    services = make_services(storage, slack.api_url, guidelines, shared_channels="allow")
    subscribe(services, "CCONNECT")
    slack.share_with_customer("CCONNECT")
    assert deliver(services, client, catalog) == {"CCONNECT": ("posted", None)}
