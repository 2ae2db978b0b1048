"""The entry point to the coaching core: check a draft, review it, always answer."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from cachetools import LRUCache

from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.coaching.lifecycle import ModelStatus, check_model
from bot.coaching.llm import (
    LLMReviewer,
    ModelBusy,
    ModelConfigError,
    ModelGone,
    ModelSettings,
    ModelUnavailable,
)
from bot.coaching.offline import OfflineReviewer
from bot.coaching.prompts import load_prompts
from bot.coaching.review import Review
from bot.messages import load_messages, message

log = logging.getLogger(__name__)

#: Longest draft reviewed, in characters: a long e-mail fits; a pasted log file does not.
MAX_DRAFT_CHARS = 12_000


class DraftError(ValueError):
    """A draft that cannot be reviewed (empty or too long); the message says why."""


class AskModelLater(Exception):
    """The model cannot review now; asking again after ``after`` seconds may work."""

    def __init__(self, reason: str, after: float) -> None:
        super().__init__(reason)
        self.after = after


#: How long to wait before asking again a model that failed without saying how long.
ASK_AGAIN_AFTER_S = 60.0


class Coach:
    """Reviews drafts with the LLM when one is configured, else (or on failure) offline."""

    def __init__(
        self,
        guidelines: GuidelineSet,
        llm: LLMReviewer | None = None,
        *,
        cache_size: int = 1024,
    ) -> None:
        self.guidelines = guidelines
        self.offline = OfflineReviewer(guidelines)
        self.llm = llm
        self._cache: LRUCache[str, Review] = LRUCache(maxsize=cache_size)
        self._lock = threading.Lock()
        self._guidelines_digest = hashlib.sha256(
            guidelines.model_dump_json(exclude={"source"}).encode()
        ).hexdigest()
        self.model_status: ModelStatus | None = None

    @classmethod
    def build(
        cls,
        model: ModelSettings | None,
        guidelines_file: Path | None = None,
        *,
        waiting: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> Coach:
        """The offline coach when ``model`` is None, else the LLM with the offline fallback.
        ``waiting`` is entered while a thread waits for the model (see :class:`LLMReviewer`).

        Raises GuidelineError, PromptError or MessagesError, naming the file, when a data file
        is broken.
        """
        guidelines = load_guidelines(guidelines_file)
        # Read now, not by the first reviews: a burst of them after a deploy would each parse
        # the file at once (13 ms of CPU apiece, holding the interpreter lock), and a broken
        # file should stop the start, not a review.
        load_messages()
        if model is None:
            return cls(guidelines)
        return cls(guidelines, LLMReviewer(guidelines, load_prompts(), model, waiting=waiting))

    @property
    def engine(self) -> str:
        return "llm" if self.llm else "offline"

    def check_model(self) -> ModelStatus | None:
        """Ask the endpoint once whether the model is still served (None when offline).

        Called at start-up; a model found gone makes every fallback say so.
        """
        if self.llm is None:
            return None
        self.model_status = check_model(self.llm.client, self.llm.model)
        return self.model_status

    def review(
        self, draft: str, context: str | None = None, *, raise_config_errors: bool = False
    ) -> Review:
        """Review ``draft``; falls back to the offline review, with a note, if the model fails.

        Raises :class:`DraftError` for an empty or over-long draft, and
        :class:`ModelConfigError` when ``raise_config_errors`` and the key or URL is wrong.
        """
        draft = check_draft(draft)
        context = (context or "").strip()[:MAX_DRAFT_CHARS] or None
        if self.llm is None:
            return self.offline.review(draft, context)
        key = self._cache_key(draft, context)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        started = time.monotonic()
        try:
            review = self.llm.review(draft, context)
        except ModelGone as exc:
            if raise_config_errors:
                raise
            return self._fallback(draft, context, str(exc), note="llm_model_gone")
        except ModelConfigError:
            if raise_config_errors:
                raise
            return self._fallback(draft, context, "model configuration error")
        except ModelBusy as exc:
            review = self._fallback(draft, context, str(exc))
            return review.model_copy(update={"retry_model_after": exc.retry_after})
        except ModelUnavailable as exc:
            return self._fallback(draft, context, str(exc))
        log.info("llm review in %.0f ms", (time.monotonic() - started) * 1000)
        with self._lock:
            self._cache[key] = review
        return review

    def review_by_model(self, draft: str, context: str | None = None) -> Review | None:
        """The model's review of ``draft``, with no offline fallback.

        For the AI review that follows an offline answer given while the model asked us to
        wait. Raises :class:`AskModelLater` while the model is busy or failing; returns None
        when it will not answer at all (no model, a configuration error, a retired model).
        """
        draft = check_draft(draft)
        context = (context or "").strip()[:MAX_DRAFT_CHARS] or None
        if self.llm is None:
            return None
        key = self._cache_key(draft, context)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            review = self.llm.review(draft, context)
        except ModelConfigError as exc:
            log.warning("the model will not answer: %s", exc)
            return None
        except ModelBusy as exc:
            raise AskModelLater(str(exc), exc.retry_after) from None
        except ModelUnavailable as exc:
            raise AskModelLater(str(exc), ASK_AGAIN_AFTER_S) from None
        with self._lock:
            self._cache[key] = review
        return review

    def _fallback(
        self, draft: str, context: str | None, reason: str, note: str = "llm_unavailable"
    ) -> Review:
        # The reason is ours (never the draft's), so it is safe to log.
        log.warning("AI review unavailable, answering offline: %s", reason)
        review = self.offline.review(draft, context)
        if self.model_status is not None and not self.model_status.usable:
            note = "llm_model_gone"
        return review.model_copy(
            update={"note": message(note, review.language), "fallback": True}
        )

    def _cache_key(self, draft: str, context: str | None) -> str:
        model = self.llm.model if self.llm else "offline"
        parts = [self._guidelines_digest, model, context or "", draft]
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def check_draft(draft: str) -> str:
    """Return the draft stripped, or raise :class:`DraftError` saying what is wrong."""
    draft = (draft or "").strip()
    if not draft:
        raise DraftError("the draft is empty: give the reply you want checked")
    if len(draft) > MAX_DRAFT_CHARS:
        raise DraftError(
            f"the draft is {len(draft):,} characters; the limit is {MAX_DRAFT_CHARS:,}. "
            "Check it in parts."
        )
    return draft
