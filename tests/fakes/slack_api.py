"""A fake Slack Web API on loopback that records every call with its body.

Point the real ``slack_sdk`` client at it with ``base_url=fake.api_url``. It also serves
``response_url`` posts, so ephemeral replies to slash commands and shortcuts are recorded,
and Slack's external file upload (files.getUploadURLExternal, a POST of the bytes to the
upload URL it returns, files.completeUploadExternal), checked as Slack documents it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal

from tests.fakes.http import FakeServer, Request, Response

BOT_USER = "UBOT"
TEAM = "T1"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
# Undocumented, but reported by Bolt users (bolt-js #2509): about 13,200 characters of
# block text in one message gives msg_blocks_too_long. The fake refuses a little earlier.
MAX_BLOCKS_TEXT = 13_000
_POSTING = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")


def blocks_error(blocks: object) -> str | None:
    """Slack's error for ``blocks`` over its limits, or None."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return None
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    total = 0
    for block in blocks:
        texts = [block.get("text") or {}] + [e for e in block.get("elements", [])
                                             if isinstance(e, dict)]
        for text in texts:
            length = len(text.get("text", "")) if isinstance(text.get("text"), str) else 0
            if block.get("type") == "section" and length > MAX_SECTION_TEXT:
                return "invalid_blocks"
            total += length
    return "msg_blocks_too_long" if total > MAX_BLOCKS_TEXT else None
CUSTOMER_TEAM = "T0CUSTOMER"  # the other side of a Slack Connect channel
OTHER_ORG_TEAM = "T2SISTER"  # another workspace of our own Enterprise Grid organisation
#: files.getUploadURLExternal refuses alt text longer than this (alt_txt_too_large).
MAX_ALT_TXT = 1000


