"""Acknowledge first, review second.

Slack wants an answer to every request within 3 seconds, while a review can start a few
milliseconds later without anyone noticing. All of them share one interpreter lock, so when a
burst of drafts arrives, the reviews already started slow down the acks still waiting. Reviews
therefore hold back while requests are being answered, for a short, bounded time.
"""

from __future__ import annotations

import threading


class AckFirst:
    """Counts requests in flight; review work waits (briefly) until there are none."""

    def __init__(self, max_wait: float = 0.2) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._quiet = threading.Condition()

    def request_started(self) -> None:
        with self._quiet:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._quiet:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._quiet.notify_all()

    def wait_for_quiet(self) -> None:
        """Return once no request is being answered, or after ``max_wait`` seconds."""
        with self._quiet:
            self._quiet.wait_for(lambda: self._in_flight == 0, timeout=self.max_wait)
