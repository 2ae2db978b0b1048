"""Acknowledge first, review second.

Slack wants an answer to every request within 3 seconds, while a review can start a few
milliseconds later without anyone noticing. All of them share one interpreter lock, so when a
burst of drafts arrives, the reviews already started slow down the acks still waiting. Reviews
therefore hold back until requests have stopped arriving for a moment, for a bounded time.
"""

from __future__ import annotations

import threading
import time


class AckFirst:
    """Counts requests in flight; review work waits (briefly) until they have settled."""

    def __init__(self, max_wait: float = 0.2, settle: float = 0.02) -> None:
        self.max_wait = max_wait
        self.settle = settle  # a burst arrives over tens of milliseconds, not all at once
        self._in_flight = 0
        self._last_finished = 0.0
        self._quiet = threading.Condition()

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._quiet:
            return self._in_flight

    def request_started(self) -> None:
        with self._quiet:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._quiet:
            self._in_flight -= 1
            self._last_finished = time.monotonic()
            if self._in_flight == 0:
                self._quiet.notify_all()

    def wait_for_quiet(self) -> None:
        """Return once no request has been answered for ``settle`` seconds, or after
        ``max_wait`` seconds at most."""
        deadline = time.monotonic() + self.max_wait
        with self._quiet:
            while (now := time.monotonic()) < deadline:
                if self._in_flight == 0:
                    calm_for = now - self._last_finished
                    if calm_for >= self.settle:
                        return
                    self._quiet.wait(min(self.settle - calm_for, deadline - now))
                else:
                    self._quiet.wait(deadline - now)
