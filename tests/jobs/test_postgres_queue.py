"""What ``PostgresQueue`` writes into procrastinate's table (PostgreSQL only)."""

from __future__ import annotations

import psycopg
from sqlalchemy import make_url

from bot.jobs.job import ReviewJob
from bot.jobs.postgres import QUEUE, TASK, PostgresQueue, conninfo


def _job(n: int) -> ReviewJob:
    return ReviewJob("command", f"cmd-T1-{n}", "T1", "C1", "U1", draft=f"Draft number {n}",
                     response_url=f"https://hooks.slack.test/{n}")


def test_deferred_jobs_are_stored_in_order_each_locked_by_its_delivery(postgres_url):
    url = make_url(postgres_url)
    queue = PostgresQueue(url)
    jobs = [_job(n) for n in range(3)]
    try:
        for job in jobs:
            assert queue.defer(job)
        queue.outbox.close(10)
    finally:
        queue.stop(1)
    dsn, kwargs = conninfo(url)
    with psycopg.connect(dsn, **kwargs) as connection:
        rows = connection.execute(
            "SELECT lock, queueing_lock, queue_name, task_name, status, args, priority"
            " FROM procrastinate_jobs ORDER BY id").fetchall()
    assert [row[0] for row in rows] == [job.key for job in jobs]
    assert {row[1:5] + (row[6],) for row in rows} == {(None, QUEUE, TASK, "todo", 0)}
    assert [ReviewJob.from_dict(row[5]["job"]) for row in rows] == jobs
