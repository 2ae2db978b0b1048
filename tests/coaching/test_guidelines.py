"""Guidelines are data: the bundled file is complete, and a broken file is refused clearly."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.coaching.guidelines import LANGUAGES, GuidelineError, load_guidelines
from bot.settings import Settings

IDS = ["dont-argue", "thank-feedback", "solution-first", "no-blame", "empathy", "ownership",
       "stay-calm"]


@pytest.fixture(scope="module")
def guidelines():
    return load_guidelines()


def test_the_bundled_file_has_the_seven_guidelines_in_order(guidelines):
    assert guidelines.ids == IDS


def test_every_guideline_speaks_every_team_language(guidelines):
    for guideline in guidelines.guidelines:
        for lang in LANGUAGES:
            assert guideline.title[lang].strip()
            assert guideline.explanation[lang].strip()
            assert guideline.fix[lang].strip()
            pairs = [e for e in guideline.examples if e.lang == lang]
            assert pairs, f"{guideline.id} has no {lang} example"


def test_every_guideline_has_offline_rules_for_every_language(guidelines):
    for guideline in guidelines.guidelines:
        rules = guideline.offline
        for lang in LANGUAGES:
            assert rules.patterns.get(lang) or rules.required.get(lang), (guideline.id, lang)


def write(tmp_path, data) -> str:
    path = tmp_path / "guidelines.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def bundled() -> dict:
    from bot.coaching.guidelines import DEFAULT_GUIDELINES

    return yaml.safe_load(DEFAULT_GUIDELINES.read_text(encoding="utf-8"))


def test_a_missing_language_names_file_guideline_and_field(tmp_path):
    data = bundled()
    del data["guidelines"][1]["title"]["et"]
    path = write(tmp_path, data)
    with pytest.raises(GuidelineError) as error:
        load_guidelines(path)
    message = str(error.value)
    assert path in message and "'thank-feedback'" in message and "title" in message
    assert "et" in message


@pytest.mark.parametrize("field", ["patterns", "spares"])
def test_a_broken_pattern_is_refused_with_its_place(tmp_path, field):
    data = bundled()
    data["guidelines"][0]["offline"][field]["ru"].append("(unclosed")
    with pytest.raises(GuidelineError, match=rf"'dont-argue'.*offline\.{field}.*unclosed"):
        load_guidelines(write(tmp_path, data))


def test_duplicate_ids_and_unknown_fields_are_refused(tmp_path):
    data = bundled()
    data["guidelines"][2]["id"] = "dont-argue"
    with pytest.raises(GuidelineError, match="duplicate id"):
        load_guidelines(write(tmp_path, data))
    data = bundled()
    data["guidelines"][3]["tone"] = "loud"
    with pytest.raises(GuidelineError, match=r"'no-blame'.*field 'tone'"):
        load_guidelines(write(tmp_path, data))


def test_not_yaml_or_not_there_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("guidelines: [\n", encoding="utf-8")
    with pytest.raises(GuidelineError, match=re.escape(str(bad)) + ": not valid YAML"):
        load_guidelines(bad)
    with pytest.raises(GuidelineError, match="cannot read"):
        load_guidelines(tmp_path / "missing.yaml")


def test_a_team_can_point_at_its_own_file(tmp_path, monkeypatch):
    data = bundled()
    data["guidelines"] = data["guidelines"][:2]
    monkeypatch.setenv("TONE_COACH_GUIDELINES", write(tmp_path, data))
    settings = Settings.load(env_file=None)
    assert load_guidelines(settings.guidelines_file).ids == IDS[:2]
