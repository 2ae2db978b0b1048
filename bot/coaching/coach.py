"""The entry point to the coaching core: check a draft, review it, always answer."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

from cachetools import LRUCache

from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.coaching.llm import LLMReviewer, ModelConfigError, ModelSettings, ModelUnavailable
from bot.coaching.offline import OfflineReviewer
from bot.coaching.prompts import load_prompts
from bot.coaching.review import Review
from bot.messages import message

log = logging.getLogger(__name__)

#: Longest draft reviewed, in characters: a long e-mail fits; a pasted log file does not.
MAX_DRAFT_CHARS = 12_000


class DraftError(ValueError):
    """A draft that cannot be reviewed (empty or too long); the message says why."""


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

    @classmethod
    def from_env(cls, *, offline: bool = False) -> Coach:
        """Build from the environment: the LLM is used when a key or base URL is set."""
        guidelines = load_guidelines()
        settings = model_settings_from_env()
        if offline or not (settings.api_key or settings.base_url):
            return cls(guidelines)
        return cls(guidelines, LLMReviewer(guidelines, load_prompts(), settings))

    @property
    def engine(self) -> str:
        return "llm" if self.llm else "offline"

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
        except ModelConfigError:
            if raise_config_errors:
                raise
            return self._fallback(draft, context, "model configuration error")
        except ModelUnavailable as exc:
            return self._fallback(draft, context, str(exc))
        log.info("llm review in %.0f ms", (time.monotonic() - started) * 1000)
        with self._lock:
            self._cache[key] = review
        return review

    def _fallback(self, draft: str, context: str | None, reason: str) -> Review:
        # The reason is ours (never the draft's), so it is safe to log.
        log.warning("AI review unavailable, answering offline: %s", reason)
        review = self.offline.review(draft, context)
        return review.model_copy(update={"note": message("llm_unavailable", review.language)})

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


def model_settings_from_env() -> ModelSettings:
    """Model settings from ``OPENAI_*`` and ``TONE_COACH_MODEL_*`` variables."""
    env = os.environ
    response_format = env.get("TONE_COACH_RESPONSE_FORMAT", "json_schema")
    if response_format not in ("json_schema", "json_object", "none"):
        raise ValueError(
            "TONE_COACH_RESPONSE_FORMAT must be json_schema, json_object or none, "
            f"not {response_format!r}"
        )
    return ModelSettings(
        model=env.get("OPENAI_MODEL") or "gpt-4o-mini",
        base_url=env.get("OPENAI_BASE_URL") or None,
        api_key=env.get("OPENAI_API_KEY") or None,
        request_timeout=float(env.get("TONE_COACH_MODEL_TIMEOUT") or 20),
        deadline=float(env.get("TONE_COACH_MODEL_DEADLINE") or 45),
        response_format=response_format,  # type: ignore[arg-type]
    )
