"""Reading a message and its thread parent back from Slack."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# Slack errors a person can do something about, explained in plain words.
FRIENDLY_ERRORS = {
    "not_in_channel": "I'm not a member of that channel. Invite me with `/invite @Tone Coach` "
    "and try again.",
    "channel_not_found": "I can't see that channel. If it's private, invite me with "
    "`/invite @Tone Coach` first.",
    "message_not_found": "I couldn't find that message; it may have been deleted.",
    "thread_not_found": "I couldn't find that message; it may have been deleted.",
    "is_archived": "That channel is archived, so I can't reply there.",
    "ratelimited": "Slack asked me to slow down. Please try again in a minute.",
}


def explain(error: SlackApiError) -> str:
    """A sentence for the user about what went wrong."""
    code = error.response.get("error", "") if error.response is not None else ""
    if not (isinstance(code, str) and code.isidentifier()):
        code = ""  # slack_sdk puts a non-JSON body (an HTML error page) here: never show it
    return FRIENDLY_ERRORS.get(code, f"Slack answered `{code or 'an error'}`. Please try again.")


@dataclass(frozen=True)
class FetchedMessage:
    ts: str
    text: str
    user: str | None
    bot_id: str | None
    thread_ts: str | None
    parent: FetchedMessage | None = None  # the thread's first message, when this is a reply

    @property
    def parent_text(self) -> str | None:
        return self.parent.text if self.parent else None

    @classmethod
    def of(cls, message: dict, parent: FetchedMessage | None = None) -> FetchedMessage:
        return cls(message["ts"], message.get("text", ""), message.get("user"),
                   message.get("bot_id"), message.get("thread_ts"), parent)


def fetch_message(client: WebClient, channel: str, ts: str) -> FetchedMessage:
    """Get one message by ``ts``, whether top-level or a thread reply, with its parent.

    ``conversations.history`` holds only top-level messages, so a reply is read with
    ``conversations.replies``, which always starts with the thread's parent: the window is
    bounded to the reply's own ``ts`` and the limit leaves room for the parent.
    Raises :class:`SlackApiError` (e.g. ``message_not_found``).
    """
    window = {"latest": ts, "oldest": ts, "inclusive": True}
    history = client.conversations_history(channel=channel, limit=1, **window)
    message = next((m for m in history.get("messages", []) if m.get("ts") == ts), None)
    if message is None:
        replies = client.conversations_replies(channel=channel, ts=ts, limit=2, **window)
        message = next((m for m in replies.get("messages", []) if m.get("ts") == ts), None)
    if message is None:
        raise SlackApiError("message_not_found", {"ok": False, "error": "message_not_found"})
    thread_ts = message.get("thread_ts")
    parent = None
    if thread_ts and thread_ts != ts:
        parent = fetch_parent(client, channel, thread_ts)
    return FetchedMessage.of(message, parent)


def fetch_parent(client: WebClient, channel: str, thread_ts: str) -> FetchedMessage | None:
    """A thread's first message, or None when it cannot be read."""
    try:
        thread = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    except SlackApiError:
        return None
    parent = next((m for m in thread.get("messages", []) if m.get("ts") == thread_ts), None)
    return FetchedMessage.of(parent) if parent else None


def fetch_parent_text(client: WebClient, channel: str, thread_ts: str) -> str | None:
    """The text of a thread's first message, or None when it cannot be read."""
    parent = fetch_parent(client, channel, thread_ts)
    return parent.text if parent else None
