"""The result of reviewing one draft, shared by every reviewer engine."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["ok", "needs_work"]
Engine = Literal["llm", "offline"]


class Finding(BaseModel):
    """One place where the draft goes against a guideline."""

    guideline: str = Field(description="Id of the guideline, e.g. 'dont-argue'.")
    quote: str = Field(description="The exact span of the draft that breaks the guideline.")
    explanation: str = Field(description="One sentence, in the draft's language, saying why.")


class Review(BaseModel):
    """A reviewed draft: the verdict, what was found and a rewrite ready to paste."""

    verdict: Verdict
    language: str = Field(description="ISO 639-1 code of the draft's language.")
    findings: list[Finding] = Field(default_factory=list)
    rewrite: str = Field(description="The improved reply; the draft itself when it is ok.")
    engine: Engine
    model: str | None = Field(default=None, description="Model name when the LLM reviewed it.")
    note: str | None = Field(default=None, description="A remark for the user, e.g. a fallback.")
    prompt_tokens: int = 0
    cached_tokens: int = Field(default=0, description="Prompt tokens served from the cache.")
    completion_tokens: int = Field(default=0, description="All output tokens, reasoning included.")
    reasoning_tokens: int = Field(default=0, description="Output tokens spent on reasoning.")
    fallback: bool = Field(
        default=False,
        description="True when a model is configured but failed, so the offline reviewer answered.",
    )
    retry_model_after: float | None = Field(
        default=None,
        description="Set on an offline fallback when the model asked us to wait: seconds after "
        "which asking it again may give the AI review.",
    )

    @property
    def guideline_ids(self) -> list[str]:
        """Ids of the guidelines found, each once, in order of first appearance."""
        return list(dict.fromkeys(f.guideline for f in self.findings))

    def public_dict(self) -> dict:
        """The review as the documented JSON shape (``--json``)."""
        return self.model_dump(
            include={"verdict", "language", "findings", "rewrite", "engine", "model", "note"}
        )
