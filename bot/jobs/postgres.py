"""Review jobs on PostgreSQL, with procrastinate, in the app's own database.

The web process defers (through the outbox, so never on the ack path); workers, in
``tone-coach worker`` processes on any machine or inside ``serve``, run them. Every worker
sends a heartbeat; a job whose worker stopped beating (``kill -9``, a lost machine) is put back
in the queue by any live worker and runs again, with ``resumed`` set so the review reuses what
the interrupted try already posted. Jobs with the same Slack delivery share a procrastinate
``lock``, so two workers never review one request at the same time. Finished jobs are deleted
at once: a slash command's draft is kept only until its review is posted.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import URL

from bot.jobs.job import ReviewJob, TryLater
from bot.jobs.queue import MAX_ATTEMPTS, JobQueue, JobRunner, retry_delay

log = logging.getLogger(__name__)

TASK = "tone_coach.review"
QUEUE = "reviews"
HEARTBEAT_S = 2.0
#: A worker silent for this long is taken for dead, and its jobs run elsewhere.
STALLED_AFTER_S = 10.0
#: procrastinate wakes on PostgreSQL's NOTIFY, but a worker that was busy fetching when the
#: notice came (another worker took that job) clears it and would sleep until its next poll,
#: 5 s by default; a job retried later gets no notice at all. Polling this often costs one
#: indexed query per worker per half second and keeps both waits short.
FETCH_POLL_S = 0.5
STATEMENT_TIMEOUT_MS = 5_000
#: Jobs go in through procrastinate's own deferring function, as one JSON parameter: psycopg
#: writes procrastinate's array of composite values as text, escaping every field with a
#: regular expression, which cost 0.3 ms of CPU per job in the web process (0.03 ms this way,
#: in batches of 50), while the requests of the same burst waited for the interpreter lock.
DEFER_JOBS = """
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(%(queue)s, %(task)s, 0, job->>'lock', NULL, job->'args', NULL)
           ::procrastinate_job_to_defer_v1
    FROM jsonb_array_elements(%(jobs)s::jsonb) WITH ORDINALITY AS batch(job, position)
    ORDER BY position))) AS id
"""
# An advisory lock key of our own for applying procrastinate's schema ("tcjobs").
SCHEMA_LOCK_KEY = 0x74636A6F6273


def conninfo(url: URL) -> tuple[str, dict[str, Any]]:
    """libpq connection string and keyword arguments for the app's ``DATABASE_URL``; a URL's
    own ``options`` (such as a search_path) are kept and a statement timeout is added."""
    options = " ".join(filter(None, [url.query.get("options"),
                                     f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"]))
    bare = url.set(drivername="postgresql").difference_update_query(["options"])
    return bare.render_as_string(hide_password=False), {"options": options}


def apply_schema(url: URL) -> bool:
    """Create procrastinate's tables unless they exist; True if it did. Safe when several
    processes start at once (they wait on one advisory lock)."""
    dsn, kwargs = conninfo(url)
    with psycopg.connect(dsn, **kwargs, connect_timeout=10) as connection:
        connection.execute("SET statement_timeout = 0")
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
        row = connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row and row[0]:
            return False
        from procrastinate.schema import SchemaManager

        connection.execute(SchemaManager.get_schema())
        return True


class _Backoff(BaseRetryStrategy):
    """Retry a review with growing waits (or the wait it asked for) until it is too late."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= MAX_ATTEMPTS and not isinstance(exception, TryLater):
            return None
        hint = exception.delay if isinstance(exception, TryLater) else None
        return RetryDecision(retry_in={"seconds": retry_delay(job.attempts, hint)})


