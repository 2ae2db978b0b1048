"""Review statistics written behind the review, in batches, off the reviews' own threads.

A review's row (metadata only) is needed by App Home, the digest and the vote buttons, but
not by the person waiting for the review. So the review flow hands the row over here, with an
id it made (:func:`bot.storage.reviews.new_review_id`), and posts at once. One thread writes
what has gathered in one transaction. During a burst that is one commit for dozens of
reviews instead of a transaction each, and no review waits on the database before it is
posted.

While the database is unreachable the rows wait in memory (up to ``limit``; beyond it the
oldest are dropped, with a warning). :meth:`ReviewRecorder.flush` writes what is waiting;
the composition root closes the recorder at shutdown, after the last review. A ``kill -9``
loses the rows of the last moment: statistics only, never a review.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.storage.database import utc
from bot.storage.records import ReviewRecord
from bot.storage.reviews import ReviewRepository, new_review_id

log = logging.getLogger(__name__)

#: Rows written in one transaction at most.
BATCH = 500
#: How long the first row of a batch waits for others.
GATHER_S = 0.1


class ReviewRecorder:
    """Queues review rows and writes them in batches on a thread of its own."""

    def __init__(self, reviews: ReviewRepository, *, limit: int = 50_000,
                 gather_s: float = GATHER_S) -> None:
        self.reviews = reviews
        self.limit = limit
        self.gather_s = gather_s
        self._hurry = 0  # callers of flush() waiting: write without gathering
        self._waiting: deque[tuple[int, ReviewRecord, datetime]] = deque()
        self._writing = 0  # rows taken by the writer and not yet committed
        self._changed = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def add(self, record: ReviewRecord, *, now: datetime | None = None) -> int:
        """Queue ``record``; return the id its row will have (for the vote buttons)."""
        row = (new_review_id(), record, utc(now))
        with self._changed:
            if not self._closed:
                self._start()
                if len(self._waiting) >= self.limit:
                    self._waiting.popleft()
                    log.warning("dropped a review's statistics: %d rows wait for the database",
                                self.limit)
                self._waiting.append(row)
                self._changed.notify_all()
                return row[0]
        self.reviews.record_many([row])  # after shutdown began: nobody would write it later
        return row[0]

    def pending(self) -> int:
        """Rows not yet written."""
        with self._changed:
            return len(self._waiting) + self._writing

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row queued so far is written; False if ``timeout`` came first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._hurry += 1
            self._changed.notify_all()
            try:
                while self._waiting or self._writing:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._thread is None:
                        return False
                    self._changed.wait(left)
            finally:
                self._hurry -= 1
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is waiting (within ``timeout``), then stop; True if nothing was left."""
        written = self.flush(timeout)
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(1.0)
        rest: list[tuple[int, ReviewRecord, datetime]] = []
        with self._changed:
            if not (self._thread and self._thread.is_alive()):  # else it still owns them
                rest = list(self._waiting)
                self._waiting.clear()
        if written and rest:  # added after the flush: the thread is gone, write them here
            try:
                self._write(rest)
                rest = []
            except Exception as exc:
                log.warning("could not write reviews' statistics at shutdown (%s)",
                            type(exc).__name__)
        left = len(rest) if written else max(len(rest), self.pending())
        if left:
            log.warning("%d reviews' statistics were not written before shutdown", left)
        return not left

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_forever, name="review-recorder",
                                            daemon=True)
            self._thread.start()

    def _write_forever(self) -> None:
        failures = 0
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                # Let a burst gather: one transaction for its rows costs a fraction of the
                # CPU and round trips of one per row, and nobody waits for them.
                gather_until = time.monotonic() + self.gather_s
                while (not self._closed and not self._hurry and len(self._waiting) < BATCH
                       and (left := gather_until - time.monotonic()) > 0):
                    self._changed.wait(left)
                if self._closed:
                    return
                batch = [self._waiting.popleft()
                         for _ in range(min(BATCH, len(self._waiting)))]
                self._writing = len(batch)
            try:
                self._write(batch)
            except Exception as exc:  # the database is away: put them back, wait, try again
                with self._changed:
                    self._waiting.extendleft(reversed(batch))
                    self._writing = 0
                    self._changed.notify_all()
                if failures == 0:
                    log.warning("cannot write reviews' statistics (%s); %d wait in memory",
                                type(exc).__name__, len(self._waiting))
                failures += 1
                time.sleep(min(2.0, 0.1 * 2**min(failures, 5)))
                continue
            if failures:
                log.warning("reviews' statistics are written again after %d failed tries",
                            failures)
                failures = 0
            with self._changed:
                self._writing = 0
                self._changed.notify_all()

    def _write(self, batch: list[tuple[int, ReviewRecord, datetime]]) -> None:
        try:
            self.reviews.record_many(batch)
        except IntegrityError:
            # One row the database refuses (an id taken twice) must not hold back the rest.
            for row in batch:
                try:
                    self.reviews.record_many([row])
                except IntegrityError as exc:
                    log.warning("dropped a review's statistics the database refused: %s",
                                type(exc.orig).__name__)
