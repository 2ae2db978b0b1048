"""One review flow for every entry point: check, show progress, review, record, present.

Whatever goes wrong, the person hears about it: a draft that cannot be reviewed is refused
with the reason, a Slack error is explained, and any other error replaces "Reviewing…" with
an apology, so that no placeholder spins forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.coaching.coach import AskModelLater, Coach, DraftError, check_draft
from bot.coaching.review import Review
from bot.jobs.job import TryLater
from bot.messages import message
from bot.slack.blocks import review_messages
from bot.slack.drafts import DraftRequest
from bot.slack.fetch import explain
from bot.slack.presenters import Presenter, ReplyTo
from bot.storage import ReviewRecord, Storage

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    ":warning: Sorry, something went wrong while I was checking this draft, and it has been "
    "logged. Please try again in a minute."
)
SHUTTING_DOWN = (
    ":hourglass_flowing_sand: Tone Coach is restarting; your review will follow as soon as "
    "it is back."
)


class ReviewService:
    """Reviews a :class:`DraftRequest` and hands the outcome to a presenter."""

    def __init__(self, coach: Coach, storage: Storage) -> None:
        self.coach = coach
        self.storage = storage
        self._running: set[Presenter] = set()
        self._abandoned: set[int] = set()  # ids of presenters already told to ask again
        self._lock = threading.Lock()

    def titles(self, language: str) -> dict[str, str]:
        """Guideline titles in ``language``, for showing findings."""
        return {g.id: g.localized_title(language) for g in self.coach.guidelines.guidelines}

    def run(
        self,
        request: DraftRequest,
        presenter: Presenter,
        on_started: Callable[[ReplyTo], None] | None = None,
        on_model_busy: Callable[[ReplyTo, float], None] | None = None,
    ) -> Review | None:
        """Review the draft and present it; returns the review, or None if there is none.

        ``on_started`` gets the presenter's target once "Reviewing…" is showing (with the
        placeholder's ts, if it posted one), for a caller that keeps it, e.g. to resume
        the review elsewhere without posting a second placeholder.

        ``on_model_busy`` is for a caller that can bring the AI review later: when the model
        asked to wait longer than a review may take, the offline review says the AI one will
        follow, and once it is shown the callback gets where it is and the seconds to wait.
        """
        try:
            check_draft(request.draft)
        except DraftError as exc:
            self._safely(presenter.refuse, f":warning: I couldn't check this draft: {exc}")
            return None
        with self._lock:
            self._running.add(presenter)
        try:
            presenter.start()
            if on_started is not None:
                on_started(presenter.target)
            follows = on_model_busy is not None
            review, messages = self._review(request, presenter.message_limit, follows)
            if id(presenter) in self._abandoned:
                return None  # its author was already told to ask again
            presenter.show(review.verdict, messages)
            if follows and review.retry_model_after is not None:
                on_model_busy(presenter.target, review.retry_model_after)
            return review
        except TryLater:
            raise  # nowhere took the answer: the job queue runs the review again later
        except SlackApiError as exc:
            log.warning("slack refused a %s review: %s", presenter.target.kind,
                        exc.response.get("error"))
            self._safely(presenter.fail, f":warning: {explain(exc)}")
        except Exception:
            log.exception("a %s review failed", presenter.target.kind)
            self._safely(presenter.fail, SOMETHING_WENT_WRONG)
        finally:
            with self._lock:
                self._running.discard(presenter)
            self._abandoned.discard(id(presenter))
        return None

    def follow_up(self, request: DraftRequest, presenter: Presenter) -> Review | None:
        """Ask the model again and show its review where the offline one was shown.

        Raises :class:`TryLater` while the model is busy or failing; returns None (with a log
        line) when it never will answer, since the person already has the offline review.
        The draft's statistics stay those of the first answer, and the AI review carries no
        vote buttons: a vote would be counted for the offline engine.
        """
        try:
            review = self.coach.review_by_model(request.draft, request.context)
        except AskModelLater as exc:
            raise TryLater(f"the model cannot answer yet ({exc})", exc.after) from None
        except DraftError:
            log.info("no AI review will follow: the draft can no longer be reviewed")
            return None  # edited since into something that cannot be reviewed
        if review is None:
            log.warning("no AI review will follow: the model will not answer")
            return None
        review = review.model_copy(update={"note": message("llm_followed", review.language)})
        messages = review_messages(review, self.titles(review.language), None,
                                   presenter.message_limit)
        presenter.show(review.verdict, messages)
        log.info("the AI review followed a %s offline review", presenter.target.kind)
        return review

    def abandon_running(self) -> int:
        """At shutdown, after the drain time: tell everyone still waiting to ask again."""
        with self._lock:
            waiting = list(self._running)
            self._abandoned.update(id(presenter) for presenter in waiting)
        for presenter in waiting:
            self._safely(presenter.fail, SHUTTING_DOWN)
        return len(waiting)

    def _review(self, request: DraftRequest, message_limit: int,
                follows: bool = False) -> tuple[Review, list[dict]]:
        started = time.monotonic()
        review = self.coach.review(request.draft, request.context)
        if follows and review.retry_model_after is not None:
            review = review.model_copy(update={"note": message("llm_busy", review.language)})
        latency_ms = int((time.monotonic() - started) * 1000)
        review_id = self._record(request, review, latency_ms)
        titles = self.titles(review.language)
        return review, review_messages(review, titles, review_id, message_limit)

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
            fallback=review.fallback,
        )
        try:
            # Queued, not written: the row follows the review (see bot/storage/recorder.py).
            return self.storage.recorder.add(record)
        except Exception:  # a stats row must never cost the agent their review
            log.exception("could not record a review")
            return None

    @staticmethod
    def _safely(say: object, text: str) -> None:
        try:
            say(text)  # type: ignore[operator]
        except Exception:
            log.exception("could not tell the user what went wrong")
