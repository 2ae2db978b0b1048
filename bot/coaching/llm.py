"""The LLM reviewer: any OpenAI-compatible Chat Completions endpoint, answering in JSON."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Literal

import httpx2
import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_random_exponential

from bot.coaching.guidelines import LANGUAGES, GuidelineSet
from bot.coaching.language import detect_language
from bot.coaching.privacy import Redaction, phone_regions
from bot.coaching.prompts import Prompts
from bot.coaching.review import Finding, Review

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The model gave no usable review in time; the reason is safe to show and log."""


class ModelConfigError(ModelUnavailable):
    """The endpoint refused us for a reason retrying cannot fix: key, model or URL."""


class ModelGone(ModelConfigError):
    """The endpoint says the model does not exist (retired or misspelled)."""


class ModelBusy(ModelUnavailable):
    """The endpoint asked us to wait longer than the review's deadline allows.

    ``retry_after`` is the wait it asked for, in seconds: the caller can answer offline now
    and ask the model again once that time has passed.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
ReasoningEffort = Literal["auto", "omit", "none", "minimal", "low", "medium", "high", "xhigh",
                          "max"]
REASONING_EFFORTS: tuple[str, ...] = ReasoningEffort.__args__  # type: ignore[attr-defined]

#: The default model: OpenAI's named replacement for the retiring gpt-4o-mini snapshots.
DEFAULT_MODEL = "gpt-6-luna"

# OpenAI's reasoning families take ``reasoning_effort``; other models (local servers') may not.
_REASONING_FAMILY = re.compile(r"^(?:o\d|gpt-5|gpt-6)(?:[-.]|$)")

_FORMATS: dict[str, dict] = {
    "json_schema": {"response_format": {"type": "json_schema", "json_schema": {
        "name": "review", "strict": True, "schema": REPLY_SCHEMA}}},
    "json_object": {"response_format": {"type": "json_object"}},
    "none": {},
}

#: Request parameters an endpoint may refuse for a model; we then drop them and try again.
OPTIONAL_PARAMETERS = ("temperature", "reasoning_effort", "max_completion_tokens")


@dataclass(frozen=True)
class ModelSettings:
    """Where the model lives, how it is asked, and how long we wait for it.

    ``reasoning_effort="auto"`` sends ``none`` to OpenAI's reasoning families (gpt-5, gpt-6,
    o-series) and nothing to other models; ``"omit"`` never sends it.
    """

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    request_timeout: float = 20.0
    deadline: float = 45.0
    response_format: ResponseFormat = "json_schema"
    temperature: float = 0.2
    reasoning_effort: ReasoningEffort = "auto"
    max_completion_tokens: int | None = 4096

    @property
    def effort(self) -> str | None:
        """The ``reasoning_effort`` to send, or None to leave it out."""
        if self.reasoning_effort == "omit":
            return None
        if self.reasoning_effort == "auto":
            return "none" if is_reasoning_model(self.model) else None
        return self.reasoning_effort

    @property
    def takes_temperature(self) -> bool:
        """Reasoning models accept sampling parameters only with effort ``none``."""
        return self.effort in (None, "none")


def is_reasoning_model(model: str) -> bool:
    """True for OpenAI's reasoning families, which take ``reasoning_effort``."""
    return bool(_REASONING_FAMILY.match(model.lower()))


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` first, then ``retry-after``)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    for header, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = exc.response.headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue  # an HTTP date or garbage: fall back to our own backoff
    return None


def refused_parameter(exc: BaseException) -> str | None:
    """The optional request parameter a 400 says the model does not take, if any."""
    if not isinstance(exc, openai.BadRequestError):
        return None
    param = getattr(exc, "param", None)
    if param in OPTIONAL_PARAMETERS:
        return param
    message = str(getattr(exc, "message", "") or "")
    for name in OPTIONAL_PARAMETERS:
        if f"'{name}'" in message and ("nsupported" in message or "not supported" in message):
            return name
    return None


class _RefusedParameters:
    """Which optional parameters each model refused, for the life of the process."""

    def __init__(self) -> None:
        self._refused: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def get(self, model: str) -> frozenset[str]:
        with self._lock:
            return frozenset(self._refused.get(model, ()))

    def add(self, model: str, parameter: str) -> bool:
        """Remember the refusal; True the first time (so it is logged once)."""
        with self._lock:
            known = self._refused.setdefault(model, set())
            first = parameter not in known
            known.add(parameter)
            return first


REFUSED_PARAMETERS = _RefusedParameters()


def _nobody_listens(exc: BaseException) -> str | None:
    """``connection refused`` or ``unknown host`` when nothing can answer at that address:
    retrying until the deadline would only keep the person waiting for the offline review."""
    if not isinstance(exc, openai.APIConnectionError) or isinstance(exc, openai.APITimeoutError):
        return None
    cause = str(exc.__cause__ or "").lower()
    if "refused" in cause:
        return "connection refused"
    if "name or service not known" in cause or "nodename nor servname" in cause:
        return "unknown host"
    return None


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return _nobody_listens(exc) is None
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


class _ThreadClients:
    """One SDK client per thread, all with the same settings and TLS context.

    httpx's connection pool looks at every connection it holds, with a system call for each
    idle one, whenever a request starts and whenever a response is closed. With fifty reviews
    in flight through one client that scan cost more CPU than building the requests (about a
    sixth of a review's CPU, measured with yappi), and it grows with the burst. A thread's own
    client holds one connection, kept alive between its reviews.
    """

    def __init__(self, settings: ModelSettings) -> None:
        # Loading the CA certificates takes ~20 ms; done once, it makes a client 0.2 ms.
        self._tls = httpx2.create_ssl_context()
        self.template = openai.OpenAI(
            api_key=settings.api_key or "not-needed",
            base_url=settings.base_url,
            max_retries=0,  # tenacity retries; two layers would multiply the attempts
            timeout=settings.request_timeout,
            http_client=openai.DefaultHttpxClient(verify=self._tls),
        )
        self._local = threading.local()

    def get(self) -> openai.OpenAI:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.template.copy(http_client=openai.DefaultHttpxClient(verify=self._tls))
            self._local.client = client
        return client


class LLMReviewer:
    """Review drafts with a chat model; personal data never leaves unmasked."""

    def __init__(
        self,
        guidelines: GuidelineSet,
        prompts: Prompts,
        settings: ModelSettings,
        client: openai.OpenAI | None = None,
        waiting: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        """``waiting`` is entered around each request to the model, while the calling thread
        only waits for the answer: a caller that limits how many threads work at once lets
        another one work meanwhile."""
        self.guidelines = guidelines
        self._waiting = waiting
        self.prompts = prompts
        self.settings = settings
        # Tests and callers may bring their own client; otherwise each thread gets one.
        self._client = client
        self._clients = _ThreadClients(settings) if client is None else None
        # One system message per language (it carries that language's examples), each the
        # same from request to request so that providers can cache it.
        self._systems = {lang: prompts.system_message(guidelines, lang) for lang in LANGUAGES}

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def client(self) -> openai.OpenAI:
        """The SDK client for the calling thread."""
        if self._clients is not None:
            return self._clients.get()
        assert self._client is not None
        return self._client

    def review(self, draft: str, context: str | None = None) -> Review:
        """Ask the model for a review; raise :class:`ModelUnavailable` if none comes in time.

        Output that is not a valid review (garbage, an HTML page, no choices) is asked for
        once more before giving up.
        """
        redaction = Redaction(phone_regions(self.guidelines.languages))
        user = self.prompts.user_message(
            redaction.redact(draft), redaction.redact(context) if context else None
        )
        system = self._systems.get(detect_language(draft), self._systems["en"])
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                content, usage = completion_parts(self._complete(user, started, system))
                reply = ModelReply.model_validate_json(_strip_fences(content))
            except (ValidationError, openai.APIResponseValidationError, ValueError):
                # A 200 with a body that is not a chat completion lands here as well.
                log.warning("model answer was not a valid review (attempt %d)", attempt)
                continue
            return self._to_review(reply, draft, redaction, usage)
        raise ModelUnavailable("the model's answer was not a valid review")

    def _complete(self, user: str, started: float, system: str) -> bytes:
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
                    timeout = min(self.settings.request_timeout, remaining)
                    return self._create(user, timeout, system)
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ModelConfigError(
                f"the model endpoint refused the API key ({exc.status_code})"
            ) from None
        except openai.NotFoundError as exc:
            if getattr(exc, "code", None) == "model_not_found":
                raise ModelGone(
                    f"model {self.settings.model!r} does not exist at this endpoint "
                    "(retired or misspelled)"
                ) from None
            raise ModelConfigError(
                f"model {self.settings.model!r} or the endpoint URL was not found (404)"
            ) from None
        except openai.APITimeoutError:
            raise ModelUnavailable("the model timed out") from None
        except openai.APIConnectionError as exc:
            reason = _nobody_listens(exc)
            raise ModelUnavailable(
                "cannot reach the model endpoint" + (f": {reason}" if reason else "")
            ) from None
        except openai.APIStatusError as exc:
            asked = _retry_after(exc)
            if _is_transient(exc) and asked is not None:
                left = deadline - (time.monotonic() - started)
                if asked > left:
                    raise ModelBusy(
                        f"the model endpoint asked us to wait {asked:.0f} s "
                        f"({exc.status_code})", asked
                    ) from None
            raise ModelUnavailable(f"the model endpoint answered {exc.status_code}") from None
        raise ModelUnavailable("the model did not answer before the deadline")

    def _create(self, user: str, timeout: float, system: str) -> bytes:
        """One request, answered with the raw body; a parameter the model refuses is dropped
        and the request sent again.

        The request goes through the SDK client (its base URL, headers, key, timeout and error
        types, so Azure and local servers work as before), but to ``/chat/completions`` with
        the body as plain JSON and the answer as bytes: the typed ``create()`` walks every
        parameter through its type annotations before sending (about 1 ms of CPU a review)
        and builds response models we would only read two fields of.
        """
        for _ in range(len(OPTIONAL_PARAMETERS) + 1):
            body = {
                "model": self.settings.model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                **self._parameters(),
                **self._format(),
            }
            try:
                with self._waiting():
                    return self.client.post("/chat/completions", body=body, cast_to=bytes,
                                            options={"timeout": timeout,
                                                     "security": {"bearer_auth": True}})
            except openai.BadRequestError as exc:
                parameter = refused_parameter(exc)
                if parameter is None or parameter in REFUSED_PARAMETERS.get(self.model):
                    raise
                if REFUSED_PARAMETERS.add(self.model, parameter):
                    log.warning("model %s does not take %r; sending requests without it",
                                self.model, parameter)
        raise ModelConfigError(f"model {self.model!r} refused every optional parameter")

    def _parameters(self) -> dict:
        """The optional parameters this model is known to take."""
        refused = REFUSED_PARAMETERS.get(self.model)
        settings = self.settings
        parameters: dict = {}
        if settings.takes_temperature and "temperature" not in refused:
            parameters["temperature"] = settings.temperature
        if settings.effort is not None and "reasoning_effort" not in refused:
            parameters["reasoning_effort"] = settings.effort
        if settings.max_completion_tokens and "max_completion_tokens" not in refused:
            parameters["max_completion_tokens"] = settings.max_completion_tokens
        return parameters

    def _format(self) -> dict:
        return _FORMATS[self.settings.response_format]

    def _to_review(self, reply: ModelReply, draft: str, redaction: Redaction,
                   usage: dict) -> Review:
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
            **token_counts(usage),
        )


def completion_parts(body: bytes) -> tuple[str, dict]:
    """The first choice's text and the ``usage`` of a Chat Completions answer; ValueError when
    the body is not one (an HTML page, a truncated body, no choices, no text)."""
    data = json.loads(body)
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("the answer has no choices")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ValueError("the first choice has no text")
    usage = data.get("usage")
    return content, usage if isinstance(usage, dict) else {}


def token_counts(usage: dict) -> dict[str, int]:
    """Prompt, cached, completion and reasoning tokens from a completion's ``usage``.

    ``completion_tokens`` is everything billed as output; ``reasoning_tokens`` is the part of
    it the model spent thinking, which never shows in the answer.
    """
    def number(holder: object, name: str) -> int:
        value = holder.get(name, 0) if isinstance(holder, dict) else 0
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return {
        "prompt_tokens": number(usage, "prompt_tokens"),
        "cached_tokens": number(usage.get("prompt_tokens_details"), "cached_tokens"),
        "completion_tokens": number(usage, "completion_tokens"),
        "reasoning_tokens": number(usage.get("completion_tokens_details"), "reasoning_tokens"),
    }


def _strip_fences(content: str) -> str:
    """Some local servers wrap JSON in Markdown fences; take what is inside."""
    match = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", content, re.DOTALL)
    return match.group(1) if match else content

