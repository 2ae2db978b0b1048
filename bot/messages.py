"""Short texts the app shows people, in each team language (``prompts/messages.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot import PROMPTS_DIR
from bot.datafile import read_yaml

MESSAGES_FILE = PROMPTS_DIR / "messages.yaml"


class MessagesError(ValueError):
    """A messages file that cannot be used; the message names the file and key."""


@cache
def load_messages(path: Path = MESSAGES_FILE) -> dict[str, dict[str, str]]:
    """Read the messages file; every entry must have an English text to fall back on."""
    data = read_yaml(path, MessagesError, "messages")
    entries = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise MessagesError(f"{path}: expected a top-level 'messages:' mapping")
    for key, texts in entries.items():
        if not isinstance(texts, dict) or not str(texts.get("en", "")).strip():
            raise MessagesError(f"{path}: message '{key}': field 'en' is missing")
    return entries


def message(key: str, language: str, **values: str) -> str:
    """The text for ``key`` in ``language`` (English when that language lacks it)."""
    texts = load_messages()[key]
    text = texts.get(language) or texts["en"]
    return text.format(**values) if values else text
