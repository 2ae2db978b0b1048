"""Who may change a channel's settings (watch, unwatch, tips, digest).

``TONE_COACH_ADMINS`` names user ids, user-group ids (``S…``, read with usergroups.users.list)
and/or ``workspace-admins`` (admins and owners, read with users.info). When it is not set,
anyone may: Slack has no method a bot token can call to learn who manages a channel (channel
managers are only listed by admin.roles.listAssignments, which needs an org admin's user token
on Enterprise Grid), so the rule "channel managers and workspace admins" cannot be checked.
Every change is recorded either way.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import WORKSPACE_ADMINS

log = logging.getLogger(__name__)

#: Group membership and admin flags change rarely; five minutes keeps Slack calls few.
CACHE_SECONDS = 300
CACHE_SIZE = 4096


@dataclass(frozen=True)
class Admins:
    """The people allowed to change settings, as configured."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    workspace_admins: bool = False

    @classmethod
    def parse(cls, entries: tuple[str, ...]) -> Admins:
        """From TONE_COACH_ADMINS's entries (already checked by the settings)."""
        return cls(
            users=tuple(e for e in entries if e[0] in "UW"),
            groups=tuple(e for e in entries if e[0] == "S"),
            workspace_admins=WORKSPACE_ADMINS in entries,
        )

    @property
    def configured(self) -> bool:
        return bool(self.users or self.groups or self.workspace_admins)

    def described(self) -> str:
        """``<@U1>, members of <!subteam^S1> or a workspace admin``: whom to ask."""
        names = [f"<@{user}>" for user in self.users]
        names += [f"members of <!subteam^{group}>" for group in self.groups]
        if self.workspace_admins:
            names.append("a workspace admin")
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} or {names[-1]}"


class SettingsGuard:
    """Answers "may this person change settings?", caching what it reads from Slack."""

    def __init__(self, admins: Admins, ttl: float = CACHE_SECONDS) -> None:
        self.admins = admins
        self._members: TTLCache[str, frozenset[str]] = TTLCache(CACHE_SIZE, ttl)
        self._is_admin: TTLCache[str, bool] = TTLCache(CACHE_SIZE, ttl)
        self._lock = threading.Lock()

    def may_change(self, client: WebClient, user_id: str) -> bool:
        """True for a configured admin, or for anyone when none is configured.

        A group or profile Slack would not show counts as "not allowed" (and is logged):
        the refusal names whom to ask, so nobody is stuck.
        """
        admins = self.admins
        if not admins.configured or user_id in admins.users:
            return True
        if any(user_id in self._group_members(client, group) for group in admins.groups):
            return True
        return admins.workspace_admins and self._workspace_admin(client, user_id)

    def refusal(self) -> str:
        """One friendly line saying whom to ask."""
        return (
            "Only " + self.admins.described() + " can change Tone Coach's settings in a "
            "channel, so please ask them."
        )

    def _group_members(self, client: WebClient, group: str) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(group)
        if cached is not None:
            return cached
        try:
            users = client.usergroups_users_list(usergroup=group).get("users") or []
        except (SlackApiError, OSError) as exc:
            log.warning("could not read user group %s: %s", group, _error(exc))
            return frozenset()
        members = frozenset(users)
        with self._lock:
            self._members[group] = members
        return members

    def _workspace_admin(self, client: WebClient, user_id: str) -> bool:
        with self._lock:
            cached = self._is_admin.get(user_id)
        if cached is not None:
            return cached
        try:
            profile = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError) as exc:
            log.warning("could not read whether %s is a workspace admin: %s", user_id,
                        _error(exc))
            return False
        is_admin = bool(profile.get("is_admin") or profile.get("is_owner")
                        or profile.get("is_primary_owner"))
        with self._lock:
            self._is_admin[user_id] = is_admin
        return is_admin


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return type(exc).__name__
