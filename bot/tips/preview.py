"""``tone-coach tips preview``: today's tip in the terminal, to check the tips file by eye."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.coaching.guidelines import LANGUAGES, GuidelineError, load_guidelines
from bot.tips.catalog import TipsError, load_tips
from bot.tips.choose import cycle_order
from bot.tips.view import tip_plain_text, tip_view

# Any fixed name: the preview stands for no channel, only for "a channel on this date".
PREVIEW_SEED = "preview"


def preview(
    lang: str,
    guidelines_file: Path | None = None,
    tips_file: Path | None = None,
    today: date | None = None,
) -> int:
    """Print the day's tip in ``lang`` as plain text; returns the exit code (2: bad input)."""
    if lang not in LANGUAGES:
        print(f"tone-coach: error: unknown language {lang!r}: use {', '.join(LANGUAGES)}",
              file=sys.stderr)
        return 2
    try:
        guidelines = load_guidelines(guidelines_file)
        catalog = load_tips(tips_file, guidelines=guidelines)
    except (GuidelineError, TipsError) as exc:
        print(f"tone-coach: error: {exc}", file=sys.stderr)
        return 2
    # Walks a fixed cycle one tip per calendar day, so each day previews a different tip.
    day = (today or date.today()).toordinal()
    cycle, position = divmod(day, len(catalog.tips))
    tip = cycle_order(catalog, PREVIEW_SEED, cycle)[position]
    title = guidelines[tip.guideline].localized_title(lang)
    print(tip_plain_text(tip_view(tip, lang, title)))
    return 0
