"""Review jobs as plain data, the outbox, the embedded queue and the delivery claims."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.jobs.claims import DeliveryClaims
from bot.jobs.embedded import EmbeddedQueue
from bot.jobs.job import GIVE_UP_AFTER_S, ReviewJob, TryLater
from bot.jobs.queue import Outbox
from bot.slack.clients import is_transient, retry_after

DRAFT = "As I already explained, the refund takes 5 days."


def command_job(key: str = "command:t1", **changes) -> ReviewJob:
    fields = {"kind": "command", "key": key, "team_id": "T1", "channel_id": "C1",
              "user_id": "U1", "draft": DRAFT, "response_url": "http://x/respond/1"}
    return ReviewJob(**{**fields, **changes})


class Recorder:
    """A job runner that records what it ran, and can be told to fail first."""

    def __init__(self, fail_first: int = 0, error: Exception | None = None) -> None:
        self.ran: list[tuple[str, bool]] = []
        self.gave_up: list[str] = []
        self.fail_first = fail_first
        self.error = error or TryLater("Slack is down", 0.05)
        self.done = threading.Event()
        self.lock = threading.Lock()

    def run(self, job: ReviewJob, *, resumed: bool) -> None:
        with self.lock:
            self.ran.append((job.key, resumed))
            failing = len(self.ran) <= self.fail_first
        if failing:
            raise self.error
        self.done.set()

    def give_up(self, job: ReviewJob, reason: str) -> None:
        self.gave_up.append(job.key)
        self.done.set()

    def wait_for_turn(self) -> None:
        pass


def wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_job_survives_json_and_forgets_its_draft():
    job = command_job()
    assert ReviewJob.from_dict(job.to_dict()) == job
    assert job.without_draft().draft is None
    assert DRAFT not in job.label() and DRAFT not in repr(job)


def test_a_job_expires_when_nobody_waits_any_more():
    job = command_job(acked_at=1000.0)
    assert job.response_url_alive(now=1000.0 + 60) and not job.expired(now=1000.0 + 60)
    assert not job.response_url_alive(now=1000.0 + 29 * 60 + 50)
    assert job.expired(now=1000.0 + GIVE_UP_AFTER_S)


def test_the_outbox_keeps_jobs_while_storage_is_down_and_stores_them_in_order():
    stored: list[str] = []
    down = threading.Event()
    down.set()

    def store(jobs: list[ReviewJob]) -> None:
        if down.is_set():
            raise ConnectionError("database unreachable")
        stored.extend(j.key for j in jobs)

    outbox = Outbox(store)
    for n in range(5):
        assert outbox.put(command_job(f"k{n}"))
    assert not outbox.put(command_job("k2"))  # a repeated delivery is not queued again
    time.sleep(0.3)
    assert stored == [] and outbox.pending() == 5
    down.clear()
    outbox.close(10)
    assert stored == [f"k{n}" for n in range(5)]


def test_the_embedded_queue_retries_a_job_that_asks_to_run_later(tmp_path):
    queue = EmbeddedQueue(tmp_path / "jobs")
    runner = Recorder(fail_first=2)
    queue.start_workers(runner, 4)
    queue.defer(command_job())
    wait_for(runner.done.is_set)
    queue.stop(5)
    assert [resumed for _, resumed in runner.ran] == [False, True, True]
    reopened = EmbeddedQueue(tmp_path / "jobs")
    assert reopened.stored() == 0
    reopened.stop(1)  # its outbox thread too


def test_jobs_stored_by_the_running_process_each_run_once(tmp_path):
    queue = EmbeddedQueue(tmp_path / "jobs")
    for n in range(5):  # stored before the workers start: read back from the file
        queue.defer(command_job(f"early{n}"))
    wait_for(lambda: queue.stored() == 5)
    runner = Recorder()
    queue.start_workers(runner, 4)
    for n in range(30):  # stored while they run: handed over in memory
        queue.defer(command_job(f"late{n}"))
    wait_for(lambda: len(runner.ran) == 35 and queue.stored() == 0)
    time.sleep(0.3)  # a job run twice would show up by now
    queue.stop(5)
    assert sorted(key for key, _ in runner.ran) == sorted(
        [f"early{n}" for n in range(5)] + [f"late{n}" for n in range(30)])
    assert not any(resumed for _, resumed in runner.ran)


def test_the_embedded_queue_starts_no_job_until_the_runner_gives_it_a_turn(tmp_path):
    # In serve, a burst of acks needs the interpreter more than starting reviews does.
    queue = EmbeddedQueue(tmp_path / "jobs")
    runner = Recorder()
    turn = threading.Event()
    runner.wait_for_turn = turn.wait
    queue.start_workers(runner, 2)
    queue.defer(command_job())
    wait_for(lambda: queue.stored() == 1)
    time.sleep(0.5)
    assert runner.ran == []
    turn.set()
    wait_for(runner.done.is_set)
    queue.stop(5)
    assert runner.ran == [("command:t1", False)]


def test_a_job_handed_over_in_memory_runs_again_if_its_process_dies(tmp_path):
    stuck = threading.Event()

    class DiesMidReview(Recorder):
        def run(self, job: ReviewJob, *, resumed: bool) -> None:
            super().run(job, resumed=resumed)
            stuck.wait(10)  # the process "dies" here: the review never finishes
            raise TryLater("too late", 60)

    first = EmbeddedQueue(tmp_path / "jobs")
    dying = DiesMidReview()
    first.start_workers(dying, 4)
    first.defer(command_job("k1"))
    wait_for(lambda: len(dying.ran) == 1)

    second = EmbeddedQueue(tmp_path / "jobs")  # the next start, on the same file
    runner = Recorder()
    second.start_workers(runner, 2)
    wait_for(runner.done.is_set)
    stuck.set()
    second.stop(5)
    first.stop(1)
    assert runner.ran == [("k1", True)]


def test_a_job_past_its_time_is_given_up_and_the_runner_told(tmp_path):
    queue = EmbeddedQueue(tmp_path / "jobs")
    runner = Recorder(fail_first=100)
    queue.start_workers(runner, 2)
    queue.defer(command_job(acked_at=time.time() - GIVE_UP_AFTER_S - 1))
    wait_for(runner.done.is_set)
    queue.stop(5)
    assert runner.gave_up == ["command:t1"] and len(runner.ran) == 1


def test_jobs_left_by_a_stopped_process_run_at_the_next_start_and_lose_their_draft(tmp_path):
    first = EmbeddedQueue(tmp_path / "jobs")
    for n in range(3):
        first.defer(command_job(f"k{n}"))
    first.outbox.close(5)
    assert first.stored() == 3  # none taken yet, and every one counted
    first.stop(1)  # no workers ever started: as if the process died before running them
    assert DRAFT.encode() in _file_bytes(tmp_path / "jobs")

    second = EmbeddedQueue(tmp_path / "jobs")
    runner = Recorder()
    second.start_workers(runner, 2)
    wait_for(lambda: len(runner.ran) == 3)
    second.stop(5)
    assert sorted(runner.ran) == [("k0", True), ("k1", True), ("k2", True)]
    assert DRAFT.encode() not in _file_bytes(tmp_path / "jobs")


def _file_bytes(directory: Path) -> bytes:
    """Everything SQLite keeps for the queue, after a checkpoint folds the WAL back in."""
    [database] = [p for p in directory.iterdir() if p.suffix not in (".db-wal", ".db-shm")
                  and not p.name.endswith(("-wal", "-shm"))]
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = connection.execute(
            "SELECT group_concat(CAST(data AS TEXT)) FROM "
            "(SELECT data FROM " + _table(connection) + ")").fetchone()
    return (rows[0] or "").encode()


def _table(connection: sqlite3.Connection) -> str:
    [(name,)] = connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'ack_queue%'"
    ).fetchall()
    return name


class DownDeliveries:
    """Delivery claims whose database is unreachable until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False
        self.claimed: set[str] = set()

    def done(self, key: str) -> bool:
        if not self.up:
            raise ConnectionError("down")
        return key in self.claimed

    def claim(self, key: str) -> bool:
        if not self.up:
            raise ConnectionError("down")
        self.claimed.add(key)
        return True