class PostgresQueue(JobQueue):
    """Review jobs in procrastinate's tables, beside the app's own."""

    def __init__(self, url: URL) -> None:
        self.url = url
        apply_schema(url)
        dsn, kwargs = conninfo(url)
        self._deferrer = App(connector=PsycopgConnector(conninfo=dsn, kwargs=kwargs))
        self._deferrer.open()
        self._worker_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_worker: asyncio.Event | None = None
        super().__init__()

    def _store(self, jobs: list[ReviewJob]) -> None:
        # One statement and one commit for the batch: each commit waits for the disk. Jobs
        # with the same delivery share a lock, so two workers never run them at once.
        batch = json.dumps([{"lock": job.key, "args": {"job": job.to_dict()}} for job in jobs])
        self._deferrer.connector.get_sync_connector().execute_query_all(
            DEFER_JOBS, queue=QUEUE, task=TASK, jobs=batch)

    def start_workers(self, runner: JobRunner, concurrency: int) -> None:
        started = threading.Event()
        self._worker_thread = threading.Thread(
            target=lambda: asyncio.run(self.work(runner, concurrency, started)),
            name="review-jobs", daemon=True)
        self._worker_thread.start()
        started.wait(30)

    async def work(self, runner: JobRunner, concurrency: int,
                   started: threading.Event | None = None,
                   install_signal_handlers: bool = False) -> None:
        """Run jobs until :meth:`stop` (or SIGTERM, with ``install_signal_handlers``)."""
        loop = asyncio.get_running_loop()
        # procrastinate runs sync tasks on the loop's default executor: one thread per job.
        loop.set_default_executor(ThreadPoolExecutor(concurrency, "review-job"))
        self._loop, self._stop_worker = loop, asyncio.Event()
        dsn, kwargs = conninfo(self.url)
        # A job's status changes (doing, done) need not wait for the disk: if PostgreSQL
        # itself crashed and lost one, the job would run again, and the delivery claim
        # keeps a posted review from being posted twice.
        kwargs["options"] += " -c synchronous_commit=off"
        app = App(connector=PsycopgConnector(conninfo=dsn, kwargs=kwargs,
                                             pool_factory=_unchecked_pool))
        _register(app, runner)
        if started:
            started.set()
        while not self._stop_worker.is_set():
            try:
                async with app.open_async():
                    recovery = asyncio.create_task(_recover_stalled(app))
                    worker = asyncio.create_task(app.run_worker_async(
                        queues=[QUEUE], concurrency=concurrency, wait=True,
                        update_heartbeat_interval=HEARTBEAT_S,
                        fetch_job_polling_interval=FETCH_POLL_S,
                        stalled_worker_timeout=STALLED_AFTER_S, delete_jobs="always",
                        install_signal_handlers=install_signal_handlers,
                        shutdown_graceful_timeout=None))
                    stop = asyncio.create_task(self._stop_worker.wait())
                    await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
                    recovery.cancel()
                    if not worker.done():
                        worker.cancel()  # procrastinate finishes the running jobs first
                    await asyncio.gather(worker, return_exceptions=True)
                    if worker.cancelled() or self._stop_worker.is_set() or not worker.exception():
                        return
                    raise worker.exception()
            except Exception as exc:  # the database went away: wait, then work again
                log.warning("review worker lost the database (%s); trying again in 2s",
                            type(exc).__name__)
                await asyncio.sleep(2)

    def stop(self, timeout: float) -> bool:
        self.outbox.close(timeout)
        if self._loop and self._stop_worker and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop_worker.set)
        finished = True
        if self._worker_thread:
            self._worker_thread.join(timeout)
            finished = not self._worker_thread.is_alive()
        self._deferrer.close()
        return finished


def _unchecked_pool(**kwargs: Any) -> AsyncConnectionPool:
    """procrastinate's pool without its check on every checkout: the check is a round trip
    before every query (fetching, finishing, heartbeats), about 5% of a worker's time holding
    the interpreter lock in a burst (py-spy). A connection the database dropped fails its
    next query instead; the worker then stops, and :meth:`PostgresQueue.work` starts it again
    on fresh connections."""
    kwargs.pop("check", None)
    return AsyncConnectionPool(**kwargs)


def _register(app: App, runner: JobRunner) -> None:
    @app.task(name=TASK, queue=QUEUE, pass_context=True, retry=_Backoff())
    def review(context: JobContext, job: dict) -> None:
        review_job = ReviewJob.from_dict(job)
        attempts = context.job.attempts if context.job else 0
        try:
            runner.run(review_job, resumed=attempts > 0)
        except TryLater as exc:
            if review_job.expired():
                runner.give_up(review_job, str(exc))
                return
            log.warning("review job %s will run again: %s", review_job.label(), exc)
            raise
        except Exception:
            log.exception("review job %s failed", review_job.label())
            if attempts + 1 >= MAX_ATTEMPTS or review_job.expired():
                runner.give_up(review_job, "it failed too often")
                return
            raise


async def _recover_stalled(app: App) -> None:
    """Put back the jobs of workers that stopped sending heartbeats."""
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_S)
            for job in stalled:
                log.warning("review job %s of a stopped worker goes back to the queue", job.id)
                await app.job_manager.retry_job(job, retry_at=_now())
        except Exception as exc:
            log.warning("could not look for stalled review jobs: %s", type(exc).__name__)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
