"""The digest's words: a data file checked at load, and the digest rendered in each language."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.datafile import LANGUAGES
from bot.digest.compute import team_digest
from bot.digest.texts import (
    DEFAULT_TEXTS,
    DigestTextsError,
    alt_text,
    load_digest_texts,
    render_digest,
)
from bot.storage import Storage
from tests.digest.digest_helpers import TEAM, add_review, add_team_week

DAY = date(2026, 11, 30)


@pytest.fixture
def storage(tmp_path):
    """SQLite only: these tests are about words and pictures, not the database."""
    store = Storage(f"sqlite:///{tmp_path / 'digest.db'}")
    store.upgrade()
    yield store
    store.close()


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=ZoneInfo("Europe/Tallinn"))


def titles(guidelines, language: str) -> dict[str, str]:
    return {g.id: g.localized_title(language) for g in guidelines.guidelines}


def broken_copy(tmp_path: Path, change) -> Path:  # noqa: ANN001
    data = yaml.safe_load(DEFAULT_TEXTS.read_text(encoding="utf-8"))
    change(data["texts"])
    path = tmp_path / "digest.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "says"), [
    (lambda t: t["median"].pop("et"), "field 'texts': median: missing language(s): et"),
    (lambda t: t.pop("no_votes"), "missing text(s): no_votes"),
    (lambda t: t.update(drafts={**t["drafts"], "pl": "Szkice: {drafts}"}),
     "drafts.pl: placeholders must be {agents, drafts}, found {drafts}"),
    (lambda t: t.update(extra={lang: "x" for lang in LANGUAGES}), "unknown text(s): extra"),
])
def test_a_broken_texts_file_is_refused_naming_the_file_and_the_text(tmp_path, change, says):
    path = broken_copy(tmp_path, change)
    with pytest.raises(DigestTextsError) as caught:
        load_digest_texts(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_digest_reads_in_the_channel_language_and_names_no_agent(
    storage, guidelines, texts, language
):
    add_team_week(storage, at(17), agents=3, per_agent=2, guidelines=("empathy",))
    add_team_week(storage, at(24), agents=4, per_agent=2)
    add_review(storage, at(24), "UALICE", guidelines=("empathy",), votes={"UALICE": True})  # a 5th
    digest = team_digest(storage, TEAM, DAY, "Europe/Tallinn", guidelines.ids)
    text = render_digest(digest, texts, language, titles(guidelines, language)).plain()
    assert texts("title", language) in text
    assert texts("scope", language, start="2026-11-23", end="2026-11-29",
                 timezone="Europe/Tallinn") in text
    assert texts("drafts", language, drafts=9, agents=5) in text
    assert guidelines["empathy"].localized_title(language) in text
    assert texts("hidden_cell", language) in text  # empathy this week: one agent
    assert "UALICE" not in text and "U0" not in text
    alt = alt_text(digest, texts, language, titles(guidelines, language))
    assert len(alt) <= 1000
    assert texts("alt_fine", language, values="").rstrip(".") in alt


def test_an_empty_and_a_hidden_week_say_why_there_are_no_figures(storage, guidelines, texts):
    digest = team_digest(storage, TEAM, DAY, "Europe/Tallinn", guidelines.ids)
    empty = render_digest(digest, texts, "en", titles(guidelines, "en")).plain()
    assert "No drafts were checked this week." in empty
    add_team_week(storage, at(24), agents=2)
    digest = team_digest(storage, TEAM, DAY, "Europe/Tallinn", guidelines.ids)
    hidden = render_digest(digest, texts, "en", titles(guidelines, "en")).plain()
    assert "Fewer than 3 agents used Tone Coach this week" in hidden
    assert "Drafts checked" not in hidden


def test_numbers_follow_the_language(storage, guidelines, texts):
    for agent, latency in enumerate((1100, 1200, 1300)):
        add_review(storage, at(24), f"U{agent}", latency_ms=latency)
    digest = team_digest(storage, TEAM, DAY, "Europe/Tallinn", guidelines.ids)
    assert "1.2 s" in render_digest(digest, texts, "en", {}).plain()
    assert "1,2 с" in render_digest(digest, texts, "ru", {}).plain()
