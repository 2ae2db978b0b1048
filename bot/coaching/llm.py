"""The LLM reviewer: any OpenAI-compatible Chat Completions endpoint, answering in JSON."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Literal

import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_random_exponential

from bot.coaching.guidelines import GuidelineSet
from bot.coaching.language import detect_language
from bot.coaching.privacy import Redaction
from bot.coaching.prompts import Prompts
from bot.coaching.review import Finding, Review

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The model gave no usable review in time; the reason is safe to show and log."""


class ModelConfigError(ModelUnavailable):
    """The endpoint refused us for a reason retrying cannot fix: key, model or URL."""


class _ModelFinding(BaseModel):
    guideline: str
    quote: str
    explanation: str


class ModelReply(BaseModel):
    """Exactly the JSON object the model is asked to answer with."""

    verdict: Literal["ok", "needs_work"]
    language: str
    findings: list[_ModelFinding]
    rewrite: str


REPLY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["verdict", "language", "findings", "rewrite"],
    "properties": {
        "verdict": {"type": "string", "enum": ["ok", "needs_work"]},
        "language": {"type": "string"},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["guideline", "quote", "explanation"],
                "properties": {
                    "guideline": {"type": "string"},
                    "quote": {"type": "string"},
                    "explanation": {"type": "string"},
                },
            },
        },
        "rewrite": {"type": "string"},
    },
}

ResponseFormat = Literal["json_schema", "json_object", "none"]


@dataclass(frozen=True)
class ModelSettings:
    """Where the model lives and how long we wait for it."""

    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: str | None = None
    request_timeout: float = 20.0
    deadline: float = 45.0
    response_format: ResponseFormat = "json_schema"
    temperature: float = 0.2


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` first, then ``retry-after``)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    for header, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = exc.response.headers.get(header)
        try:
            return max(0.0, float(value) / divisor) if value is not None else None
        except ValueError:
            continue
    return None


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


class _ServerAwareWait:
    """Honour the server's retry-after when it gives one, else jittered exponential backoff."""

    def __init__(self) -> None:
        self._backoff = wait_random_exponential(multiplier=0.5, max=8)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = _retry_after(exc) if exc else None
        return asked if asked is not None else self._backoff(state)


class LLMReviewer:
    """Review drafts with a chat model; personal data never leaves unmasked."""

    def __init__(
        self,
        guidelines: GuidelineSet,
        prompts: Prompts,
        settings: ModelSettings,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.guidelines = guidelines
        self.prompts = prompts
        self.settings = settings
        self.client = client or openai.OpenAI(
            api_key=settings.api_key or "not-needed",
            base_url=settings.base_url,
            max_retries=0,  # tenacity retries; two layers would multiply the attempts
            timeout=settings.request_timeout,
        )
        self._system = prompts.system_message(guidelines)

    @property
    def model(self) -> str:
        return self.settings.model

    def review(self, draft: str, context: str | None = None) -> Review:
        """Ask the model for a review; raise :class:`ModelUnavailable` if none comes in time.

        Output that is not a valid review is asked for once more before giving up.
        """
        redaction = Redaction()
        user = self.prompts.user_message(
            redaction.redact(draft), redaction.redact(context) if context else None
        )
        started = time.monotonic()
        for attempt in (1, 2):
            completion = self._complete(user, started)
            content = completion.choices[0].message.content if completion.choices else None
            try:
                reply = ModelReply.model_validate_json(_strip_fences(content or ""))
            except ValidationError:
                log.warning("model answer was not a valid review (attempt %d)", attempt)
                continue
            return self._to_review(reply, draft, redaction, completion.usage)
        raise ModelUnavailable("the model's answer was not a valid review")

    def _complete(self, user: str, started: float):  # noqa: ANN202 - openai's own type
        deadline = self.settings.deadline

        def out_of_time(state: RetryCallState) -> bool:
            # The deadline covers every attempt, including the wait before the next one.
            return time.monotonic() - started + (state.upcoming_sleep or 0) >= deadline

        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            stop=out_of_time,
            wait=_ServerAwareWait(),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    remaining = deadline - (time.monotonic() - started)
                    if remaining <= 0:
                        raise ModelUnavailable("the model did not answer before the deadline")
                    return self.client.chat.completions.create(
                        model=self.settings.model,
                        messages=[
                            {"role": "system", "content": self._system},
                            {"role": "user", "content": user},
                        ],
                        temperature=self.settings.temperature,
                        timeout=min(self.settings.request_timeout, remaining),
                        **self._format(),
                    )
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ModelConfigError(
                f"the model endpoint refused the API key ({exc.status_code})"
            ) from None
        except openai.NotFoundError:
            raise ModelConfigError(
                f"model {self.settings.model!r} or the endpoint URL was not found (404)"
            ) from None
        except openai.APITimeoutError:
            raise ModelUnavailable("the model timed out") from None
        except openai.APIConnectionError:
            raise ModelUnavailable("cannot reach the model endpoint") from None
        except openai.APIStatusError as exc:
            raise ModelUnavailable(f"the model endpoint answered {exc.status_code}") from None
        raise ModelUnavailable("the model did not answer before the deadline")

    def _format(self) -> dict:
        if self.settings.response_format == "json_schema":
            schema = {"name": "review", "strict": True, "schema": REPLY_SCHEMA}
            return {"response_format": {"type": "json_schema", "json_schema": schema}}
        if self.settings.response_format == "json_object":
            return {"response_format": {"type": "json_object"}}
        return {}

    def _to_review(self, reply: ModelReply, draft: str, redaction: Redaction, usage) -> Review:  # noqa: ANN001
        findings = []
        for item in reply.findings:
            quote = redaction.restore(item.quote).strip()
            # Keep only findings we can stand behind: a known guideline, a real quote.
            if item.guideline in self.guidelines and quote and quote in draft:
                findings.append(Finding(guideline=item.guideline, quote=quote,
                                        explanation=item.explanation.strip()))
        language = reply.language.strip().lower()
        if not re.fullmatch(r"[a-z]{2}", language):
            language = detect_language(draft)
        rewrite = redaction.restore(reply.rewrite).strip()
        verdict = "needs_work" if findings else "ok"
        return Review(
            verdict=verdict,
            language=language,
            findings=findings,
            rewrite=rewrite if verdict == "needs_work" and rewrite else draft,
            engine="llm",
            model=self.settings.model,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        )


def _strip_fences(content: str) -> str:
    """Some local servers wrap JSON in Markdown fences; take what is inside."""
    match = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", content, re.DOTALL)
    return match.group(1) if match else content

