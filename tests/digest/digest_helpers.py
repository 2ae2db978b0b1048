"""Helpers for the digest tests: stored reviews at chosen moments, and an app instance in
another process (the worker lives here so that spawned processes can import it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot.storage import ReviewRecord, Storage
from tests.storage.storage_helpers import PROCESS_TIMEOUT_S

TEAM = "T1"


def add_review(storage: Storage, at: datetime, user: str, *, guidelines: tuple[str, ...] = (),
               entry_point: str = "command", engine: str = "llm", fallback: bool = False,
               latency_ms: int = 1000, team: str = TEAM, votes: dict[str, bool] | None = None
               ) -> int:
    """Store one review (and votes on it) as if it had been made at ``at``."""
    review_id = storage.reviews.record(
        ReviewRecord(
            team_id=team, channel_id="C1", user_id=user, entry_point=entry_point,
            verdict="needs_work" if guidelines else "ok", guidelines=list(guidelines),
            engine="offline" if fallback else engine, model=None, latency_ms=latency_ms,
            prompt_tokens=0, completion_tokens=0, fallback=fallback,
        ),
        now=at,
    )
    for voter, helpful in (votes or {}).items():
        storage.reviews.record_feedback(review_id, voter, helpful, now=at)
    return review_id


def add_team_week(storage: Storage, at: datetime, agents: int = 3, per_agent: int = 2,
                  **review: Any) -> None:
    """``agents`` agents checking ``per_agent`` drafts each at ``at``."""
    for agent in range(agents):
        for _ in range(per_agent):
            add_review(storage, at, f"U{agent}", **review)


def instance_worker(barrier: Any, database_url: str, api_url: str, now: str) -> list[str]:
    """Start like an app instance, wait for the others, then post the digests due at ``now``."""
    from bot.slack.digest import DigestDeliverer
    from tests.tips.tips_helpers import make_services

    storage = Storage(database_url)
    storage.check()
    services = make_services(storage, api_url)
    client = WebClient(token="xoxb-test", base_url=api_url)
    deliverer = DigestDeliverer(services, lambda team_id: client)
    barrier.wait(PROCESS_TIMEOUT_S)
    results = deliverer.deliver_due(datetime.fromisoformat(now))
    storage.close()
    return [result.status for result in results]
