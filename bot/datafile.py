"""What the data files under ``prompts/`` share: reading YAML, every language present, and
turning a validation error into one line naming the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

#: The team languages every text in the data files comes in.
LANGUAGES = ("en", "ru", "pl", "et", "uk")

Localized = dict[str, str]


def read_yaml(path: Path, error: type[ValueError], what: str) -> object:
    """The parsed file, or ``error`` with one line saying why it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read {what} file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None


def require_languages(value: Localized) -> Localized:
    """A pydantic validator's body: every team language has a non-empty text."""
    missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"missing language(s): {', '.join(missing)}")
    return value


def describe(path: Path, raw: object, exc: ValidationError, key: str, entry: str) -> str:
    """Pydantic's first error as 'file: <entry> 'id': field 'x.y': problem'.

    ``key`` is the file's top-level list (``guidelines``), ``entry`` what one item is called.
    """
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = ""
    if loc[:1] == [key] and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        item = raw[index] if isinstance(raw, list) and index < len(raw) else None
        name = item.get("id") if isinstance(item, dict) else None
        where = f"{entry} {name!r}" if name else f"{entry} #{index + 1}"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or key
    problem = error["msg"].removeprefix("Value error, ")
    return f"{path}: {where + ': ' if where else ''}field '{field}': {problem}"
