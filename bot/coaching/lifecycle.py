"""Is the configured model still being served? Asked once at start-up, never per review.

OpenAI's ``GET /v1/models/{id}`` carries a ``shutdown_date`` for models on their way out; a
model already gone answers 404 ``model_not_found``. Many local servers have no models endpoint
at all, and that is fine: the check is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Literal

import openai

log = logging.getLogger(__name__)

#: Warn this many days before a model's shutdown date.
WARN_DAYS = 60

ModelState = Literal["current", "retiring", "retired", "gone", "unchecked"]


@dataclass(frozen=True)
class ModelStatus:
    """What the endpoint says about one model."""

    model: str
    state: ModelState
    shutdown_date: date | None = None
    replacement: str | None = None
    reason: str | None = None  # why it could not be checked, for the log

    @property
    def usable(self) -> bool:
        return self.state not in ("retired", "gone")

    def warning(self, today: date | None = None) -> str | None:
        """One line for the log, stderr and App Home; None when there is nothing to say."""
        switch = f"; OpenAI recommends {self.replacement}" if self.replacement else ""
        if self.state == "gone":
            return (f"model {self.model!r} does not exist at this endpoint (retired or "
                    f"misspelled): set OPENAI_MODEL to a current model{switch}")
        if self.state == "retired":
            return (f"model {self.model!r} was shut down on {self.shutdown_date}{switch}: "
                    "set OPENAI_MODEL to a current model")
        if self.state == "retiring":
            days = (self.shutdown_date - (today or date.today())).days  # type: ignore[operator]
            return (f"model {self.model!r} shuts down on {self.shutdown_date} (in {days} "
                    f"days){switch}: set OPENAI_MODEL before then")
        return None


def check_model(
    client: openai.OpenAI, model: str, *, today: date | None = None, timeout: float = 5.0
) -> ModelStatus:
    """Look ``model`` up once; never raises (an unreachable endpoint is ``unchecked``)."""
    today = today or date.today()
    try:
        answer = client.with_options(max_retries=0, timeout=timeout).models.retrieve(model)
    except openai.NotFoundError as exc:
        if getattr(exc, "code", None) == "model_not_found":
            return ModelStatus(model, "gone")
        return ModelStatus(model, "unchecked", reason="the endpoint has no models list")
    except openai.APIStatusError as exc:
        return ModelStatus(model, "unchecked", reason=f"the models endpoint answered "
                           f"{exc.status_code}")
    except (openai.APIError, ValueError) as exc:  # connection errors, a body that isn't JSON
        return ModelStatus(model, "unchecked", reason=type(exc).__name__)
    shutdown = _parse_date(getattr(answer, "shutdown_date", None))
    replacement = _replacement(answer)
    if shutdown is None:
        return ModelStatus(model, "current", replacement=replacement)
    if shutdown <= today:
        return ModelStatus(model, "retired", shutdown, replacement)
    if (shutdown - today).days <= WARN_DAYS:
        return ModelStatus(model, "retiring", shutdown, replacement)
    return ModelStatus(model, "current", shutdown, replacement)


def _parse_date(value: object) -> date | None:
    if isinstance(value, int | float):  # a Unix timestamp, as some servers send
        from datetime import UTC, datetime

        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            log.info("the models endpoint sent a shutdown date we cannot read: %r", value[:40])
    return None


def _replacement(answer: object) -> str | None:
    extra = getattr(answer, "model_extra", None) or {}
    for name in ("replacement", "recommended_replacement", "replacement_model"):
        value = extra.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return None
