"""Thread pools whose threads are all running before the first request arrives, and that
can be drained: wait for the work in flight, then stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


def started_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """A thread pool with every thread already running.

    ThreadPoolExecutor starts threads one by one as work arrives, and whoever hands over the
    work waits for each start: the first burst of drafts would pay for it in ack latency.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    everyone_started = threading.Barrier(workers)
    for _ in range(workers):
        pool.submit(everyone_started.wait, timeout=30)
    return pool


class WorkPool:
    """A started pool that counts the work in flight, so that shutdown can wait for it."""

    def __init__(self, workers: int, name: str) -> None:
        self.name = name
        self._pool = started_pool(workers, name)
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def in_flight(self) -> int:
        with self._idle:
            return self._in_flight

    def submit(self, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work(*args)``; an exception is logged (the pool would swallow it)."""
        with self._idle:
            self._in_flight += 1
        try:
            self._pool.submit(self._run, work, *args)
        except RuntimeError:  # shut down already
            self._done()
            raise

    def _run(self, work: Callable[..., Any], *args: Any) -> None:
        try:
            work(*args)
        except Exception:
            log.exception("background work %s failed", getattr(work, "__name__", work))
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the work in flight; True if all of it finished."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def shutdown(self) -> None:
        """Stop the threads; work not yet started is dropped (drain first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
