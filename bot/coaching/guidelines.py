"""Guidelines are data: a YAML file a support lead edits, validated when it is loaded."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import PROMPTS_DIR
from bot.datafile import LANGUAGES, Localized, describe, read_yaml, require_languages

DEFAULT_GUIDELINES = PROMPTS_DIR / "guidelines.yaml"
PatternSet = dict[str, list[str]]


class GuidelineError(ValueError):
    """A guidelines file that cannot be used; the message names the file, guideline and field."""


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: str
    bad: str = Field(min_length=1)
    good: str = Field(min_length=1)


class OfflineRules(BaseModel):
    """Phrase patterns for the offline reviewer, per language (see prompts/guidelines.yaml)."""

    model_config = ConfigDict(extra="forbid")

    patterns: PatternSet = Field(default_factory=dict)
    unless: PatternSet = Field(default_factory=dict)
    context: PatternSet = Field(default_factory=dict)
    required: PatternSet = Field(default_factory=dict)
    #: Stock phrases that match `required` but do not satisfy it on their own.
    hollow: PatternSet = Field(default_factory=dict)
    #: Phrases that clear the sentence they are in: one that takes the blame on us ("that's
    #: our mistake"), or spares the customer the trouble, is no violation of the guideline,
    #: whatever else in it looks like one.
    spares: PatternSet = Field(default_factory=dict)
    #: A signal of the trained customer classifier that also makes `required` apply.
    customer: Literal["upset", "feedback", "rude"] | None = None
    #: The classifier score from which a sentence with a smile in it (🙂, 😉, :wink:, ";)")
    #: is flagged, when lower than the guideline's own threshold: a smile after a jab reads as
    #: mockery, and the classifier alone scores such sentences too mildly.
    smiley_threshold: float | None = Field(None, gt=0.0, lt=1.0)

    @field_validator("patterns", "unless", "context", "required", "hollow", "spares")
    @classmethod
    def _regexes_compile(cls, value: PatternSet) -> PatternSet:
        for lang, patterns in value.items():
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{lang}: bad pattern {pattern!r}: {exc}") from None
        return value


class Replacement(BaseModel):
    """A flagged phrase and the wording the offline rewrite puts in its place."""

    model_config = ConfigDict(extra="forbid")

    find: str = Field(min_length=1)
    replace: str

    @field_validator("find")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad pattern {value!r}: {exc}") from None
        return value


#: What kind of sentence the offline rewrite may add for a guideline (at most one of each).
AddedKind = Literal["thanks", "empathy", "next_step"]


class Guideline(BaseModel):
    """One rule of tone, with everything each reviewer engine needs to apply it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: Localized
    description: str = Field(min_length=1)
    why: str = Field(min_length=1)
    explanation: Localized
    fix: Localized
    examples: list[Example] = Field(min_length=1)
    offline: OfflineRules = Field(default_factory=OfflineRules)
    replacements: dict[str, list[Replacement]] = Field(default_factory=dict)
    adds: AddedKind | None = None
    #: The sentence to add instead of `fix` once the draft says the problem is solved.
    fix_when_solved: Localized | None = None

    @field_validator("title", "explanation", "fix")
    @classmethod
    def _every_language(cls, value: Localized) -> Localized:
        return require_languages(value)

    @field_validator("fix_when_solved")
    @classmethod
    def _every_language_if_given(cls, value: Localized | None) -> Localized | None:
        return require_languages(value) if value is not None else None

    def localized_title(self, language: str) -> str:
        return self.title.get(language) or self.title["en"]


class GuidelineSet(BaseModel):
    """The team's guidelines, in the order the file lists them."""

    guidelines: list[Guideline] = Field(min_length=1)
    source: str = ""

    @field_validator("guidelines")
    @classmethod
    def _unique_ids(cls, value: list[Guideline]) -> list[Guideline]:
        ids = [g.id for g in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate id(s): {', '.join(duplicates)}")
        return value

    @cached_property
    def by_id(self) -> dict[str, Guideline]:
        return {g.id: g for g in self.guidelines}

    @property
    def ids(self) -> list[str]:
        return [g.id for g in self.guidelines]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the guidelines are written in, in file order."""
        return tuple(dict.fromkeys(lang for g in self.guidelines for lang in g.title))

    def __getitem__(self, guideline_id: str) -> Guideline:
        return self.by_id[guideline_id]

    def __contains__(self, guideline_id: object) -> bool:
        return guideline_id in self.by_id


def load_guidelines(path: Path | str | None = None) -> GuidelineSet:
    """Read and validate a guidelines file.

    Raises :class:`GuidelineError` naming the file, the guideline and the field at fault.
    """
    path = Path(path) if path else DEFAULT_GUIDELINES
    data = read_yaml(path, GuidelineError, "guidelines")
    if not isinstance(data, dict) or "guidelines" not in data:
        raise GuidelineError(f"{path}: expected a top-level 'guidelines:' list")
    try:
        return GuidelineSet(guidelines=data["guidelines"], source=str(path))
    except ValidationError as exc:
        raise GuidelineError(
            describe(path, data["guidelines"], exc, "guidelines", "guideline")
        ) from None


__all__ = ["LANGUAGES", "GuidelineError", "GuidelineSet", "load_guidelines"]
