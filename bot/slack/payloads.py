"""What Slack POSTs to ``/slack/events``, read strictly before Bolt sees it.

A signed request can still carry a body Bolt would trip over (bad UTF-8, JSON nested a
thousand levels deep, ``event`` as a string): :func:`read_payload` refuses those with a
:class:`MalformedPayload` that names the problem, never the content, so the edge answers 400
instead of letting an exception become a 500.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

#: Slack's deepest payloads (rich-text blocks inside a message inside an event) stay far below.
MAX_DEPTH = 64
#: Form fields in one request; a slash command has about a dozen.
MAX_FIELDS = 100

#: Payload types Bolt knows how to route (each has a listener or a built-in answer).
BOLT_TYPES = frozenset({
    "url_verification", "ssl_check", "event_callback", "command",
    "block_actions", "interactive_message", "attachment_action", "shortcut", "message_action",
    "view_submission", "view_closed", "block_suggestion", "dialog_submission",
    "dialog_cancellation", "dialog_suggestion", "workflow_step_edit",
})

_OBJECT = (dict,)
_TEXT = (str,)
_PARTY = (dict, str, type(None))  # user, team, channel: an object, an id, or null (org apps)

#: Fields each payload type must have, with their JSON types. Bolt indexes these directly.
REQUIRED: dict[str, dict[str, tuple[type, ...]]] = {
    "url_verification": {"challenge": _TEXT},
    "event_callback": {"event": _OBJECT},
    "app_rate_limited": {"team_id": _TEXT, "minute_rate_limited": (int,)},
    "command": {"command": _TEXT},
    "block_actions": {"actions": (list,)},
    "interactive_message": {"actions": (list,), "callback_id": _TEXT},
    "attachment_action": {"actions": (list,), "callback_id": _TEXT},
    "shortcut": {"callback_id": _TEXT},
    "message_action": {"callback_id": _TEXT, "message": _OBJECT},
    "view_submission": {"view": _OBJECT},
    "view_closed": {"view": _OBJECT},
    "block_suggestion": {"action_id": _TEXT, "block_id": _TEXT},
    "dialog_submission": {"callback_id": _TEXT},
    "dialog_cancellation": {"callback_id": _TEXT},
    "dialog_suggestion": {"callback_id": _TEXT},
    "workflow_step_edit": {"callback_id": _TEXT},
}

#: Fields that may be absent, but when present must have these types.
OPTIONAL: dict[str, tuple[type, ...]] = {
    "user": _PARTY, "team": _PARTY, "channel": _PARTY, "enterprise": _PARTY,
    "team_id": (str, type(None)), "enterprise_id": (str, type(None)),
    "authorizations": (list,), "container": _OBJECT, "state": _OBJECT, "view": _OBJECT,
    "message": _OBJECT, "trigger_id": _TEXT, "response_url": _TEXT, "event_id": _TEXT,
}


class MalformedPayload(ValueError):
    """A body no Slack payload looks like; the message says what is wrong, not what it held."""


def read_payload(body: bytes, content_type: str) -> dict:
    """The payload as a dict with a string ``type``; raise :class:`MalformedPayload` if not.

    Slash commands (a plain form) get ``type`` ``"command"``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPayload("the body is not UTF-8") from None
    payload = _json(text) if content_type.startswith("application/json") else _form(text)
    check_shape(payload)
    return payload


def _form(text: str) -> dict:
    try:
        form = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise MalformedPayload(f"a form with more than {MAX_FIELDS} fields") from None
    if "payload" in form:
        return _json(form["payload"][0])
    if "command" in form:
        return {"type": "command", **{key: values[0] for key, values in form.items()}}
    if "ssl_check" in form:
        return {"type": "ssl_check"}
    raise MalformedPayload("a form with neither a command nor a payload")


def _json(text: str) -> object:
    try:
        data = json.loads(text)
    except RecursionError:
        raise MalformedPayload("JSON nested too deeply") from None
    except ValueError:
        raise MalformedPayload("not JSON") from None
    if _depth(data) > MAX_DEPTH:
        raise MalformedPayload(f"JSON nested more than {MAX_DEPTH} levels")
    return data


def _depth(data: object) -> int:
    """How deeply lists and objects nest in ``data``, without recursing."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def check_shape(payload: object) -> None:
    """Raise :class:`MalformedPayload` unless the fields Bolt relies on have the right types."""
    if not isinstance(payload, dict):
        raise MalformedPayload("the payload is not an object")
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        raise MalformedPayload("the payload has no type")
    for name, types in REQUIRED.get(kind, {}).items():
        if not isinstance(payload.get(name), types):
            raise MalformedPayload(f"{kind}: field {name!r} is missing or of the wrong type")
    for name, types in OPTIONAL.items():
        if name in payload and not isinstance(payload[name], types):
            raise MalformedPayload(f"{kind}: field {name!r} is of the wrong type")
    _check_nested(kind, payload)


def _check_nested(kind: str, payload: dict) -> None:
    event = payload.get("event")
    if kind == "event_callback" and not isinstance(event.get("type"), str):
        raise MalformedPayload("event_callback: the event has no type")
    view = payload.get("view")
    if kind in ("view_submission", "view_closed") and not (
        isinstance(view.get("type"), str) and isinstance(view.get("callback_id"), str)
    ):
        raise MalformedPayload(f"{kind}: the view has no type or callback_id")
    actions = payload.get("actions", [])
    if not all(isinstance(action, dict) for action in actions):
        raise MalformedPayload(f"{kind}: actions are not a list of objects")
    if kind == "block_actions" and not (
        actions and all(isinstance(action.get("action_id"), str) for action in actions)
    ):
        raise MalformedPayload("block_actions: an action without an action_id")
    if not all(isinstance(item, dict) for item in payload.get("authorizations", [])):
        raise MalformedPayload(f"{kind}: authorizations are not a list of objects")
