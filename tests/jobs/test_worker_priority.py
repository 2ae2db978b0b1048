"""``tone-coach worker`` lowers its own CPU priority, so that acks come first on a machine it
shares with ``serve`` (``TONE_COACH_WORKER_NICE``)."""

from __future__ import annotations

import os

import pytest

from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.served import Process, app_env
from tests.fakes.slack_api import FakeSlack
from tests.jobs.test_embedded_crash import slow_model, wait_until


@pytest.mark.parametrize(("setting", "lowered_by"), [("7", 7), ("0", 0)])
def test_a_worker_runs_at_the_priority_it_is_given(tmp_path, postgres_url, setting, lowered_by):
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    with FakeSlack() as slack, FakeOpenAI(slow_model(0.1)) as model:
        env = app_env(slack, model.base_url, postgres_url, TONE_COACH_WORKER_NICE=setting,
                      LOG_LEVEL="INFO")
        worker = Process(["worker", "--concurrency", "2"], env, tmp_path)
        try:
            # The priority is set before the worker starts taking jobs.
            wait_until(lambda: "Starting worker" in worker.log(), 30)
            assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == ours + lowered_by
            assert worker.terminate() == 0, worker.log()
        finally:
            if worker.process.poll() is None:
                worker.kill()
