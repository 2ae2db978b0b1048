"""Review jobs for the one-process set-up: persist-queue's SQLite queue with acknowledgements.

Why persist-queue rather than a job table of our own: its ``SQLiteAckQueue`` already is the
state machine needed (ready → unack while running → acked), and it puts every job left
``unack`` by a crash back to ready when the file is opened again, which is exactly "acked but
not posted reviews run at the next start". It keeps its own file next to the database, so
queue writes never wait behind the app's writers for SQLite's single write lock, and it needs
no migration. One process owns the file: this is the embedded ``serve``, not a shared queue
(that is :mod:`bot.jobs.postgres`).

The file is the durable record; it is read back only for what an earlier process left. A job
this process stores is handed to its workers in memory as soon as it is written, so a burst of
drafts costs no second trip through SQLite (and no reading while acks are waiting). Its row
stays in the file, untaken, until the job is finished: a crash leaves it for the next start.
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
        # Jobs to run, by when: those stored by this process, left-overs, retries.
        self._waiting: list[_Waiting] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._in_memory: set[int] = set()  # rows handed over in memory, not to read back
        self._handing_over = False  # True once workers run: new jobs go to them in memory
        self._unfinished = self._queue.qsize() + self._queue.unack_count()
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._finished = 0
        super().__init__()

    def _store(self, jobs: list[ReviewJob]) -> None:
        with self._changed:
            for job in jobs:
                pqid = self._queue.put(job.to_dict())
                self._unfinished += 1
                if self._handing_over:
                    self._in_memory.add(pqid)
                    heapq.heappush(self._waiting, _Waiting(0.0, next(self._seq), pqid, job, 0))
            self._changed.notify()

    def stored(self) -> int:
        """Jobs stored and not yet finished (not started, running or waiting to retry)."""
        with self._lock:
            return self._unfinished

    def start_workers(self, runner: JobRunner, concurrency: int) -> None:
        # One thread hands jobs to a pool: a new job wakes one thread, not every idle worker.
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="review-job")
        self._free = threading.Semaphore(concurrency)
        with self._lock:
            self._handing_over = True
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
        self._take_left_overs()
        while not self._stopping.is_set():
            if not self._free.acquire(timeout=POLL_S):
                continue
            item = self._next()
            if item is None:
                self._free.release()
                continue
            # A review started now would take interpreter time from acks still waiting.
            runner.wait_for_turn()
            self._pool.submit(self._run_and_free, runner, item)

    def _run_and_free(self, runner: JobRunner, item: _Waiting) -> None:
        try:
            self._run(runner, item)
        finally:
            self._free.release()

    def _take_left_overs(self) -> None:
        """Read back the jobs stored before the workers started (by an earlier process that
        died or stopped, or by this one), skipping those already handed over in memory."""
        while not self._stopping.is_set():
            try:
                raw = self._queue.get(block=False, raw=True)
            except Empty:
                return
            with self._changed:
                if raw["pqid"] in self._in_memory:
                    continue  # now "unack" in the file; acked when its run finishes
                job = ReviewJob.from_dict(raw["data"])
                # A job stored before this process opened the file was left by one that died.
                attempt = 1 if job.acked_at < self._opened_at else 0
                heapq.heappush(self._waiting,
                               _Waiting(0.0, next(self._seq), raw["pqid"], job, attempt))
                self._changed.notify()

    def _next(self) -> _Waiting | None:
        """The next job that is due, waiting up to one poll for one."""
        with self._changed:
            if not self._waiting or self._waiting[0].due > time.monotonic():
                wait = self._waiting[0].due - time.monotonic() if self._waiting else POLL_S
                self._changed.wait(min(POLL_S, max(0.0, wait)))
            if self._waiting and self._waiting[0].due <= time.monotonic():
                return heapq.heappop(self._waiting)
        return None

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
        with self._changed:
            heapq.heappush(self._waiting, _Waiting(time.monotonic() + delay, next(self._seq),
                                                   item.pqid, item.job, item.attempt + 1))
            self._changed.notify()

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
            self._in_memory.discard(item.pqid)
            self._unfinished -= 1
            self._finished += 1
            tidy = self._finished % 200 == 0
        if tidy:  # finished jobs are of no further use; keep the file small
            self._queue.clear_acked_data(max_delete=10_000, keep_latest=0, clear_ack_failed=True)
