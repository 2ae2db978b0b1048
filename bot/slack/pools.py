"""Thread pools whose threads are all running before the first request arrives."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


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
