"""The short texts people see, read from ``prompts/messages.yaml``."""

from pathlib import Path

import pytest

from bot.coaching.coach import Coach
from bot.messages import MessagesError, load_messages, message


def test_a_message_falls_back_to_english_for_a_language_that_lacks_it() -> None:
    assert message("verdict_ok", "xx") == message("verdict_ok", "en")


def test_a_message_without_an_english_text_is_refused_naming_the_file_and_key(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "messages.yaml"
    broken.write_text("messages:\n  greeting:\n    ru: Привет\n", encoding="utf-8")
    with pytest.raises(MessagesError, match=r"messages.yaml.*'greeting'.*'en'"):
        load_messages(broken)


def test_building_the_coach_reads_the_messages_before_any_review() -> None:
    load_messages.cache_clear()
    Coach.build(None)
    assert load_messages.cache_info().currsize == 1
