"""What every job backend offers, and the hand-off that keeps the database off the ack path.

The web process acknowledges Slack first, then calls :meth:`JobQueue.defer`. ``defer`` only
appends to an in-memory outbox; one thread moves jobs from there into the durable queue. While
the database is unreachable the jobs wait in the outbox (with a warning in the log) and go in
when it is back, so neither an ack nor a listener thread ever waits for the database.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache

from bot.jobs.job import ReviewJob

log = logging.getLogger(__name__)

#: A redelivered request inside this window is the same request: it is not queued twice.
RECENT_KEYS_S = 10 * 60
#: Jobs that fail unexpectedly (a bug, not a fault outside) stop being retried after this.
MAX_ATTEMPTS = 12


class JobRunner(Protocol):
    """Runs one job; raises :class:`bot.jobs.job.TryLater` when it should run again later."""

    def run(self, job: ReviewJob, *, resumed: bool) -> None: ...

    def give_up(self, job: ReviewJob, reason: str) -> None: ...

    def wait_for_turn(self) -> None:
        """Block while the process has more urgent work than starting a job (answering a
        burst of requests)."""


def retry_delay(attempt: int, hint: float | None = None, longest: float = 60.0) -> float:
    """Seconds before attempt ``attempt + 1``: the hint if given, else jittered doubling."""
    if hint is not None:
        return min(hint, longest)
    return min(longest, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)


class Outbox:
    """Deferred jobs on their way into durable storage, in order, surviving its outages."""

    #: Jobs written in one go: one commit (one disk flush) for a whole burst.
    BATCH = 500

    def __init__(self, store: Callable[[list[ReviewJob]], None],
                 name: str = "job-outbox") -> None:
        self._store = store
        self._jobs: deque[ReviewJob] = deque()
        self._ready = threading.Condition()
        self._stopping = False
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=200_000, ttl=RECENT_KEYS_S)
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    def put(self, job: ReviewJob) -> bool:
        """Queue ``job`` unless a job for the same delivery was queued lately; True if queued."""
        with self._ready:
            if job.key in self._recent:
                log.info("not queueing a repeated delivery %s", job.key)
                return False
            self._recent[job.key] = True
            self._jobs.append(job)
            self._ready.notify()
            return True

    def pending(self) -> int:
        with self._ready:
            return len(self._jobs)

    def _drain(self) -> None:
        failures = 0
        while True:
            with self._ready:
                while not self._jobs and not self._stopping:
                    self._ready.wait()
                if not self._jobs:
                    return
                batch = [self._jobs[i] for i in range(min(len(self._jobs), self.BATCH))]
            try:
                self._store(batch)
            except Exception as exc:  # the database is away: keep the job, try again
                if failures == 0:
                    log.warning("cannot store review jobs (%s); %d waiting in memory",
                                type(exc).__name__, self.pending())
                failures += 1
                with self._ready:
                    if self._stopping:
                        log.warning("%d review jobs were never stored: %s", len(self._jobs),
                                    ", ".join(j.label() for j in self._jobs))
                        return
                    self._ready.wait(retry_delay(min(failures, 4), longest=2.0))
                continue
            if failures:
                log.warning("review jobs are being stored again after %d failed tries", failures)
                failures = 0
            with self._ready:
                for _ in batch:
                    self._jobs.popleft()
                self._ready.notify_all()

    def close(self, timeout: float) -> None:
        """Store what is waiting (for up to ``timeout`` seconds), then stop the thread."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._jobs and (left := deadline - time.monotonic()) > 0:
                self._ready.wait(left)
            self._stopping = True
            self._ready.notify_all()
        self._thread.join(max(0.0, deadline - time.monotonic()) + 0.5)


class JobQueue(ABC):
    """Review jobs that survive restarts; see :mod:`bot.jobs.embedded` and
    :mod:`bot.jobs.postgres`."""

    def __init__(self) -> None:
        self.outbox = Outbox(self._store)

    def defer(self, job: ReviewJob) -> bool:
        """Hand ``job`` over without waiting for any database; False for a repeated delivery."""
        return self.outbox.put(job)

    @abstractmethod
    def _store(self, jobs: list[ReviewJob]) -> None:
        """Write ``jobs`` to durable storage, all or none (called from the outbox thread)."""

    @abstractmethod
    def start_workers(self, runner: JobRunner, concurrency: int) -> None:
        """Start running jobs, ``concurrency`` at a time, in this process."""

    @abstractmethod
    def stop(self, timeout: float) -> bool:
        """Stop taking jobs; let running ones finish within ``timeout`` seconds; True if they
        all did. Jobs not finished stay stored and run at the next start."""
