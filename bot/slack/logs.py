"""Log lines that leak nothing: a ``response_url`` lets anyone post as the app for 30 minutes.

slack_sdk logs the full URL of a webhook request it retries (at INFO), and Bolt and slack_sdk
log whole request bodies at DEBUG. :func:`hide_response_urls` puts a filter on the handlers
that replaces every URL except Web API method URLs, and keeps Slack's loggers at INFO or
quieter so that message bodies (drafts and rewrites) are never written.
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


def hide_response_urls(root: logging.Logger | None = None) -> None:
    """Filter every handler of ``root`` (the root logger) and quiet Slack's own loggers."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, HideResponseUrls) for f in handler.filters):
            handler.addFilter(HideResponseUrls())
    for name in ("slack_sdk", "slack_bolt"):
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)
