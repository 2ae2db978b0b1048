"""The composition root: builds storage, coach, Slack app, pools and the tips ticker from
one :class:`~bot.settings.Settings`, starts them, and stops them in order.

``tone-coach serve`` and ``tone-coach socket`` run through :func:`serve` and
:func:`run_socket_mode`; the tests build a :class:`Runtime` the same way.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from bot.coaching.coach import Coach
from bot.jobs.queue import JobQueue
from bot.jobs.slots import set_aside
from bot.settings import ConfigError, Settings
from bot.slack.app import build_app
from bot.slack.clients import RetryPolicy
from bot.slack.http_server import EdgeLimits
from bot.slack.install_check import InstallCheck, SlackUnreachable, check_token
from bot.slack.logs import hide_response_urls
from bot.slack.pools import WorkPool
from bot.slack.server import MAX_BODY, WebApp, make_server, run_until
from bot.slack.services import Services
from bot.slack.tip_ticker import TipScheduler
from bot.storage import Storage

log = logging.getLogger(__name__)


class Runtime:
    """Owns everything that runs: storage, coach, the Bolt app, both pools and the ticker."""

    def __init__(
        self,
        settings: Settings,
        *,
        coach: Coach | None = None,
        storage: Storage | None = None,
        run_ticker: bool = True,
        slack_retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._coach = coach
        self._storage = storage
        self._owns_storage = storage is None
        self.run_ticker = run_ticker
        self.slack_retry = slack_retry  # how hard review posts try (tests: shorter waits)
        self.jobs: JobQueue | None = None
        self._runner = None
        self.services: Services | None = None
        self.app = None
        self.ticker: TipScheduler | None = None
        self.install_check: InstallCheck | None = None
        self._review_pool: WorkPool | None = None
        self._stopped = False

    def start(self) -> Runtime:
        """Open the database (applying migrations), load the coach, start pools and ticker.

        Raises ConfigError, StorageError or a data-file error (all one line) when it cannot.
        """
        settings = self.settings
        storage = self._storage or Storage(
            settings.database_url, retention_days=settings.retention_days
        )
        if self._owns_storage:
            storage.upgrade()
        coach = self._coach
        if coach is None:
            coach = Coach.build(
                settings.model_settings() if settings.uses_model else None,
                settings.guidelines_file,
                waiting=set_aside,
            )
            report_model_status(coach)
        self._review_pool = WorkPool(settings.workers, "review")
        self.services = Services(coach=coach, storage=storage, settings=settings,
                                 pool=self._review_pool)
        self.app = build_app(self.services)
        self.jobs = open_jobs(self.services)
        workers = settings.workers if settings.serve_workers is None else settings.serve_workers
        if workers:
            from bot.slack.review_jobs import ReviewJobRunner

            self._runner = ReviewJobRunner(self.services, policy=self.slack_retry)
            self.jobs.start_workers(self._runner, workers)
        if self.run_ticker:
            self.ticker = TipScheduler(self.services).start()
        return self

    def check_install(self, on_refused: Callable[[ConfigError], None]) -> None:
        """``auth.test`` once now; a refused token raises ConfigError at once, an unreachable
        Slack is retried with backoff in the background while the app already serves."""
        if self.settings.uses_oauth or self.services is None:
            return  # every workspace's token is checked by Slack's OAuth flow instead
        client = self.services.clients.default
        try:
            check_token(client)
        except SlackUnreachable as exc:
            log.warning("Slack's Web API cannot be reached (%s); retrying in the background", exc)
            self.install_check = InstallCheck(client, on_refused).start()

    def stop(self, drain_seconds: float | None = None) -> bool:
        """Finish the reviews in flight (up to ``drain_seconds``, default the setting), then
        stop the ticker and pools and close the database. True if every review finished."""
        if self._stopped:
            return True
        self._stopped = True
        drain = self.settings.drain_seconds if drain_seconds is None else drain_seconds
        drained = True
        if self.jobs is not None:
            # Reviews in flight finish; jobs not started stay stored for the next start.
            started = time.monotonic()
            if not self.jobs.stop(drain):
                drained = False
                if self._runner is not None:
                    self._runner.abandoned.set()  # what finishes now runs again next start
                if self.services is not None:
                    told = self.services.reviews.abandon_running()
                    log.warning("stopped with %d reviews unfinished; they run again at the "
                                "next start", told)
            drain = max(0.0, drain - (time.monotonic() - started))
        if self._review_pool is not None:
            started = time.monotonic()
            pool_drained = self._review_pool.drain(drain)
            log.info("drained background work in %.1f s (%s)", time.monotonic() - started,
                     "all finished" if pool_drained else "some still running")
            drained = drained and pool_drained
            if not pool_drained and self.services is not None:
                told = self.services.reviews.abandon_running()
                log.warning("stopped with %d reviews unfinished; their authors were told", told)
        if self.install_check is not None:
            self.install_check.stop()
        if self.ticker is not None:
            self.ticker.stop()
        if self._review_pool is not None and drained:
            self._review_pool.shutdown()
        if self._owns_storage and self.services is not None:
            self.services.storage.close()
        return drained

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def jobs_dir(settings: Settings, storage: Storage) -> Path:
    """Where the embedded job queue keeps its file: ``TONE_COACH_JOBS_DIR``, else beside the
    SQLite database (``tone_coach.db`` → ``tone_coach.db-jobs/``)."""
    if settings.jobs_dir:
        return Path(settings.jobs_dir)
    database = storage.engine.url.database
    if not database or database == ":memory:":
        return Path(tempfile.mkdtemp(prefix="tone-coach-jobs-"))
    return Path(database + "-jobs")


def open_jobs(services: Services) -> JobQueue:
    """The durable review-job queue for this database: procrastinate on PostgreSQL, a SQLite
    ack queue of its own otherwise. Sets ``services.jobs``."""
    storage = services.storage
    if storage.engine.dialect.name == "postgresql":
        from bot.jobs.postgres import PostgresQueue

        queue: JobQueue = PostgresQueue(storage.engine.url)
    else:
        from bot.jobs.embedded import EmbeddedQueue

        queue = EmbeddedQueue(jobs_dir(services.settings, storage))
    services.jobs = queue
    return queue


def report_model_status(coach: Coach) -> None:
    """Look the configured model up once and log what an operator must know."""
    status = coach.check_model()
    if status is None:
        return
    warning = status.warning()
    if warning and not status.usable:
        log.error("%s; until then every review is the offline one", warning)
    elif warning:
        log.warning("%s", warning)
    elif status.state == "unchecked":
        log.info("model %s not looked up: %s", status.model, status.reason)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    hide_response_urls()


def _freeze_startup_objects() -> None:
    """Keep the garbage collector from walking everything loaded at start-up, again and again.

    Libraries leave some hundred thousand long-lived objects behind; a full collection that
    walks them all stalls every thread for tens of milliseconds, which shows as ack latency.
    """
    gc.collect()
    gc.freeze()


class Shutdown:
    """SIGTERM/SIGINT (or a refused token found later): drain, stop, and say with what code."""

    def __init__(self, runtime: Runtime, stop_intake: Callable[[], None]) -> None:
        self.runtime = runtime
        self.stop_intake = stop_intake
        self.done = threading.Event()
        self.exit_code = 0
        self.drained = True
        self._requested = threading.Event()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s received: draining", signal.Signals(signum).name)
        self.request()

    def request(self, exit_code: int = 0) -> None:
        """Start stopping (once); returns at once, the work happens in its own thread."""
        if self._requested.is_set():
            return
        self._requested.set()
        self.exit_code = exit_code
        threading.Thread(target=self._stop, name="shutdown").start()

    def _stop(self) -> None:
        try:
            self.stop_intake()
            self.drained = self.runtime.stop()
        except Exception:
            log.exception("error while stopping")
        finally:
            self.done.set()


def serve(settings: Settings, port: int | None = None) -> int:
    """``tone-coach serve``: HTTP mode, for production behind a public URL."""
    settings.check_slack(socket_mode=False)
    runtime = Runtime(settings).start()
    web_app = WebApp(runtime.app, settings.signing_secret, runtime.services.ack_first)
    shutdown = Shutdown(runtime, web_app.drain_requests)
    try:
        runtime.check_install(on_refused=lambda exc: shutdown.request(exit_code=2))
    except ConfigError:
        runtime.stop(0)
        raise
    configure_logging(settings)
    _freeze_startup_objects()
    port = port or settings.port
    limits = EdgeLimits(connections=settings.http_connections,
                        idle_timeout=settings.http_idle_timeout, max_body=MAX_BODY)
    server = make_server(web_app, "0.0.0.0", port, limits=limits)
    shutdown.install_signal_handlers()
    log.info("Tone Coach listening on port %d (%s)", port, "/slack/events")
    run_until(server, shutdown.done)
    return _exit(shutdown)


def yield_cpu_to_acks(nice: int) -> None:
    """Lower this process's CPU priority by ``nice``: a worker beside ``serve`` on one
    machine otherwise takes the CPU from acks a burst is waiting for. In the durable
    benchmark (PostgreSQL, 50 at once) nice 10 made the ack p99 15-25 ms shorter and the
    reviews' end-to-end p99 20-40 ms longer: Slack's deadline is the harder one to miss."""
    if nice <= 0 or not hasattr(os, "nice"):
        return
    try:
        os.nice(nice)
    except OSError as exc:
        log.warning("could not lower the worker's CPU priority: %s", exc)


def run_worker(settings: Settings, concurrency: int | None = None) -> int:
    """Run review jobs until SIGTERM or SIGINT; the jobs running then are finished first."""
    storage = Storage(settings.database_url, retention_days=settings.retention_days)
    if storage.engine.dialect.name != "postgresql":
        storage.close()
        raise ConfigError("`tone-coach worker` needs DATABASE_URL on PostgreSQL; with SQLite, "
                          "`tone-coach serve` runs the reviews itself")
    storage.upgrade()
    from bot.jobs.postgres import PostgresQueue
    from bot.slack.review_jobs import ReviewJobRunner

    configure_logging(settings)
    yield_cpu_to_acks(settings.worker_nice)
    coach = Coach.build(settings.model_settings() if settings.uses_model else None,
                        settings.guidelines_file, waiting=set_aside)
    report_model_status(coach)
    services = Services(coach=coach, storage=storage, settings=settings)
    queue = PostgresQueue(storage.engine.url)
    services.jobs = queue
    asyncio.run(queue.work(ReviewJobRunner(services), concurrency or settings.workers,
                           install_signal_handlers=True))
    queue.stop(5)
    storage.close()
    log.info("worker stopped")
    return 0


def run_socket_mode(settings: Settings) -> int:
    """``tone-coach socket``: Socket Mode, no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.check_slack(socket_mode=True)
    runtime = Runtime(settings).start()
    handler = SocketModeHandler(runtime.app, settings.app_token)
    shutdown = Shutdown(runtime, handler.close)
    try:
        runtime.check_install(on_refused=lambda exc: shutdown.request(exit_code=2))
    except ConfigError:
        runtime.stop(0)
        raise
    configure_logging(settings)
    _freeze_startup_objects()
    handler.connect()
    shutdown.install_signal_handlers()
    shutdown.done.wait()
    return _exit(shutdown)


def _exit(shutdown: Shutdown) -> int:
    """The exit code; reviews still stuck on the model after the drain are not waited for
    (their authors were told), so the process ends now rather than when they return."""
    if shutdown.drained:
        log.info("stopped cleanly")
        return shutdown.exit_code
    log.warning("stopped; reviews still waiting on the model were abandoned")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(shutdown.exit_code)
