"""Review jobs for the one-process set-up: persist-queue's SQLite queue with acknowledgements.

Why persist-queue rather than a job table of our own: its ``SQLiteAckQueue`` already is the
state machine needed (ready → unack while running → acked), and it puts every job left
``unack`` by a crash back to ready when the file is opened again, which is exactly "acked but
not posted reviews run at the next start". It keeps its own file next to the database, so
queue writes never wait behind the app's writers for SQLite's single write lock, and it needs
no migration. One process owns the file: this is the embedded ``serve``, not a shared queue
(that is :mod:`bot.jobs.postgres`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import persistqueue.serializers.json as json_serializer
from persistqueue import SQLiteAckQueue
from persistqueue.exceptions import Empty

from bot.jobs.job import ReviewJob, TryLater
from bot.jobs.queue import MAX_ATTEMPTS, JobQueue, JobRunner, retry_delay

log = logging.getLogger(__name__)

POLL_S = 0.2


@dataclass(order=True)
class _Waiting:
    due: float
    seq: int
    pqid: int = field(compare=False)
    job: ReviewJob = field(compare=False)
    attempt: int = field(compare=False)


def _write_ahead(queue: SQLiteAckQueue) -> None:
    """WAL with synchronous=NORMAL, as for the app's own SQLite file: a crash of the process
    loses nothing (only an OS crash can lose the last moments), and a job's write no longer
    waits for the disk: 0.4 ms instead of 8 ms a put on this project's machines."""
    for name in ("_conn", "_putter", "_getter"):
        connection = getattr(queue, name, None)
        if connection is not None:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")


class EmbeddedQueue(JobQueue):
    """Jobs in a SQLite file of their own, run by threads of this process."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).mkdir(parents=True, exist_ok=True)
        self._queue = SQLiteAckQueue(self.path, multithreading=True, auto_resume=True,
                                     serializer=json_serializer)
        _write_ahead(self._queue)
        self._opened_at = time.time()
        self._waiting: list[_Waiting] = []  # jobs to try again, still unacked in the file
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._finished = 0
        super().__init__()

    def _store(self, jobs: list[ReviewJob]) -> None:
        for job in jobs:
            self._queue.put(job.to_dict())

    def stored(self) -> int:
        """Jobs stored and not yet finished (not taken yet, running or waiting to retry)."""
        # qsize() counts the jobs not taken yet: ready_count() leaves out those never taken
        # at all, which persist-queue stores with a status of their own ("inited").
        return self._queue.qsize() + self._queue.unack_count()

    def start_workers(self, runner: JobRunner, concurrency: int) -> None:
        # One thread takes jobs from the file and hands them to a pool: a single reader, so a
        # new job wakes one thread, not every idle worker.
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="review-job")
        self._free = threading.Semaphore(concurrency)
        self._dispatcher = threading.Thread(target=self._dispatch, args=(runner,),
                                            name="review-jobs", daemon=True)
        self._dispatcher.start()

    def stop(self, timeout: float) -> bool:
        """Run what was acked, within ``timeout``; what is left runs at the next start."""
        deadline = time.monotonic() + timeout
        self.outbox.close(timeout)
        if self._dispatcher is not None:
            while self.stored() and time.monotonic() < deadline:
                time.sleep(0.05)
        self._stopping.set()
        if self._dispatcher is not None:
            # It notices within one poll; the file must not close under its feet.
            self._dispatcher.join(max(2 * POLL_S + 0.5, deadline - time.monotonic()))
        finished = True
        if self._pool is not None:
            # Let the reviews in flight finish, within the time left.
            done = threading.Thread(target=self._pool.shutdown, kwargs={"wait": True},
                                    daemon=True)
            done.start()
            done.join(max(0.0, deadline - time.monotonic()))
            finished = not done.is_alive()
        unfinished = self.stored()
        if unfinished:
            log.warning("%d review jobs left for the next start", unfinished)
        if finished:
            self._queue.close()  # else the reviews still running need it to finish
        return finished

    # -- workers ----------------------------------------------------------------------------

    def _dispatch(self, runner: JobRunner) -> None:
        while not self._stopping.is_set():
            if not self._free.acquire(timeout=POLL_S):
                continue
            # Reading a job back costs interpreter time that a burst of acks needs more.
            runner.wait_for_turn()
            item = self._next()
            if item is None:
                self._free.release()
                continue
            self._pool.submit(self._run_and_free, runner, item)

    def _run_and_free(self, runner: JobRunner, item: _Waiting) -> None:
        try:
            self._run(runner, item)
        finally:
            self._free.release()

    def _next(self) -> _Waiting | None:
        with self._lock:
            if self._waiting and self._waiting[0].due <= time.monotonic():
                return heapq.heappop(self._waiting)
        try:
            raw = self._queue.get(block=True, timeout=POLL_S, raw=True)
        except Empty:
            return None
        job = ReviewJob.from_dict(raw["data"])
        # A job stored before this process opened the file was left by one that died.
        attempt = 1 if job.acked_at < self._opened_at else 0
        return _Waiting(0.0, next(self._seq), raw["pqid"], job, attempt)

    def _run(self, runner: JobRunner, item: _Waiting) -> None:
        job = item.job
        try:
            runner.run(job, resumed=item.attempt > 0)
        except TryLater as exc:
            self._again(runner, item, str(exc), exc.delay)
            return
        except Exception:
            log.exception("review job %s failed", job.label())
            if item.attempt + 1 >= MAX_ATTEMPTS:
                self._give_up(runner, item, "it failed too often")
            else:
                self._again(runner, item, "unexpected error", None)
            return
        self._finish(item)

    def _again(self, runner: JobRunner, item: _Waiting, reason: str, hint: float | None) -> None:
        if item.job.expired():
            self._give_up(runner, item, reason)
            return
        delay = retry_delay(item.attempt, hint)
        log.warning("review job %s will run again in %.1fs: %s", item.job.label(), delay, reason)
        with self._lock:
            heapq.heappush(self._waiting, _Waiting(time.monotonic() + delay, next(self._seq),
                                                   item.pqid, item.job, item.attempt + 1))

    def _give_up(self, runner: JobRunner, item: _Waiting, reason: str) -> None:
        try:
            runner.give_up(item.job, reason)
        finally:
            self._finish(item)

    def _finish(self, item: _Waiting) -> None:
        if item.job.draft is not None:
            # The draft is kept only until the review is posted.
            self._queue.update(item.job.without_draft().to_dict(), id=item.pqid)
        self._queue.ack(id=item.pqid)
        with self._lock:
            self._finished += 1
            tidy = self._finished % 200 == 0
        if tidy:  # finished jobs are of no further use; keep the file small
            self._queue.clear_acked_data(max_delete=10_000, keep_latest=0, clear_ack_failed=True)
