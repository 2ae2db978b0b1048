"""PostgreSQL: ``kill -9`` of a worker with 20 reviews in flight; a new worker posts all 20,
none twice (procrastinate's heartbeats find the dead worker's jobs)."""

from __future__ import annotations

from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.served import Process, Served, app_env
from tests.fakes.slack_api import FakeSlack
from tests.jobs.test_embedded_crash import (
    BAD_DRAFT,
    reviewed_updates,
    reviews_asked,
    reviews_by_response_url,
    send_ten_commands_and_ten_reactions,
    slow_model,
    wait_until,
)


def test_a_killed_workers_reviews_are_posted_once_by_the_next_worker(tmp_path, postgres_url):
    with FakeSlack() as slack, FakeOpenAI(slow_model(3.0)) as model:
        env = app_env(slack, model.base_url, postgres_url, TONE_COACH_SERVE_WORKERS="0")
        served = Served(env, tmp_path)
        worker = Process(["worker", "--concurrency", "24"], env, tmp_path)
        try:
            send_ten_commands_and_ten_reactions(served, slack, "pg")
            wait_until(lambda: len(reviews_asked(model)) >= 20, 30)
            worker.kill()
            assert not reviews_by_response_url(slack) and not reviewed_updates(slack)

            worker = Process(["worker", "--concurrency", "24"], env, tmp_path)
            wait_until(lambda: len(reviews_by_response_url(slack)) == 10
                       and len(reviewed_updates(slack)) == 10, 60)
            import time
            time.sleep(1.5)
            assert set(reviews_by_response_url(slack).values()) == {1}
            assert set(reviewed_updates(slack).values()) == {1}
            placeholders = [c for c in slack.calls_to("chat.postMessage")
                            if "Reviewing" in c.args.get("text", "")]
            assert len(placeholders) == 10
            assert worker.terminate() == 0, worker.log()
        finally:
            if worker.process.poll() is None:
                worker.kill()
            served.terminate()


def test_a_worker_logging_at_info_never_writes_a_draft(tmp_path, postgres_url):
    """procrastinate logs each job's arguments, and a slash command's job holds its draft."""
    with FakeSlack() as slack, FakeOpenAI(slow_model(0.1)) as model:
        env = app_env(slack, model.base_url, postgres_url, TONE_COACH_SERVE_WORKERS="0",
                      LOG_LEVEL="INFO")
        served = Served(env, tmp_path)
        worker = Process(["worker", "--concurrency", "4"], env, tmp_path)
        try:
            assert served.command(slack, BAD_DRAFT.format(n=777), "logged") == 200
            wait_until(lambda: len(reviews_by_response_url(slack)) == 1, 30)
            assert worker.terminate() == 0
            logged = worker.log()
            assert "Starting job" in logged  # procrastinate's own lines are still there...
            assert "job arguments hidden" in logged
            assert "already explained" not in logged  # ...without the draft
            assert "#777" not in logged
        finally:
            if worker.process.poll() is None:
                worker.kill()
            served.terminate()
