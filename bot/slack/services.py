"""What every listener needs: the coach, the storage, the settings, and the review runner."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.coaching.coach import Coach
from bot.coaching.review import Review
from bot.config import SlackSettings
from bot.slack.blocks import MAX_MESSAGES, review_messages
from bot.slack.drafts import DraftRequest
from bot.slack.pools import started_pool
from bot.slack.priority import AckFirst
from bot.storage import ReviewRecord, Storage

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Shared by the listeners of one app; safe to use from many threads."""

    coach: Coach
    storage: Storage
    settings: SlackSettings = field(default_factory=SlackSettings)
    ack_first: AckFirst = field(default_factory=AckFirst)
    _review_pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def start_review_pool(self) -> ThreadPoolExecutor:
        """The pool reviews run on: one thread per draft waiting on the model, up to
        ``TONE_COACH_WORKERS`` at once. Started on first use, or up front by the app."""
        with self._pool_lock:
            if self._review_pool is None:
                self._review_pool = started_pool(self.settings.workers, "review")
            return self._review_pool

    def in_background(self, work: Callable[..., None], *args: Any) -> None:
        """Run slow work (fetching, reviewing, posting) after the listener has returned,
        once the requests arriving with it have been answered."""
        self.start_review_pool().submit(self._after_acks, work, *args)

    def _after_acks(self, work: Callable[..., None], *args: Any) -> None:
        self.ack_first.wait_for_quiet()
        try:
            work(*args)
        except Exception:  # the pool would swallow it silently
            log.exception("background work %s failed", getattr(work, "__name__", work))

    def first_delivery(self, body: dict) -> bool:
        """True unless this exact delivery (a Slack retry, a duplicate event) was handled.

        Listeners call it after acknowledging, so the database is never on the ack path.
        """
        key = delivery_key(body)
        if key is None:
            return True
        try:
            first = self.storage.claim_delivery(key)
        except Exception:  # answering twice beats never answering
            log.exception("could not claim a delivery; handling it anyway")
            return True
        if not first:
            log.info("skipping a repeated delivery %s", key)
        return first

    def titles(self, language: str) -> dict[str, str]:
        """Guideline titles in ``language``, for showing findings."""
        return {g.id: g.localized_title(language) for g in self.coach.guidelines.guidelines}

    def review(
        self, request: DraftRequest, max_messages: int = MAX_MESSAGES
    ) -> tuple[Review, list[dict]]:
        """Review the draft, record it (without its text) and build the Slack messages: one,
        or, for a rewrite too long for one, up to ``max_messages`` that continue each other.

        Raises :class:`bot.coaching.coach.DraftError` for an empty or over-long draft.
        """
        started = time.monotonic()
        review = self.coach.review(request.draft, request.context)
        latency_ms = int((time.monotonic() - started) * 1000)
        review_id = self._record(request, review, latency_ms)
        titles = self.titles(review.language)
        return review, review_messages(review, titles, review_id, max_messages)

    def _record(self, request: DraftRequest, review: Review, latency_ms: int) -> int | None:
        record = ReviewRecord(
            team_id=request.team_id,
            channel_id=request.channel_id,
            user_id=request.user_id,
            entry_point=request.entry_point,
            verdict=review.verdict,
            guidelines=review.guideline_ids,
            engine=review.engine,
            model=review.model,
            latency_ms=latency_ms,
            prompt_tokens=review.prompt_tokens,
            completion_tokens=review.completion_tokens,
            cached_tokens=review.cached_tokens,
            reasoning_tokens=review.reasoning_tokens,
        )
        try:
            return self.storage.record_review(record)
        except Exception:  # a stats row must never cost the agent their review
            log.exception("could not record a review")
            return None


def delivery_key(body: dict) -> str | None:
    """What makes a delivery unique: the event id, or the trigger of a command or click."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if body.get("command") and trigger:
        return f"command:{trigger}"
    if body.get("type") and trigger:
        return f"{body['type']}:{trigger}"
    return None
