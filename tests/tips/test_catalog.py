"""The tips file is data: the bundled one is complete, and a broken one is refused clearly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.coaching.guidelines import LANGUAGES
from bot.settings import Settings
from bot.tips.catalog import DEFAULT_TIPS, TipsError, load_tips


def bundled() -> dict:
    return yaml.safe_load(DEFAULT_TIPS.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "tips.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refusal(tmp_path: Path, data: dict, guidelines) -> str:
    path = write(tmp_path, data)
    with pytest.raises(TipsError) as error:
        load_tips(path, guidelines)
    message = str(error.value)
    assert str(path) in message
    return message


def test_the_bundled_file_has_five_tips_per_guideline_in_every_language(catalog, guidelines):
    per_guideline = Counter(tip.guideline for tip in catalog.tips)
    assert set(per_guideline) == set(guidelines.ids)
    assert min(per_guideline.values()) >= 5
    for tip in catalog.tips:
        for field in (tip.text, tip.before, tip.after):
            assert all(field[lang].strip() for lang in LANGUAGES), tip.id


def test_a_missing_language_names_file_tip_and_field(tmp_path, guidelines):
    data = bundled()
    tip = data["tips"][3]
    del tip["before"]["et"]
    message = refusal(tmp_path, data, guidelines)
    assert f"tip '{tip['id']}'" in message
    assert "field 'before'" in message
    assert "et" in message


def test_an_empty_text_counts_as_missing(tmp_path, guidelines):
    data = bundled()
    data["tips"][0]["text"]["uk"] = "  "
    message = refusal(tmp_path, data, guidelines)
    assert "field 'text'" in message and "uk" in message


def test_an_unknown_guideline_names_the_tip_and_the_known_guidelines(tmp_path, guidelines):
    data = bundled()
    data["tips"][5]["guideline"] = "be-nice"
    message = refusal(tmp_path, data, guidelines)
    assert f"tip '{data['tips'][5]['id']}'" in message
    assert "field 'guideline'" in message
    assert "'be-nice'" in message and "empathy" in message


def test_a_duplicate_id_is_refused(tmp_path, guidelines):
    data = bundled()
    data["tips"][1]["id"] = data["tips"][0]["id"]
    message = refusal(tmp_path, data, guidelines)
    assert f"tip '{data['tips'][0]['id']}'" in message
    assert "field 'id'" in message and "duplicate" in message


def test_a_tip_filed_under_another_guidelines_id_is_refused(tmp_path, guidelines):
    data = bundled()
    data["tips"][0]["guideline"] = "empathy"  # id still says dont-argue-1
    message = refusal(tmp_path, data, guidelines)
    assert "tip 'dont-argue-1'" in message and "field 'id'" in message


def test_an_unknown_field_is_refused(tmp_path, guidelines):
    data = bundled()
    data["tips"][2]["txet"] = {"en": "typo"}
    message = refusal(tmp_path, data, guidelines)
    assert "field 'txet'" in message


def test_a_file_without_a_tips_list_is_refused(tmp_path, guidelines):
    message = refusal(tmp_path, {"tip": []}, guidelines)
    assert "'tips:'" in message


def test_a_missing_file_is_refused_in_one_line(tmp_path, guidelines):
    with pytest.raises(TipsError, match="cannot read tips file"):
        load_tips(tmp_path / "nope.yaml", guidelines)


def test_TONE_COACH_TIPS_points_at_another_file(tmp_path, guidelines, monkeypatch):
    data = bundled()
    data["tips"] = data["tips"][:7]
    monkeypatch.setenv("TONE_COACH_TIPS", str(write(tmp_path, data)))
    settings = Settings.load(env_file=None)
    assert len(load_tips(settings.tips_file, guidelines=guidelines).tips) == 7
