"""Log lines that leak nothing: a ``response_url`` lets anyone post as the app for 30 minutes.

slack_sdk logs the full URL of a webhook request it retries (at INFO), and Bolt and slack_sdk
log whole request bodies at DEBUG. :func:`hide_response_urls` puts a filter on the handlers
that replaces every URL except Web API method URLs, and keeps Slack's loggers at INFO or
quieter so that message bodies (drafts and rewrites) are never written.

procrastinate (the PostgreSQL job queue) writes a job's arguments into its log lines ("Starting
job tone_coach.review[12](job={...})"), and a slash command's job carries its draft:
:class:`HideJobArguments` cuts them out of every line it writes.
"""

from __future__ import annotations

import logging
import re

_URL = re.compile(r"https?://[^\s'\"<>]+")
_HIDDEN = "<url hidden>"


def hide_urls(text: str) -> str:
    """``text`` with every URL but Web API method URLs (``…/api/chat.postMessage``) hidden."""
    return _URL.sub(lambda m: m.group(0) if "/api/" in m.group(0) else _HIDDEN, text)


class HideResponseUrls(logging.Filter):
    """Rewrites a record's message (and traceback) with its URLs hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself, unfiltered
            return True
        if "://" in message:
            record.msg, record.args = hide_urls(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and "://" in record.exc_text:
            record.exc_text = hide_urls(record.exc_text)
        return True


_JOB_ARGUMENTS = "(job="
_JOB_HIDDEN = "(job arguments hidden)"


class HideJobArguments(logging.Filter):
    """Rewrites procrastinate's lines so that they stop where a job's arguments begin."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("procrastinate"):
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if _JOB_ARGUMENTS in message:
            head = message.split(_JOB_ARGUMENTS, 1)[0]
            record.msg, record.args = f"{head}{_JOB_HIDDEN}", ()
        return True


def hide_response_urls(root: logging.Logger | None = None) -> None:
    """Filter every handler of ``root`` (the root logger) and quiet Slack's own loggers."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        for kind in (HideJobArguments, HideResponseUrls):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())
    for name in ("slack_sdk", "slack_bolt"):
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)
