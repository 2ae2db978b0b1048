"""Prompt templates are files under ``prompts/``; this module fills them in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from string import Template

from bot import PROMPTS_DIR
from bot.coaching.guidelines import GuidelineSet


class PromptError(ValueError):
    """A prompt template that cannot be used; the message names the file and placeholder."""


@dataclass(frozen=True)
class Prompts:
    """The system prompt (the same for every draft) and the per-draft user message."""

    system: Template
    user: Template

    def system_message(self, guidelines: GuidelineSet) -> str:
        """The system prompt with the guidelines spelled out.

        It holds nothing draft-specific, so it is an identical prefix across requests and
        providers can cache it.
        """
        lines = []
        for guideline in guidelines.guidelines:
            lines.append(f"- `{guideline.id}` ({guideline.title['en']}): {guideline.description}")
        return self.system.substitute(guidelines="\n".join(lines)).strip()

    def user_message(self, draft: str, context: str | None) -> str:
        """The user message: draft and context as a JSON object, so they stay data."""
        data = {"customer_message": context or "", "draft": draft}
        return self.user.substitute(data=json.dumps(data, ensure_ascii=False, indent=2)).strip()


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
