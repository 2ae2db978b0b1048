"""Running a review job: read the draft back, then the one review flow with its presenter.

A job is plain data (:class:`~bot.jobs.job.ReviewJob`); this module turns it into a
:class:`~bot.slack.drafts.DraftRequest` and a presenter (:class:`~bot.slack.presenters.ReplyTo`)
and hands both to :meth:`ReviewService.run`. A job whose answer reached the person (or who was
told why there is none) is marked done; one that Slack or the database kept from finishing
raises :class:`~bot.jobs.job.TryLater` and runs again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from http.client import HTTPException
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs.claims import DeliveryClaims
from bot.jobs.job import ReviewJob, TryLater
from bot.jobs.slots import WorkSlots
from bot.slack.audience import Audience, audience_in
from bot.slack.blocks import working_message
from bot.slack.clients import RetryPolicy
from bot.slack.delivery import api_error
from bot.slack.drafts import DraftRequest, plain_text
from bot.slack.fetch import FetchedMessage, explain, fetch_message, fetch_parent
from bot.slack.presenters import Presenter, ReplyTo, ThreadReply, presenter_for
from bot.slack.services import Services

log = logging.getLogger(__name__)

GAVE_UP = (
    ":warning: Sorry, I couldn't finish this review: Slack or my database was unavailable for "
    "too long. Please ask again."
)


class ReviewJobRunner:
    """Runs :class:`ReviewJob` s for a job queue; safe to call from many threads."""

    def __init__(self, services: Services, claims: DeliveryClaims | None = None,
                 policy: RetryPolicy | None = None) -> None:
        self.services = services
        self.claims = claims or DeliveryClaims(services.storage)
        self.slots = WorkSlots(services.settings.review_slots)
        self.policy = policy
        # Set at shutdown once the drain time is over: a review finishing after that was
        # already abandoned (its author told), so its job must stay and run again.
        self.abandoned = threading.Event()

    # -- the queue's side ---------------------------------------------------------------------

    def wait_for_turn(self) -> None:
        # In the web process, reviews give way while a burst of requests is being answered.
        self.services.ack_first.wait_for_quiet()

    def run(self, job: ReviewJob, *, resumed: bool) -> None:
        self.wait_for_turn()
        with self.slots.hold():
            self._run(job, resumed)

    def _run(self, job: ReviewJob, resumed: bool) -> None:
        if self.claims.done(job.key):
            log.info("review %s was already posted; skipping", job.label())
            return
        if not self.claims.begin(job.key):
            raise TryLater("the same request is being reviewed right now", 2.0)
        try:
            _HANDLERS[job.kind](self, job, resumed)
        finally:
            self.claims.end(job.key)
        if self.abandoned.is_set():
            raise TryLater("stopped before this review was posted")
        self.claims.mark_done(job.key)

    def give_up(self, job: ReviewJob, reason: str) -> None:
        if job.kind == "followup":  # the person has the offline review: nothing to tell
            log.warning("no AI review followed %s: %s", job.label(), reason)
            return
        log.warning("gave up review job %s: %s", job.label(), reason)
        try:
            target = self._target(job)
            if target.kind == "thread":
                # An earlier try may have left "Reviewing…" in the thread: it must not spin
                # for good. That note is public, so the person is told privately as well.
                target = replace(target, placeholder_ts=self._placeholder(job, target))
            presenter = self._presenter(job, target)
            if isinstance(presenter, ThreadReply):
                presenter.replace_placeholder(GAVE_UP)
                presenter.refuse(GAVE_UP)
            else:
                presenter.fail(GAVE_UP)
        except Exception as exc:
            log.warning("could not tell the user about review job %s either: %s",
                        job.label(), type(exc).__name__)

    # -- building blocks ----------------------------------------------------------------------

    def _client(self, job: ReviewJob) -> WebClient:
        clients = self.services.clients
        try:
            client = clients.for_team(job.team_id) if clients else None
        except Exception as exc:
            raise TryLater(f"cannot read the installation ({type(exc).__name__})") from None
        if client is None:
            raise TryLater("no installation for this workspace")
        if self.policy is not None:  # tests: the same client with shorter waits
            from bot.slack.clients import web_client

            client = web_client(self.services.settings.api_url, client.token, self.policy)
        return client

    def _target(self, job: ReviewJob) -> ReplyTo:
        kind = {"command": "ephemeral", "shortcut": "shortcut", "reaction": "thread",
                "watch": "watch"}[job.kind]
        if kind in ("thread", "watch") and self._audience(job) is not Audience.CHANNEL:
            # A channel shared with another organisation: only the person who asked sees it.
            kind = "private" if kind == "thread" else "private_watch"
        return ReplyTo(kind, job.team_id, job.channel_id, job.user_id, message_ts=job.ts,
                       thread_ts=job.thread_ts or job.ts, response_url=job.response_url)

    def _audience(self, job: ReviewJob) -> Audience:
        """Who may see a review in the job's channel, decided now (the channel may have been
        shared since the request); the event's own flag saves asking Slack."""
        envelope = {"is_ext_shared_channel": True} if job.ext_shared else None
        try:
            return audience_in(self.services.channels, self._client(job), job.channel_id,
                               self.services.settings.shared_channels, envelope)
        except TryLater:
            raise
        except Exception as exc:  # not knowing must not post where a customer may read it
            log.warning("cannot tell who may read %s: %s", job.label(), type(exc).__name__)
            return Audience.REQUESTER

    def _presenter(self, job: ReviewJob, target: ReplyTo) -> Presenter:
        return presenter_for(target, self._client(job), self.policy)

    def _read(self, job: ReviewJob, presenter: Presenter) -> FetchedMessage | None:
        """The message to review, read back from Slack; None (the user told) when it is gone."""
        try:
            return fetch_message(self._client(job), job.channel_id, job.ts or "")
        except SlackApiError as exc:
            error = api_error("conversations.history", exc)
            if not error.permanent:
                raise TryLater(str(error)) from None
            log.info("cannot read the message for %s: %s", job.label(), error.reason)
            if job.kind != "watch":
                presenter.refuse(f":warning: {explain(exc)}")
            return None
        except (URLError, OSError, HTTPException) as exc:
            raise TryLater(f"cannot read the message ({type(exc).__name__})") from None

    def _follow_later(self, job: ReviewJob) -> Callable[[ReplyTo, float], None] | None:
        """What brings the AI review once the model is free, when a job queue is running."""
        if self.services.jobs is None:
            return None

        def defer(target: ReplyTo, after: float) -> None:
            self.services.defer(replace(
                job, kind="followup", key=f"{job.key}:ai", follows=job.kind,
                reply_to=target.to_dict(), not_before=time.time() + after))
            log.info("the AI review of %s will follow in %.0fs", job.label(), after)

        return defer

    # -- the four entry points ------------------------------------------------------------

    def _command(self, job: ReviewJob, resumed: bool) -> None:
        request = DraftRequest(job.team_id, job.channel_id, job.user_id, "command",
                               plain_text(job.draft))
        self.services.reviews.run(request, self._presenter(job, self._target(job)),
                                  on_model_busy=self._follow_later(job))

    def _shortcut(self, job: ReviewJob, resumed: bool) -> None:
        presenter = self._presenter(job, self._target(job))
        message = self._read(job, presenter)
        if message is None:
            return
        request = DraftRequest(job.team_id, job.channel_id, job.user_id, "shortcut",
                               plain_text(message.text), plain_text(message.parent_text) or None)
        self.services.reviews.run(request, presenter, on_model_busy=self._follow_later(job))

    def _reaction(self, job: ReviewJob, resumed: bool) -> None:
        target = self._target(job)
        message = self._read(job, self._presenter(job, target))
        if message is None or message.bot_id or message.user == job.bot_user_id:
            return  # gone, or a bot's post: reviews of bots' messages help nobody
        target = replace(target, thread_ts=message.thread_ts or message.ts)
        if resumed and target.kind == "thread":
            target = replace(target, placeholder_ts=self._placeholder(job, target))
        request = DraftRequest(job.team_id, job.channel_id, message.user or job.user_id,
                               "reaction", plain_text(message.text),
                               plain_text(message.parent_text) or None)
        self.services.reviews.run(request, self._presenter(job, target),
                                  on_model_busy=self._follow_later(job))

    def _placeholder(self, job: ReviewJob, target: ReplyTo) -> str | None:
        """The "Reviewing…" an earlier, interrupted try left in the thread, to reuse it."""
        working = working_message()["text"]
        try:
            thread = self._client(job).conversations_replies(channel=job.channel_id,
                                                             ts=target.thread_ts)
        except (SlackApiError, URLError, OSError, HTTPException):
            return None
        for reply in thread.get("messages", []):
            mine = reply.get("bot_id") and (not job.bot_user_id
                                            or reply.get("user") == job.bot_user_id)
            if mine and reply.get("text") == working and reply.get("ts") != target.thread_ts:
                return reply["ts"]
        return None

    def _watch(self, job: ReviewJob, resumed: bool) -> None:
        try:
            mode = self.services.watch_mode(job.team_id, job.channel_id)
        except Exception as exc:  # the draft waits until the database answers again
            raise TryLater(f"cannot tell if the channel is watched ({type(exc).__name__})",
                           2.0) from None
        is_reply = bool(job.thread_ts) and job.thread_ts != job.ts
        if mode is None or (is_reply and mode != "replies"):
            return
        target = self._target(job)
        presenter = self._presenter(job, target)
        message = self._read(job, presenter)
        if message is None:
            return
        context = None
        if is_reply:
            parent = fetch_parent(self._client(job), job.channel_id, job.thread_ts or "")
            if parent is None or parent.user == job.user_id:
                return  # the customer's side of the thread, or a thread we cannot read
            context = plain_text(parent.text) or None
        request = DraftRequest(job.team_id, job.channel_id, job.user_id, "watch",
                               plain_text(message.text), context)
        self.services.reviews.run(request, presenter, on_model_busy=self._follow_later(job))

    def _followup(self, job: ReviewJob, resumed: bool) -> None:
        """The AI review, in place of the offline one given while the model asked to wait."""
        wait = (job.not_before or 0.0) - time.time()
        if wait > 0:
            raise TryLater("the AI review is not due yet", wait)
        if job.follows == "command":
            draft, context = job.draft, None
        else:
            try:
                message = fetch_message(self._client(job), job.channel_id, job.ts or "")
            except SlackApiError as exc:
                error = api_error("conversations.history", exc)
                if not error.permanent:
                    raise TryLater(str(error)) from None
                log.info("no AI review for %s: %s", job.label(), error.reason)
                return  # the message is gone; the offline review was its last word
            except (URLError, OSError, HTTPException) as exc:
                raise TryLater(f"cannot read the message ({type(exc).__name__})") from None
            draft, context = message.text, message.parent_text
        request = DraftRequest(job.team_id, job.channel_id, job.user_id, job.follows or "command",
                               plain_text(draft), plain_text(context) or None)
        target = ReplyTo.from_dict(job.reply_to or {})
        self.services.reviews.follow_up(request, self._presenter(job, target))


_HANDLERS = {
    "command": ReviewJobRunner._command,
    "shortcut": ReviewJobRunner._shortcut,
    "reaction": ReviewJobRunner._reaction,
    "watch": ReviewJobRunner._watch,
    "followup": ReviewJobRunner._followup,
}
