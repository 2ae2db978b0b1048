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
    """Counts requests in flight; review work waits (briefly) until they have settled.

    Only one waiting thread at a time watches the clock; the others queue on a lock, so a
    burst of requests wakes nobody: waking every waiting review whenever the count of
    requests fell to zero took the interpreter from the requests still being answered.
    """

    def __init__(self, max_wait: float = 0.2, settle: float = 0.02) -> None:
        self.max_wait = max_wait
        self.settle = settle  # a burst arrives over tens of milliseconds, not all at once
        self._in_flight = 0
        self._last_finished = 0.0
        self._counts = threading.Lock()
        self._watcher = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._counts:
            return self._in_flight

    def request_started(self) -> None:
        with self._counts:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._counts:
            self._in_flight -= 1
            self._last_finished = time.monotonic()

    def wait_for_quiet(self) -> None:
        """Return once no request has been answered for ``settle`` seconds, or after
        ``max_wait`` seconds at most."""
        deadline = time.monotonic() + self.max_wait
        if self._quiet_for() is None:
            return
        if not self._watcher.acquire(timeout=self.max_wait):
            return
        try:
            while (now := time.monotonic()) < deadline:
                pause = self._quiet_for()
                if pause is None:
                    return
                time.sleep(min(pause, deadline - now))
        finally:
            self._watcher.release()

    def _quiet_for(self) -> float | None:
        """None when it is quiet now, else how long to wait before looking again."""
        with self._counts:
            if self._in_flight:
                return self.settle / 2
            calm_for = time.monotonic() - self._last_finished
            return None if calm_for >= self.settle else self.settle - calm_for
