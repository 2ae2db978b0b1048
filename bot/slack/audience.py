"""Where a review or a tip may be posted: the one rule every entry point asks.

In a channel that people from another organisation can read (a Slack Connect channel with a
customer), a review posted in a thread is read by the customer. Unless the team chose
``TONE_COACH_SHARED_CHANNELS=allow``, reviews there go only to the person who asked, and
watching and daily tips are refused.
"""

from __future__ import annotations

from enum import StrEnum

from slack_sdk import WebClient

from bot.settings import SharedChannels
from bot.slack.channels import ChannelDirectory

#: Recorded on a tip or digest subscription paused because the channel became shared.
SHARED_CHANNEL = "shared_channel"


class Audience(StrEnum):
    CHANNEL = "channel"  # the channel or a thread in it: everyone in the channel reads it
    REQUESTER = "requester"  # only the person who asked: an ephemeral message, or a DM


def where_reviews_go(outsiders_can_read: bool, policy: SharedChannels) -> Audience:
    """The rule: who may see a review of a draft in a channel."""
    if outsiders_can_read and policy != "allow":
        return Audience.REQUESTER
    return Audience.CHANNEL


def audience_in(directory: ChannelDirectory, client: WebClient, channel_id: str,
                policy: SharedChannels, envelope: dict | None = None) -> Audience:
    """Where a review of a draft in ``channel_id`` may go, asking Slack only when it matters.

    ``envelope`` is the Events API body the draft came in, whose ``is_ext_shared_channel``
    saves a conversations.info call.
    """
    if policy == "allow":
        return Audience.CHANNEL
    sharing = directory.sharing(client, channel_id, envelope)
    return where_reviews_go(sharing.outsiders_can_read, policy)


def refusal_to_post_unasked(directory: ChannelDirectory, client: WebClient, channel_id: str,
                            policy: SharedChannels, feature: str) -> str | None:
    """Why ``feature`` (watching, daily tips) cannot be turned on here; None if it can."""
    if policy == "allow":
        return None
    sharing = directory.sharing(client, channel_id)
    if sharing.error == "channel_not_found":  # a private channel the bot is not in
        return ("I can't see this channel yet: invite me with `/invite @Tone Coach`, "
                "then try again.")
    if sharing.error:
        return (
            f"I couldn't tell whether this channel is shared with another organisation (Slack "
            f"said `{sharing.error}`), so I won't turn on {feature} here; if that is a missing "
            "scope, reinstalling Tone Coach fixes it."
        )
    if where_reviews_go(sharing.outsiders_can_read, policy) is Audience.REQUESTER:
        return (
            f"This channel is shared with another organisation, so {feature} here would be "
            "read by people outside your team: in shared channels I only answer privately."
        )
    return None
