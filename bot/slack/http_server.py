"""The process server in front of the WSGI app: waitress, with limits set for a public edge.

Why waitress and not gunicorn with threads: waitress reads every request on one event loop and
hands it to a worker thread only once it is complete, so a client that sends its headers one
byte a minute costs a socket and no thread. gunicorn's ``gthread`` worker gives a connection a
thread as soon as its first bytes arrive; measured on loopback, 200 half-sent requests left
``/healthz`` unanswered for 10 s with 4 workers of 16 threads, while 60 did not. See
``bench/edge.py`` for the attack and the README for the figures.

Requests to ``/slack/events`` are checked as soon as their headers are in: a missing or stale
signature is refused there, before waitress buffers a byte of the body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import Error

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class EdgeLimits:
    """How much one process accepts at once, and for how long."""

    #: Open connections at once; more wait in the kernel's backlog.
    connections: int = 1000
    #: Seconds a connection may stay silent (half-sent headers included) before it is closed.
    idle_timeout: int = 10
    #: Largest request body, in bytes; larger ones get 413 from the headers alone.
    max_body: int = 1024 * 1024
    #: Largest request line plus headers, in bytes.
    max_headers: int = 64 * 1024


class _Unauthorized(Error):
    code = 401
    reason = "Unauthorized"


class _TooLarge(Error):
    code = 413
    reason = "Content Too Large"


def _parser_for(events_path: str, refusal) -> type[HTTPRequestParser]:  # noqa: ANN001
    class HeaderCheckedParser(HTTPRequestParser):
        """Refuses an unsigned or stale request to the events path once its headers are in."""

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.command != "POST" or self.path != events_path:
                return
            found = refusal(self.headers.get("X_SLACK_SIGNATURE", ""),
                            self.headers.get("X_SLACK_REQUEST_TIMESTAMP", ""),
                            str(self.content_length))
            if found:
                status, reason = found
                log.info("refused a request to %s from its headers: %s", events_path, reason)
                self.error = (_TooLarge if status.startswith("413") else _Unauthorized)(reason)
                self.completed = True

    return HeaderCheckedParser


def make_server(web_app, host: str, port: int, threads: int = 16,  # noqa: ANN001, ANN201
                limits: EdgeLimits | None = None, events_path: str | None = None,
                refusal=None):  # noqa: ANN001
    """A waitress server for ``web_app`` (``.run()`` to serve, ``.close()`` to stop).

    With ``events_path`` and ``refusal`` (``header_refusal`` from :mod:`bot.slack.server`),
    requests to that path are refused from their headers alone when ``refusal`` says so.
    """
    from waitress import create_server

    limits = limits or EdgeLimits()
    server = create_server(
        web_app, host=host, port=port, threads=threads, ident="tone-coach",
        connection_limit=limits.connections,
        channel_timeout=limits.idle_timeout,
        # How often idle connections are looked for; the default, 30 s, would let a
        # silent connection outlive its timeout threefold.
        cleanup_interval=max(1, limits.idle_timeout // 2),
        # waitress refuses when the length reaches the limit; a body of exactly max_body is fine.
        max_request_body_size=limits.max_body + 1,
        max_request_header_size=limits.max_headers,
        # select() cannot watch sockets numbered over 1024.
        asyncore_use_poll=True,
    )
    if events_path and refusal:
        parser = _parser_for(events_path, refusal)
        server.channel_class = type("HeaderCheckedChannel", (HTTPChannel,),
                                    {"parser_class": parser})
    return server
