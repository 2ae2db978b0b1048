"""Which tip a channel gets today: rotation without repeats, leaning toward the team's findings.

Everything here is a pure function of its inputs, so two app instances looking at the same
database choose the same tip (the database claim still decides who posts it).
"""

from __future__ import annotations

import random

from bot.tips.catalog import Tip, TipCatalog


def cycle_state(catalog: TipCatalog, history: list[str]) -> tuple[int, set[str]]:
    """(number of completed cycles, ids posted so far in the current cycle).

    A cycle ends once every tip in the catalog has been posted; ids no longer in the
    catalog are ignored, and tips added to the file join the current cycle.
    """
    every = set(catalog.ids)
    cycles, seen = 0, set()
    for tip_id in history:
        if tip_id in every:
            seen.add(tip_id)
        if seen == every:
            cycles, seen = cycles + 1, set()
    return cycles, seen


def cycle_order(catalog: TipCatalog, channel_id: str, cycle: int) -> list[Tip]:
    """The catalog in a fixed shuffled order for this channel and cycle.

    Seeded by channel and cycle so that channels differ from each other and each cycle
    differs from the last, yet every instance computes the same order.
    """
    order = list(catalog.tips)
    random.Random(f"{channel_id}/{cycle}").shuffle(order)
    return order


def choose_tip(
    catalog: TipCatalog,
    language: str,
    history: list[str],
    top_guidelines: list[tuple[str, int]],
    channel_id: str,
) -> tuple[Tip, str | None]:
    """Today's tip, and the guideline it was chosen for when it follows the team's findings.

    ``history`` is the channel's posted tip ids, oldest first; ``top_guidelines`` is
    (guideline id, count) most frequent first, as ``Storage.team_top_guidelines`` returns it.
    ``language`` does not narrow the choice: the catalog guarantees every tip speaks every
    team language, so a channel keeps its cycle when its language changes.
    """
    cycle, seen = cycle_state(catalog, history)
    remaining = [tip for tip in cycle_order(catalog, channel_id, cycle) if tip.id not in seen]
    if not seen and history:
        # A new cycle must not open with the tip that closed the last one.
        remaining.sort(key=lambda tip: tip.id == history[-1])
    for guideline in most_frequent(top_guidelines):
        for tip in remaining:
            if tip.guideline == guideline:
                return tip, guideline
    return remaining[0], None


def most_frequent(top_guidelines: list[tuple[str, int]]) -> list[str]:
    """The guidelines tied for the highest count, in the given order (none without findings).

    Only these are favoured, so the message can truthfully call the guideline this week's
    most frequent finding.
    """
    counts = [count for _, count in top_guidelines if count > 0]
    if not counts:
        return []
    return [guideline for guideline, count in top_guidelines if count == max(counts)]
