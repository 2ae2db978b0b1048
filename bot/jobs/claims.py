"""Which Slack deliveries have been answered: claimed when the review is posted, not before.

A delivery is marked done only once its review reached Slack, so a request whose earlier try
never posted (the process died, Slack failed) is reviewed again, and one that posted is skipped.
The database holds the claims for every process; a set in memory holds them too, so that while
the database is unreachable a repeated delivery is still recognised, and claims that could not
be written are written once it is back.
"""

from __future__ import annotations

import logging
import threading

from cachetools import TTLCache

from bot.storage import Storage

log = logging.getLogger(__name__)

#: Slack retries for minutes, not days; the database keeps claims for two days anyway.
MEMORY_TTL_S = 6 * 3600


class DeliveryClaims:
    """Done-marks for deliveries, in the database and in this process's memory."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._done: TTLCache[str, bool] = TTLCache(maxsize=200_000, ttl=MEMORY_TTL_S)
        self._in_flight: set[str] = set()
        self._unwritten: set[str] = set()
        self._writing_backlog = False
        self._lock = threading.Lock()

    def begin(self, key: str) -> bool:
        """True if this process may work on ``key`` now (nobody here is on it already)."""
        with self._lock:
            if key in self._in_flight:
                return False
            self._in_flight.add(key)
            return True

    def end(self, key: str) -> None:
        with self._lock:
            self._in_flight.discard(key)

    def done(self, key: str) -> bool:
        """True when this delivery's review was posted (here, or by any process)."""
        with self._lock:
            if key in self._done:
                return True
        try:
            return self.storage.deliveries.done(key)
        except Exception as exc:  # the database is away: memory covers the gap
            log.warning("cannot read delivery claims (%s); going by memory", type(exc).__name__)
            return False

    def mark_done(self, key: str) -> None:
        """Record that the review for ``key`` was posted; never raises."""
        with self._lock:
            self._done[key] = True
        try:
            self.storage.deliveries.claim(key)
        except Exception as exc:
            with self._lock:
                self._unwritten.add(key)
                waiting = len(self._unwritten)
            log.warning("cannot write %d delivery claims yet (%s); kept in memory",
                        waiting, type(exc).__name__)
            return
        self._write_backlog()

    def _write_backlog(self) -> None:
        """Claims kept in memory during an outage, written once the database answers again:
        by one thread, each once (a burst of reviews must not write them all many times)."""
        with self._lock:
            if not self._unwritten or self._writing_backlog:
                return
            self._writing_backlog = True
            keys = sorted(self._unwritten)
        try:
            for pending in keys:
                try:
                    self.storage.deliveries.claim(pending)
                except Exception as exc:
                    log.warning("cannot write %d delivery claims yet (%s); kept in memory",
                                len(keys), type(exc).__name__)
                    return
                with self._lock:
                    self._unwritten.discard(pending)
        finally:
            with self._lock:
                self._writing_backlog = False
