"""Helpers for the storage tests: throw-away databases and code run in other processes.

Named storage_helpers rather than helpers: test folders have no __init__.py, so pytest puts
each on sys.path and two modules called helpers.py would shadow each other. The worker
functions live here (not in a test module) so that spawned processes can import them.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bot.storage import Storage

PG_SKIP_REASON = "set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run"
PROCESS_TIMEOUT_S = 60

# The moment the tests pretend it is, for everything about time windows and retention.
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@contextmanager
def empty_postgres_schema(server_url: str) -> Iterator[str]:
    """A URL whose tables all live in a new, empty schema, dropped with everything in it after.

    Each test gets its own schema (via search_path), so runs never see each other's tables or
    alembic_version, even when another run uses the same database at the same time.
    """
    schema = f"tone_coach_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


def run_in_processes(worker: Callable[..., Any], count: int, *args: Any) -> list[Any]:
    """Run ``worker(barrier, *args)`` in ``count`` new processes at once; return their results.

    ``spawn`` so that each process starts from nothing, like a second app instance would
    (no engine or connection inherited through fork). Workers call ``barrier.wait()`` to line
    up right before the moment that matters.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [
        context.Process(target=_run_worker, args=(worker, barrier, results, *args))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    try:
        # Each process sends exactly one message; read them before join() so none blocks.
        outcomes = [results.get(timeout=PROCESS_TIMEOUT_S) for _ in processes]
    finally:
        for process in processes:
            process.join(PROCESS_TIMEOUT_S)
            if process.is_alive():
                process.kill()
    errors = [detail for status, detail in outcomes if status == "error"]
    assert not errors, "a worker process failed:\n" + errors[0]
    return [detail for _, detail in outcomes]


def _run_worker(worker: Callable[..., Any], barrier: Any, results: Any, *args: Any) -> None:
    try:
        results.put(("ok", worker(barrier, *args)))
    except BaseException:
        barrier.abort()  # release the others at once instead of letting them time out
        results.put(("error", traceback.format_exc()))


def claim_worker(barrier: Any, url: str, rounds: int) -> list[tuple[bool, bool, bool]]:
    """Race the others for the same delivery, then for the same channel's tip, then (after
    the tip's winner marks it failed) for the retry of that tip, each round.

    Returns (won the delivery, won the tip, won the retry) per round.
    """
    storage = Storage(url)
    storage.check()  # connect before the race, so that the race is between the INSERTs
    wins = []
    for round_ in range(rounds):
        barrier.wait(PROCESS_TIMEOUT_S)
        delivery = storage.deliveries.claim(f"Ev{round_}")
        barrier.wait(PROCESS_TIMEOUT_S)
        tip_day = date(2025, 3, 3) + timedelta(days=round_)
        tip = storage.tips.claim("T1", "C1", tip_day, f"tip-from-{os.getpid()}")
        barrier.wait(PROCESS_TIMEOUT_S)
        if tip:
            storage.tips.mark_failed("T1", "C1", tip_day, "ratelimited")
        barrier.wait(PROCESS_TIMEOUT_S)
        retry = storage.tips.claim("T1", "C1", tip_day, f"tip-from-{os.getpid()}")
        if retry:
            storage.tips.mark_posted("T1", "C1", tip_day)
        wins.append((delivery, tip, retry))
    storage.close()
    return wins


def upgrade_worker(barrier: Any, url: str) -> None:
    """Start up like an app instance: apply migrations at the same moment as the others."""
    storage = Storage(url)
    barrier.wait(PROCESS_TIMEOUT_S)
    storage.upgrade()
    storage.close()
