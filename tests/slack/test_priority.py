"""Reviews wait while Slack requests are being answered, but never for long."""

from __future__ import annotations

import threading
import time

from bot.slack.priority import AckFirst


def timed_wait(gate: AckFirst) -> float:
    started = time.monotonic()
    gate.wait_for_quiet()
    return time.monotonic() - started


def test_with_nothing_in_flight_work_starts_at_once():
    assert timed_wait(AckFirst(max_wait=1.0, settle=0.01)) < 0.05


def test_work_waits_for_requests_in_flight_then_for_them_to_settle():
    gate = AckFirst(max_wait=2.0, settle=0.05)
    gate.request_started()
    started = time.monotonic()  # before the timer starts, so the 0.2 s are all counted
    threading.Timer(0.2, gate.request_finished).start()
    gate.wait_for_quiet()
    assert 0.2 + 0.05 <= time.monotonic() - started < 1.0


def test_a_steady_stream_of_requests_only_delays_work_by_max_wait():
    gate = AckFirst(max_wait=0.3, settle=0.05)
    gate.request_started()  # never finishes
    waited = timed_wait(gate)
    assert 0.3 <= waited < 0.6


def test_every_waiting_review_starts_once_requests_settle():
    gate = AckFirst(max_wait=5.0, settle=0.05)
    gate.request_started()
    began: list[float] = []

    def review() -> None:
        gate.wait_for_quiet()
        began.append(time.monotonic())

    waiting = [threading.Thread(target=review) for _ in range(30)]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)
    finished = time.monotonic()
    gate.request_finished()
    for thread in waiting:
        thread.join(5)
    assert len(began) == 30
    # none before the requests had settled, and none held back to the five-second limit
    assert min(began) >= finished + 0.05
    assert max(began) < finished + 2.0
