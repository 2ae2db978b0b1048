"""Guidelines are data: a YAML file a support lead edits, validated when it is loaded."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import PROMPTS_DIR

LANGUAGES = ("en", "ru", "pl", "et", "uk")
DEFAULT_GUIDELINES = PROMPTS_DIR / "guidelines.yaml"

Localized = dict[str, str]
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

    @field_validator("patterns", "unless", "context", "required")
    @classmethod
    def _regexes_compile(cls, value: PatternSet) -> PatternSet:
        for lang, patterns in value.items():
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{lang}: bad pattern {pattern!r}: {exc}") from None
        return value


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

    @field_validator("title", "explanation", "fix")
    @classmethod
    def _every_language(cls, value: Localized) -> Localized:
        missing = [lang for lang in LANGUAGES if not str(value.get(lang, "")).strip()]
        if missing:
            raise ValueError(f"missing language(s): {', '.join(missing)}")
        return value

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

    def __getitem__(self, guideline_id: str) -> Guideline:
        return self.by_id[guideline_id]

    def __contains__(self, guideline_id: object) -> bool:
        return guideline_id in self.by_id


def guidelines_path() -> Path:
    """The guidelines file in use: ``TONE_COACH_GUIDELINES`` or the bundled one."""
    return Path(os.environ.get("TONE_COACH_GUIDELINES") or DEFAULT_GUIDELINES)


def load_guidelines(path: Path | str | None = None) -> GuidelineSet:
    """Read and validate a guidelines file.

    Raises :class:`GuidelineError` naming the file, the guideline and the field at fault.
    """
    path = Path(path) if path else guidelines_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GuidelineError(f"{path}: cannot read guidelines file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise GuidelineError(f"{path}: not valid YAML: {_one_line(exc)}") from None
    if not isinstance(data, dict) or "guidelines" not in data:
        raise GuidelineError(f"{path}: expected a top-level 'guidelines:' list")
    try:
        return GuidelineSet(guidelines=data["guidelines"], source=str(path))
    except ValidationError as exc:
        raise GuidelineError(_describe(path, data["guidelines"], exc)) from None


def _describe(path: Path, raw: object, exc: ValidationError) -> str:
    """Turn pydantic's error into 'file: guideline 'id': field: problem'."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = ""
    if loc[:1] == ["guidelines"] and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        entry = raw[index] if isinstance(raw, list) and index < len(raw) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        where = f"guideline {name!r}" if name else f"guideline #{index + 1}"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "guidelines"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {where + ': ' if where else ''}field '{field}': {message}"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
