"""Who can read a channel: Slack's sharing flags, looked up with conversations.info and cached.

Slack marks a conversation shared with another organisation (Slack Connect) with
``is_ext_shared``; ``is_pending_ext_shared`` means an invitation to one is waiting, and once it
is accepted the other side sees the history too. ``is_org_shared`` (and ``is_shared`` without
``is_ext_shared``) means shared between workspaces of one Enterprise Grid organisation: still
colleagues. Events from an externally shared channel carry ``is_ext_shared_channel: true`` in
their envelope; slash commands and interactions carry no such flag.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

#: How long an answer from conversations.info is trusted; channel_shared / channel_unshared
#: events also drop it at once.
CACHE_SECONDS = 300
CACHE_SIZE = 4096


@dataclass(frozen=True)
class Sharing:
    """A channel's sharing flags, as conversations.info reports them."""

    external: bool = False  # is_ext_shared: people from another organisation are in it
    pending_external: bool = False  # is_pending_ext_shared: an invitation is waiting
    org: bool = False  # is_org_shared: other workspaces of the same organisation
    error: str | None = None  # Slack would not say (e.g. missing_scope): assume outsiders

    @property
    def outsiders_can_read(self) -> bool:
        """True when people outside the organisation read (or are about to read) it, or when
        Slack would not say: a review sent privately by mistake costs little, one shown to a
        customer costs a lot."""
        return self.external or self.pending_external or self.error is not None

    @classmethod
    def from_conversation(cls, channel: dict) -> Sharing:
        return cls(
            external=bool(channel.get("is_ext_shared")),
            pending_external=bool(channel.get("is_pending_ext_shared")),
            org=bool(channel.get("is_org_shared")),
        )


EXTERNAL = Sharing(external=True)


class ChannelDirectory:
    """A bounded, expiring cache of channels' sharing, shared by every thread of the app."""

    def __init__(self, ttl: float = CACHE_SECONDS, maxsize: int = CACHE_SIZE) -> None:
        self._cache: TTLCache[str, Sharing] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def sharing(self, client: WebClient, channel_id: str, envelope: dict | None = None
                ) -> Sharing:
        """The channel's sharing; when Slack would not say, one with ``error`` set (logged,
        and not cached, so the next call asks again).

        ``envelope`` is an Events API body: its ``is_ext_shared_channel: true`` settles it
        without a call. (False does not: a pending invitation is not in the envelope.)
        """
        if envelope and envelope.get("is_ext_shared_channel") is True:
            self._remember(channel_id, EXTERNAL)
            return EXTERNAL
        with self._lock:
            cached = self._cache.get(channel_id)
        if cached is not None:
            return cached
        try:
            response = client.conversations_info(channel=channel_id)
        except SlackApiError as exc:
            error = str(exc.response.get("error") if exc.response is not None else exc)
            log.warning("conversations.info for %s failed (%s); treating it as shared",
                        channel_id, error)
            return Sharing(error=error)
        except OSError as exc:  # the network, after slack_sdk's own retries
            log.warning("conversations.info for %s failed (%s); treating it as shared",
                        channel_id, exc)
            return Sharing(error=type(exc).__name__)
        sharing = Sharing.from_conversation(response.get("channel") or {})
        self._remember(channel_id, sharing)
        return sharing

    def forget(self, channel_id: str) -> None:
        """Drop what is known about a channel (it was just shared or unshared)."""
        with self._lock:
            self._cache.pop(channel_id, None)

    def _remember(self, channel_id: str, sharing: Sharing) -> None:
        with self._lock:
            self._cache[channel_id] = sharing
