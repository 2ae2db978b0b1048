"""The daily tips are data (``prompts/tips.yaml``), validated when they are loaded."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import PROMPTS_DIR
from bot.coaching.guidelines import GuidelineSet, load_guidelines
from bot.datafile import Localized, describe, read_yaml, require_languages

DEFAULT_TIPS = PROMPTS_DIR / "tips.yaml"


class TipsError(ValueError):
    """A tips file that cannot be used; the message names the file, the tip and the field."""


class Tip(BaseModel):
    """One tip: a practical sentence and a before/after example, in every team language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    guideline: str = Field(min_length=1)
    text: Localized
    before: Localized
    after: Localized

    @field_validator("text", "before", "after")
    @classmethod
    def _every_language(cls, value: Localized) -> Localized:
        return require_languages(value)


class TipCatalog(BaseModel):
    """Every tip, in the order the file lists them."""

    tips: list[Tip] = Field(min_length=1)
    source: str = ""

    @cached_property
    def by_id(self) -> dict[str, Tip]:
        return {tip.id: tip for tip in self.tips}

    @property
    def ids(self) -> list[str]:
        return [tip.id for tip in self.tips]

    def __getitem__(self, tip_id: str) -> Tip:
        return self.by_id[tip_id]


def load_tips(
    path: Path | str | None = None, guidelines: GuidelineSet | None = None
) -> TipCatalog:
    """Read and validate a tips file against ``guidelines`` (default: the guidelines file).

    Raises :class:`TipsError` naming the file, the tip and the field at fault.
    """
    path = Path(path) if path else DEFAULT_TIPS
    data = read_yaml(path, TipsError, "tips")
    raw = data.get("tips") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise TipsError(f"{path}: expected a top-level 'tips:' list")
    try:
        catalog = TipCatalog(tips=raw, source=str(path))
    except ValidationError as exc:
        raise TipsError(describe(path, raw, exc, "tips", "tip")) from None
    _check_ids(path, catalog)
    _check_guidelines(path, catalog, guidelines or load_guidelines())
    return catalog


def _check_ids(path: Path, catalog: TipCatalog) -> None:
    seen: set[str] = set()
    for tip in catalog.tips:
        if tip.id in seen:
            raise TipsError(f"{path}: tip {tip.id!r}: field 'id': duplicate id")
        seen.add(tip.id)


def _check_guidelines(path: Path, catalog: TipCatalog, guidelines: GuidelineSet) -> None:
    for tip in catalog.tips:
        if tip.guideline not in guidelines:
            raise TipsError(
                f"{path}: tip {tip.id!r}: field 'guideline': unknown guideline "
                f"{tip.guideline!r}; the guidelines are {', '.join(guidelines.ids)}"
            )
        # The file's own rule ("guideline must match the id"): catches a tip copied from
        # another guideline whose guideline field was left unchanged.
        if not tip.id.startswith(tip.guideline + "-"):
            raise TipsError(
                f"{path}: tip {tip.id!r}: field 'id': must start with its guideline "
                f"{tip.guideline!r}, e.g. {tip.guideline}-1"
            )
