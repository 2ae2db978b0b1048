"""The digest's words (``prompts/digest.yaml``), validated at load, and the digest as text.

The text is plain: the Slack layer escapes it and adds its own emphasis, the terminal prints
it as it is. It never contains an agent's name or id.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot import PROMPTS_DIR
from bot.datafile import LANGUAGES, Localized, describe, read_yaml, require_languages
from bot.digest.figures import EMPTY, HIDDEN, Digest, Week
from bot.storage.records import ENGINES, ENTRY_POINTS

DEFAULT_TEXTS = PROMPTS_DIR / "digest.yaml"
ARROWS = {"up": "↑", "down": "↓", "steady": "→"}

#: Every key the digest uses, with the placeholders its text must keep.
KEYS: dict[str, set[str]] = {
    "title": set(),
    "scope": {"start", "end", "timezone"},
    "empty_week": set(),
    "hidden_week": set(),
    "drafts": {"drafts", "agents"},
    "by_entry_point": set(),
    **{f"entry_{ep}": set() for ep in ENTRY_POINTS},
    "fine_first": {"share"},
    "fine_change": {"change"},
    "no_comparison": set(),
    "guidelines_heading": set(),
    "guideline_line": {"title", "this_week", "baseline", "arrow"},
    "votes_heading": set(),
    "votes_line": {"engine", "helpful", "unhelpful"},
    "no_votes": set(),
    **{f"engine_{engine}": set() for engine in ENGINES},
    "fallbacks": {"count"},
    "median": {"seconds"},
    "hidden_cell": set(),
    "unknown": set(),
    "chart_caption": {"weeks"},
    "chart_fine_axis": set(),
    "chart_guidelines_axis": set(),
    "chart_week_axis": set(),
    "alt_intro": {"weeks", "first", "last"},
    "alt_fine": {"values"},
    "alt_guideline": {"title", "values"},
    "alt_gap": set(),
}


class DigestTextsError(ValueError):
    """A digest texts file that cannot be used; the message names the file, text and field."""


class DigestTexts(BaseModel):
    """Every digest text in every team language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    texts: dict[str, Localized]
    source: str = ""

    @field_validator("texts")
    @classmethod
    def _complete(cls, texts: dict[str, Localized]) -> dict[str, Localized]:
        missing = sorted(set(KEYS) - set(texts))
        if missing:
            raise ValueError(f"missing text(s): {', '.join(missing)}")
        unknown = sorted(set(texts) - set(KEYS))
        if unknown:
            raise ValueError(f"unknown text(s): {', '.join(unknown)}")
        for key, localized in texts.items():
            try:
                require_languages(localized)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
            for language in LANGUAGES:
                found = _placeholders(localized[language])
                if found != KEYS[key]:
                    want = ", ".join(sorted(KEYS[key])) or "none"
                    raise ValueError(
                        f"{key}.{language}: placeholders must be {{{want}}}, found "
                        f"{{{', '.join(sorted(found)) or 'none'}}}"
                    )
        return texts

    def __call__(self, key: str, language: str, **values: object) -> str:
        text = self.texts[key].get(language) or self.texts[key]["en"]
        return text.format(**values) if values else text


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # an unmatched brace
        return {"<unbalanced braces>"}


@cache
def load_digest_texts(path: Path | None = None) -> DigestTexts:
    """Read and validate the digest texts (default: the bundled file, or the one set with
    ``TONE_COACH_DIGEST_TEXTS``); :class:`DigestTextsError` says what is wrong."""
    path = Path(path) if path else DEFAULT_TEXTS
    data = read_yaml(path, DigestTextsError, "digest texts")
    raw = data.get("texts") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise DigestTextsError(f"{path}: expected a top-level 'texts:' mapping")
    try:
        return DigestTexts(texts=raw, source=str(path))
    except ValidationError as exc:
        raise DigestTextsError(describe(path, raw, exc, "texts", "text")) from None


# -- the digest as text ---------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    heading: str | None
    lines: list[str]


@dataclass(frozen=True)
class DigestText:
    title: str
    sections: list[Section]

    def plain(self) -> str:
        """For a terminal, or a notification's fallback text."""
        parts = [self.title]
        for section in self.sections:
            parts.append("")
            if section.heading:
                parts.append(section.heading)
            parts += [f"  {line}" if section.heading else line for line in section.lines]
        return "\n".join(parts)


