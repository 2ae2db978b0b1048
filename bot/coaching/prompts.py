"""Prompt templates are files under ``prompts/``; this module fills them in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from string import Template

from bot import PROMPTS_DIR
from bot.coaching.guidelines import Guideline, GuidelineSet


class PromptError(ValueError):
    """A prompt template that cannot be used; the message names the file and placeholder."""


@dataclass(frozen=True)
class Prompts:
    """The system prompt (the same for every draft) and the per-draft user message."""

    system: Template
    user: Template

    def system_message(self, guidelines: GuidelineSet, language: str = "en") -> str:
        """The system prompt with the guidelines, their examples and replacements spelled out.

        The examples and replacement wordings are those of ``language`` (English when the
        guideline has none in it). Nothing in it depends on the draft beyond its language, so
        the prompt for one language is an identical prefix across requests and providers can
        cache it.
        """
        blocks = [_guideline_block(guideline, language) for guideline in guidelines.guidelines]
        return self.system.substitute(guidelines="\n\n".join(blocks)).strip()

    def user_message(self, draft: str, context: str | None) -> str:
        """The user message: draft and context as a JSON object, so they stay data."""
        data = {"customer_message": context or "", "draft": draft}
        return self.user.substitute(data=json.dumps(data, ensure_ascii=False, indent=2)).strip()


def _guideline_block(guideline: Guideline, language: str) -> str:
    lines = [f"- `{guideline.id}` ({guideline.title['en']}): {guideline.description}"]
    examples = [e for e in guideline.examples if e.lang == language] or [
        e for e in guideline.examples if e.lang == "en"
    ]
    for example in examples:
        lines.append(f"  - weak: {json.dumps(example.bad, ensure_ascii=False)}")
        lines.append(f"    better: {json.dumps(example.good, ensure_ascii=False)}")
    replacements = guideline.replacements.get(language) or []
    if replacements:
        lines.append("  - replacement wordings (regular expression -> replacement):")
        for item in replacements:
            lines.append(f"    - {json.dumps(item.find, ensure_ascii=False)} -> "
                         f"{json.dumps(item.replace, ensure_ascii=False)}")
    return "\n".join(lines)


def load_prompts(folder: Path | None = None) -> Prompts:
    """Load ``system.md`` and ``user.md``, checking each has the placeholder it needs."""
    folder = folder or PROMPTS_DIR
    return Prompts(
        system=_template(folder / "system.md", "guidelines"),
        user=_template(folder / "user.md", "data"),
    )


def _template(path: Path, placeholder: str) -> Template:
    try:
        template = Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(f"{path}: cannot read prompt: {exc.strerror}") from None
    if not template.is_valid():
        raise PromptError(f"{path}: a '$' that is not a placeholder (write '$$' for a dollar)")
    if placeholder not in template.get_identifiers():
        raise PromptError(f"{path}: missing the ${placeholder} placeholder")
    return template