class DownStorage:
    def __init__(self) -> None:
        self.deliveries = DownDeliveries()

    @property
    def up(self) -> bool:
        return self.deliveries.up

    @up.setter
    def up(self, value: bool) -> None:
        self.deliveries.up = value

    @property
    def claimed(self) -> set[str]:
        return self.deliveries.claimed


def test_claims_cover_a_database_outage_and_are_written_once_it_is_back():
    storage = DownStorage()
    claims = DeliveryClaims(storage)  # type: ignore[arg-type]
    assert not claims.done("event:Ev1")
    claims.mark_done("event:Ev1")
    assert claims.done("event:Ev1")  # remembered while the database is away
    storage.up = True
    claims.mark_done("event:Ev2")  # the next write also writes what was waiting
    assert storage.claimed == {"event:Ev1", "event:Ev2"}
    assert DeliveryClaims(storage).done("event:Ev1")  # another process sees it too


def test_one_process_never_runs_the_same_delivery_twice_at_once():
    claims = DeliveryClaims(DownStorage())  # type: ignore[arg-type]
    assert claims.begin("k") and not claims.begin("k")
    claims.end("k")
    assert claims.begin("k")


@pytest.mark.parametrize(("status", "body", "transient"), [
    (500, None, True), (503, None, True), (429, None, True),
    (200, {"ok": False, "error": "ratelimited"}, True),
    (200, {"ok": False, "error": "channel_not_found"}, False), (404, None, False),
])
def test_which_slack_answers_mean_try_again(status, body, transient):
    assert is_transient(status, body) is transient


def test_retry_after_is_read_in_any_case_and_capped():
    assert retry_after({"Retry-After": ["3"]}, 30) == 3.0
    assert retry_after({"retry-after": "120"}, 30) == 30.0
    assert retry_after({"Retry-After": "soon"}, 30) is None
    assert retry_after({}, 30) is None
