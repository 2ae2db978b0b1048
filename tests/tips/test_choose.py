"""Choosing today's tip: every tip once per cycle, the team's top finding first, deterministic."""

from __future__ import annotations

from bot.tips.choose import choose_tip


def run_days(catalog, days: int, channel: str = "C1", top=()) -> list[str]:
    history: list[str] = []
    for _ in range(days):
        tip, _ = choose_tip(catalog, "en", history, list(top), channel)
        history.append(tip.id)
    return history


def test_no_tip_repeats_until_every_tip_was_posted_then_a_new_cycle_starts(catalog):
    size = len(catalog.tips)
    history = run_days(catalog, 2 * size + 3)
    assert sorted(history[:size]) == sorted(catalog.ids)
    assert sorted(history[size:2 * size]) == sorted(catalog.ids)
    assert history[size:2 * size] != history[:size]  # each cycle is shuffled afresh
    assert len(set(history[2 * size:])) == 3


def test_a_new_cycle_never_opens_with_the_tip_that_closed_the_last(catalog):
    for channel in (f"C{n}" for n in range(30)):
        history = run_days(catalog, len(catalog.tips) + 1, channel)
        assert history[-1] != history[-2], channel


def test_the_same_inputs_give_the_same_tip_so_instances_agree(catalog):
    history = run_days(catalog, 5)
    first = choose_tip(catalog, "ru", history, [("empathy", 3)], "C1")
    assert choose_tip(catalog, "ru", list(history), [("empathy", 3)], "C1") == first


def test_channels_walk_the_tips_in_different_orders(catalog):
    assert run_days(catalog, 5, "C1") != run_days(catalog, 5, "C2")


def test_the_teams_most_frequent_finding_comes_first_and_is_named(catalog):
    top = [("no-blame", 9), ("empathy", 4)]
    tip, reason = choose_tip(catalog, "en", [], top, "C1")
    assert (tip.guideline, reason) == ("no-blame", "no-blame")


def test_the_top_finding_leans_the_choice_only_until_its_tips_are_used_up(catalog):
    top = [("no-blame", 9)]
    per_guideline = sum(tip.guideline == "no-blame" for tip in catalog.tips)
    history = run_days(catalog, per_guideline + 1, top=top)
    assert all(catalog[tip_id].guideline == "no-blame" for tip_id in history[:per_guideline])
    tip, reason = choose_tip(catalog, "en", history, top, "C1")
    assert tip.id not in history and reason is None


def test_guidelines_tied_for_top_are_all_favoured(catalog):
    tip, reason = choose_tip(catalog, "en", [], [("empathy", 5), ("ownership", 5)], "C1")
    assert reason in ("empathy", "ownership") and tip.guideline == reason


def test_without_findings_nothing_is_claimed_about_them(catalog):
    assert choose_tip(catalog, "en", [], [], "C1")[1] is None


def test_tips_removed_from_the_file_are_ignored_in_the_history(catalog):
    history = ["gone-1", "gone-2", *run_days(catalog, 3)]
    tip, _ = choose_tip(catalog, "en", history, [], "C1")
    assert tip.id not in history