def number(value: float, language: str, digits: int = 1) -> str:
    """``12.5`` in English, ``12,5`` in the other team languages."""
    text = f"{value:.{digits}f}"
    return text if language == "en" else text.replace(".", ",")


def percent(share: float, language: str) -> str:
    return f"{round(share * 100)}%"


def render_digest(digest: Digest, texts: DigestTexts, language: str,
                  titles: dict[str, str]) -> DigestText:
    """The digest's words in ``language``; ``titles`` are the guidelines' titles in it."""
    t = lambda key, **values: texts(key, language, **values)  # noqa: E731
    week = digest.this_week
    scope = t("scope", start=week.start.isoformat(), end=week.end.isoformat(),
              timezone=digest.timezone)
    sections = [Section(None, [scope])]
    if week.status == EMPTY:
        sections.append(Section(None, [t("empty_week")]))
        return DigestText(t("title"), sections)
    if week.status == HIDDEN:
        sections.append(Section(None, [t("hidden_week")]))
        return DigestText(t("title"), sections)
    hidden = t("hidden_cell")
    sections.append(Section(None, [t("drafts", drafts=week.drafts, agents=week.agents)]))
    sections.append(Section(t("by_entry_point"), [
        f"{t('entry_' + ep)}: {hidden if count is None else count}"
        for ep, count in week.entry_points.items()
    ]))
    change = digest.fine_change
    compared = (t("no_comparison") if change is None
                else t("fine_change", change=_signed(change * 100, language)))
    fine = t("fine_first", share=percent(week.fine_share or 0.0, language))
    sections.append(Section(None, [f"{fine} ({compared})"]))
    sections.append(Section(t("guidelines_heading"), [
        t("guideline_line", title=titles.get(trend.guideline, trend.guideline),
          this_week=_rate(trend.this_week, language, hidden),
          baseline=_rate(trend.baseline, language, t("unknown")),
          arrow=ARROWS.get(trend.direction or "", "")).rstrip()
        for trend in digest.trends()
    ]))
    votes = [
        t("votes_line", engine=t("engine_" + engine), helpful=cell[0], unhelpful=cell[1])
        if cell else f"{t('engine_' + engine)}: {hidden}"
        for engine, cell in week.votes.items()
    ]
    sections.append(Section(t("votes_heading"), votes or [t("no_votes")]))
    other = [t("fallbacks", count=hidden if week.fallbacks is None else week.fallbacks)]
    if week.median_seconds is not None:
        other.append(t("median", seconds=number(week.median_seconds, language)))
    sections.append(Section(None, other))
    return DigestText(t("title"), sections)


def alt_text(digest: Digest, texts: DigestTexts, language: str,
             titles: dict[str, str]) -> str:
    """What the chart shows, in words, for screen readers (Slack allows 1,000 characters)."""
    t = lambda key, **values: texts(key, language, **values)  # noqa: E731
    gap = t("alt_gap")

    def series(values: list[float | None]) -> str:
        return ", ".join(gap if v is None else number(v, language, 0) for v in values)

    weeks = digest.weeks
    lines = [
        t("alt_intro", weeks=len(weeks), first=weeks[0].start.isoformat(),
          last=weeks[-1].start.isoformat()),
        t("alt_fine", values=series([fine_percent(w) for w in weeks])),
    ]
    for guideline in digest.top_guidelines():
        lines.append(t("alt_guideline", title=titles.get(guideline, guideline),
                       values=series([rate(w, guideline) for w in weeks])))
    return " ".join(lines)[:1000]


def fine_percent(week: Week) -> float | None:
    return None if week.fine_share is None else week.fine_share * 100


def rate(week: Week, guideline: str) -> float | None:
    return week.per_100.get(guideline) if week.shown else None


def _rate(value: float | None, language: str, missing: str) -> str:
    return missing if value is None else number(value, language)


def _signed(value: float, language: str) -> str:
    text = number(abs(value), language)
    if text.strip("0.,") == "":
        return text
    return f"+{text}" if value > 0 else f"−{text}"
