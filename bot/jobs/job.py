"""A review job: the little a worker needs to review a draft and answer the person.

A job is plain data (it travels as JSON through a database). Reactions, watched messages and
shortcuts carry only where the message is; the worker reads its text back from Slack. A slash
command's draft exists nowhere else, so its job carries it, and it is erased once the review is
posted. Nothing here is ever logged but :meth:`ReviewJob.label`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

JobKind = Literal["command", "reaction", "watch", "shortcut", "followup"]

#: Slack accepts posts to a ``response_url`` for 30 minutes after the request.
RESPONSE_URL_LIFETIME_S = 30 * 60
#: After this, nobody is waiting for the review any more: the person is told, the job dropped.
GIVE_UP_AFTER_S = RESPONSE_URL_LIFETIME_S


class TryLater(Exception):
    """The job could not finish now (Slack or the database is down) and should run again."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True)
class ReviewJob:
    """One acknowledged request for a review, until its answer is posted."""

    kind: JobKind
    key: str  # what makes the Slack delivery unique (event id, command trigger id)
    team_id: str
    channel_id: str
    user_id: str  # who asked (the reactor, the command's author, the watched draft's author)
    ts: str | None = None  # the message to review, for reactions, watched messages, shortcuts
    draft: str | None = field(default=None, repr=False)  # slash commands only
    response_url: str | None = field(default=None, repr=False)
    thread_ts: str | None = None  # the message's thread, when the event says (watch)
    bot_user_id: str | None = None
    #: The event said the channel is shared with another organisation (saves asking Slack).
    ext_shared: bool = False
    acked_at: float = field(default_factory=time.time)
    # A follow-up (kind "followup") brings the AI review to where the offline one was shown:
    # the entry point it follows, where that review is (a ReplyTo as a dict), and when the
    # model said it could be asked again.
    follows: JobKind | None = None
    reply_to: dict[str, Any] | None = None
    not_before: float | None = None

    def label(self) -> str:
        """What may appear in a log line: the kind and the delivery key, nothing the user wrote."""
        return f"{self.kind} {self.key}"

    def to_dict(self) -> dict[str, Any]:
        # A shallow copy: every field is plain JSON data (asdict's deep copy took 25 µs a job
        # in the web process's burst of acks, this 3 µs).
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewJob:
        return cls(**{k: v for k, v in data.items() if k in _FIELD_NAMES})

    def without_draft(self) -> ReviewJob:
        """The same job with the draft erased: what stays stored once the review is posted."""
        return replace(self, draft=None)

    def response_url_alive(self, now: float | None = None) -> bool:
        return bool(self.response_url) and _age(self, now) < RESPONSE_URL_LIFETIME_S - 30

    def expired(self, now: float | None = None) -> bool:
        """True once the answer can no longer be useful to the person who asked."""
        return _age(self, now) >= GIVE_UP_AFTER_S


# In declaration order, so a stored job reads the same in every process.
_FIELD_NAMES = tuple(f.name for f in fields(ReviewJob))


def _age(job: ReviewJob, now: float | None) -> float:
    return (time.time() if now is None else now) - job.acked_at