@dataclass
class Upload:
    """A file on its way through the external upload flow, or shared at the end of it."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None  # what was POSTed to the upload URL
    title: str | None = None
    channel: str | None = None  # where completeUploadExternal shared it
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


def sign(body: bytes, timestamp: int | None = None, secret: str = "test-signing-secret") -> dict:
    """Headers exactly as Slack signs a request: v0 HMAC-SHA256 of 'v0:timestamp:body'."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    """One Web API call (``method`` such as ``chat.postMessage``) or response_url post."""

    method: str
    args: dict
    at: float = field(default_factory=time.monotonic)


class FakeSlack(FakeServer):
    """Enough of the Web API for Tone Coach, with scripted failures per method."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refused: list[Call] = []  # posts Slack would refuse for their blocks
        self.messages: dict[str, list[dict]] = defaultdict(list)  # channel -> messages
        self.failures: dict[str, deque[Response]] = defaultdict(deque)
        # users.info: user id -> fields such as is_admin / is_owner (others get defaults)
        self.users: dict[str, dict] = {}
        # conversations.info: channel id -> fields that differ from a plain channel of ours
        self.channels: dict[str, dict] = {}
        # usergroups.users.list: user-group id (S...) -> member user ids
        self.usergroups: dict[str, list[str]] = {}
        self.uploads: dict[str, Upload] = {}  # file id -> upload
        self.socket_mode_url: str | None = None  # a FakeSocketMode's URL, when a test runs one
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        super().__init__(self._answer)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/respond/{name}"

    # --- scripting -------------------------------------------------------------------
    def add_message(self, channel: str, text: str, user: str = "UAGENT",
                    thread_ts: str | None = None, ts: str | None = None) -> str:
        ts = ts or f"1700000000.{next(self._ts):06d}"
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[channel].append(message)
        return ts

    def remember(self, channel: str, message: dict) -> None:
        """Keep a message an event or a shortcut told us about (Slack has it), unless known."""
        with self._lock:
            if not any(m["ts"] == message.get("ts") for m in self.messages[channel]):
                kept = {k: v for k, v in message.items() if k != "channel"}
                self.messages[channel].append({"type": "message", **kept})

    def share_with_customer(self, channel: str, *, pending: bool = False) -> None:
        """Make ``channel`` a Slack Connect channel, flagged as Slack flags one.

        Accepted: ``is_shared`` and ``is_ext_shared`` true, the customer's team among
        ``shared_team_ids``, and events from it carry ``is_ext_shared_channel: true``.
        Pending (invitation sent, not yet accepted): only ``is_pending_ext_shared`` and
        ``pending_shared`` / ``pending_connected_team_ids`` say so.
        """
        if pending:
            self.channels[channel] = {
                "is_pending_ext_shared": True, "pending_shared": [CUSTOMER_TEAM],
                "pending_connected_team_ids": [CUSTOMER_TEAM],
            }
        else:
            self.channels[channel] = {
                "is_shared": True, "is_ext_shared": True,
                "shared_team_ids": [TEAM, CUSTOMER_TEAM],
            }

    def share_in_org(self, channel: str) -> None:
        """Share ``channel`` with another workspace of the same organisation (Grid)."""
        self.channels[channel] = {"is_shared": True, "is_org_shared": True,
                                  "shared_team_ids": [TEAM, OTHER_ORG_TEAM]}

    def is_ext_shared(self, channel: str) -> bool:
        """What the Events API envelope's ``is_ext_shared_channel`` says for ``channel``."""
        return bool(self.channels.get(channel, {}).get("is_ext_shared"))

    def reset(self) -> None:
        """Forget calls, scripted failures, messages, channels, groups and users."""
        with self._lock:
            self.calls.clear()
        for store in (self.failures, self.messages, self.channels, self.usergroups, self.users):
            store.clear()

    def fail(self, method: str, error: str | None = None, *, status: int = 200,
             headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Make the next call to ``method`` fail with a Slack error or an HTTP status.

        ``method`` is a Web API method, or ``response_url`` for posts to a response URL.
        """
        body = {"ok": False, "error": error or "ratelimited"}
        self.fault(method, Response(status, body, headers or {}), times=times)

    def fault(self, method: str, response: Response, *, times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with ``response``."""
        with self._lock:
            self.failures[method].extend([response] * times)

    def server_error(self, method: str, status: int = 500, *, times: int = 1) -> None:
        """A 5xx with an HTML page, as Slack's edge answers when it is having a bad day."""
        page = (f"<!DOCTYPE html><html><head><title>Slack - {status}</title></head>"
                "<body><h1>Something went wrong</h1><p>Please try again.</p></body></html>")
        self.fault(method, Response(status, page, {"content-type": "text/html"}), times=times)

    def rate_limit(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """HTTP 429 with ``Retry-After`` in seconds. The Web API says ``ratelimited`` in JSON;
        response URLs (incoming webhooks) say ``rate_limited`` with a ``retry_after``."""
        if method == "response_url":
            body = {"ok": False, "error": "rate_limited", "retry_after": retry_after}
        else:
            body = {"ok": False, "error": "ratelimited"}
        self.fault(method, Response(429, body, {"Retry-After": str(retry_after)}), times=times)

    def ratelimited_ok(self, method: str, *, times: int = 1) -> None:
        """HTTP 200 carrying ``{"ok": false, "error": "ratelimited"}``: no header to go by."""
        self.fault(method, Response(200, {"ok": False, "error": "ratelimited"}), times=times)

    def refuse(self, method: str, *, times: int = 1) -> None:
        """Close the connection without an answer (a reset connection or a dying proxy)."""
        self.fault(method, Response(drop=True), times=times)

    def expire(self, name: str = "response_url", *, times: int = 1) -> None:
        """A response URL past its 30 minutes: 404 ``expired_url`` in plain text."""
        self.fault(name, Response(404, "expired_url", {"content-type": "text/plain"}),
                   times=times)

    # --- reading ---------------------------------------------------------------------
    def shared_files(self, channel: str | None = None) -> list[Upload]:
        """Files that completed the upload flow (in ``channel``, if given), in order."""
        with self._lock:
            return [u for u in self.uploads.values()
                    if u.completed and (channel is None or u.channel == channel)]

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls to ``method`` arrived; fail the test otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls})
                    raise AssertionError(f"no {count} x {method} within {timeout}s; saw {seen}")
                self._changed.wait(left)

    def wait_for_response(self, name: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` posts reached ``response_url(name)``; fail the test otherwise."""
        path = f"/respond/{name}"
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls
                         if c.method == "response_url" and c.args.get("response_url") == path]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {count} x response to {name} within {timeout}s")
                self._changed.wait(left)

    # --- serving ---------------------------------------------------------------------
    def _answer(self, request: Request) -> Response:
        if request.path.startswith("/respond/"):
            args = request.json
            args["response_url"] = request.path
            self._record("response_url", args)
            with self._lock:
                failure = self.failures["response_url"]
                failure = failure.popleft() if failure else None
            if failure:
                return failure
            error = blocks_error(args.get("blocks"))
            if error:
                self.refused.append(Call("response_url", args))
                return Response(400, error, {"content-type": "text/plain"})
            return Response(200, "ok", {"content-type": "text/plain"})
        if request.path.startswith("/upload/v1/"):
            return self._upload(request)
        method = request.path.removeprefix("/api/")
        is_json = request.headers.get("content-type", "").startswith("application/json")
        # slack_sdk sends some methods' arguments in the query string; Slack reads both.
        args = {**request.query_args, **(request.json if is_json else request.form)}
        self._record(method, args)
        error = blocks_error(args.get("blocks")) if method in _POSTING else None
        if error:
            self.refused.append(Call(method, args))
            return Response(200, {"ok": False, "error": error})
        with self._lock:
            failure = self.failures[method].popleft() if self.failures[method] else None
        if failure:
            return failure
        if method == "apps.connections.open":
            return Response(200, self._apps_connections_open(request.headers))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        return Response(200, handler(args) if handler else {"ok": True})

    def _apps_connections_open(self, headers: dict) -> dict:
        """A Socket Mode URL; Slack takes only an app-level token (xapp-) for it."""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "fatal_error"}  # the test runs no FakeSocketMode
        return {"ok": True, "url": self.socket_mode_url}

    def _record(self, method: str, args: dict) -> None:
        with self._changed:
            self.calls.append(Call(method, args))
            self._changed.notify_all()

    def _auth_test(self, args: dict) -> dict:
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "tone-coach",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BBOT"}

    def _users_info(self, args: dict) -> dict:
        user = args.get("user", "")
        if not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        fields = {"is_admin": False, "is_owner": False, "is_primary_owner": False,
                  **self.users.get(user, {})}
        return {"ok": True, "user": {"id": user, "team_id": TEAM, "name": user.lower(),
                                     "deleted": False, "is_bot": False, **fields}}

    def _conversations_info(self, args: dict) -> dict:
        channel = args.get("channel", "")
        if not channel:
            return {"ok": False, "error": "invalid_arguments"}
        if not channel.startswith(("C", "G")):
            # DMs need im:read / mpim:read, which the app does not ask for.
            return {"ok": False, "error": "missing_scope", "needed": "im:read",
                    "provided": "commands,chat:write"}
        conversation = {
            "id": channel, "name": channel.lower(), "is_channel": True, "is_group": False,
            "is_im": False, "is_mpim": False, "is_private": channel.startswith("G"),
            "created": 1449252889, "is_archived": False, "is_general": False, "unlinked": 0,
            "name_normalized": channel.lower(), "is_shared": False, "is_org_shared": False,
            "is_pending_ext_shared": False, "pending_shared": [], "context_team_id": TEAM,
            "updated": 1689965803820, "parent_conversation": None, "creator": "W123456",
            "is_ext_shared": False, "shared_team_ids": [TEAM],
            "pending_connected_team_ids": [], "is_member": True,
            **self.channels.get(channel, {}),
        }
        return {"ok": True, "channel": conversation}

    def _usergroups_users_list(self, args: dict) -> dict:
        group = args.get("usergroup", "")
        if not group:
            return {"ok": False, "error": "invalid_arguments"}
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _chat_postMessage(self, args: dict) -> dict:
        # Now, as Slack stamps it: a ts in the future would fall outside every read window.
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        # Posts land in the channel like anyone's, so the bot can find its own later.
        message = {"type": "message", "user": BOT_USER, "bot_id": "BBOT", "ts": ts,
                   "text": args.get("text", "")}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._lock:
            self.messages[args.get("channel", "")].append(message)
        return {"ok": True, "channel": args.get("channel"), "ts": ts,
                "message": {"text": args.get("text", ""), "ts": ts}}

    def _chat_update(self, args: dict) -> dict:
        with self._lock:
            for message in self.messages[args.get("channel", "")]:
                if message["ts"] == args.get("ts"):
                    message["text"] = args.get("text", "")
                    return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return {"ok": False, "error": "message_not_found"}  # as Slack answers an unknown ts

    def _chat_postEphemeral(self, args: dict) -> dict:
        return {"ok": True, "message_ts": f"1900000000.{next(self._ts):06d}"}

    def _conversations_history(self, args: dict) -> dict:
        """Top-level messages (and thread broadcasts), newest first, in the time window.

        As Slack documents it: ``latest`` (default now) and ``oldest`` (default 0) bound the
        window, exclusive unless ``inclusive``; ``limit`` defaults to 100 (at most 999);
        ``has_more`` and ``response_metadata.next_cursor`` page through the rest.
        """
        with self._lock:
            messages = list(self.messages[args["channel"]])
        top_level = [m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]
                     or m.get("subtype") == "thread_broadcast"]
        found = sorted(_in_window(top_level, args), key=_ts, reverse=True)
        return _page(found, args, default_limit=100, max_limit=999)

    def _conversations_replies(self, args: dict) -> dict:
        """A thread, oldest first, from any of its messages' ``ts``.

        The first page always starts with the thread's parent, whatever the window; the
        window (``latest``/``oldest``/``inclusive``) and ``limit`` apply to the replies after
        it, the parent counting toward the limit. Later pages hold replies only.
        """
        channel, ts = args["channel"], args["ts"]
        with self._lock:
            messages = list(self.messages[channel])
        target = next((m for m in messages if m["ts"] == ts), None)
        if target is None:
            return {"ok": False, "error": "thread_not_found"}
        parent_ts = target.get("thread_ts", ts)
        parent = next((m for m in messages if m["ts"] == parent_ts), target)
        replies = sorted(
            _in_window([m for m in messages if m.get("thread_ts") == parent_ts
                        and m["ts"] != parent_ts], args),
            key=_ts,
        )
        first_page = not args.get("cursor")
        page = _page(([parent] if first_page else []) + replies, args,
                     default_limit=1000, max_limit=1000, skip=0 if first_page else 1)
        return page

    # --- external file upload --------------------------------------------------------
    def _files_getUploadURLExternal(self, args: dict) -> dict:
        filename, length = args.get("filename"), str(args.get("length") or "")
        if not filename or not length:
            return {"ok": False, "error": "invalid_arguments",
                    "response_metadata": {"messages": ["[ERROR] missing required field"]}}
        if not length.isdigit() or int(length) == 0:
            # Slack: "missing_argument ... typically only occurs when the length provided is 0"
            return {"ok": False, "error": "missing_argument"}
        alt_txt = args.get("alt_txt")
        if alt_txt and len(alt_txt) > MAX_ALT_TXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F{next(self._file_ids):010d}"
        with self._lock:
            self.uploads[file_id] = Upload(file_id, filename, int(length), alt_txt)
        return {"ok": True, "file_id": file_id,
                "upload_url": f"{self.url}/upload/v1/{file_id}"}

    def _upload(self, request: Request) -> Response:
        """The upload URL: raw bytes (or a multipart form) by POST; 200 and a short text."""
        file_id = request.path.removeprefix("/upload/v1/")
        self._record("upload", {"file_id": file_id, "length": len(request.body)})
        with self._lock:
            upload = self.uploads.get(file_id)
            if request.method != "POST" or upload is None or upload.completed:
                return Response(404, "not found", {"content-type": "text/plain"})
            upload.data = request.body
        return Response(200, f"OK - {len(request.body)}", {"content-type": "text/plain"})

    def _files_completeUploadExternal(self, args: dict) -> dict:
        try:
            files = json.loads(args.get("files") or "")
        except ValueError:
            files = None
        if not isinstance(files, list) or not files or not all(
            isinstance(f, dict) and f.get("id") for f in files
        ):
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id") or args.get("channels")
        if args.get("thread_ts") and channel and "," in channel:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            uploads = [self.uploads.get(f["id"]) for f in files]
            # Unknown, already completed, never uploaded, or not the length announced: Slack
            # has no such file to share.
            if any(u is None or u.completed or u.data is None or len(u.data) != u.length
                   for u in uploads):
                return {"ok": False, "error": "file_not_found"}
            for upload, item in zip(uploads, files, strict=True):
                upload.title = item.get("title") or upload.filename
                upload.channel = channel
                upload.thread_ts = args.get("thread_ts")
                upload.initial_comment = args.get("initial_comment")
                upload.completed = True
        return {"ok": True, "files": [{"id": u.id, "title": u.title} for u in uploads]}


def _ts(message: dict) -> Decimal:
    return Decimal(message["ts"])


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true")


def _in_window(messages: list[dict], args: dict) -> list[dict]:
    """Messages between ``oldest`` and ``latest``; the ends only when ``inclusive``."""
    oldest = Decimal(str(args.get("oldest") or 0))
    latest = Decimal(str(args["latest"])) if args.get("latest") else Decimal(time.time()) + 1
    inclusive = _truthy(args.get("inclusive"))
    if inclusive:
        return [m for m in messages if oldest <= _ts(m) <= latest]
    return [m for m in messages if oldest < _ts(m) < latest]


def _page(messages: list[dict], args: dict, *, default_limit: int, max_limit: int,
          skip: int = 0) -> dict:
    """One page of ``messages`` from the cursor on, with Slack's paging fields.

    ``skip`` is how many leading items the cursor's offset does not count (the parent).
    """
    limit = min(int(args.get("limit") or default_limit), max_limit)
    start = 0
    if args.get("cursor"):
        try:
            start = int(base64.b64decode(args["cursor"]).decode().removeprefix("offset:"))
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        start -= skip
    page = messages[start:start + limit]
    more = start + limit < len(messages)
    cursor = base64.b64encode(f"offset:{start + limit + skip}".encode()).decode() if more else ""
    return {"ok": True, "messages": page, "has_more": more,
            "response_metadata": {"next_cursor": cursor}}
