"""`tone-coach tips preview`: today's tip in the terminal."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from bot.tips.preview import preview

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "tips", "preview", *args], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def test_preview_prints_todays_tip_in_russian():
    result = run("--lang", "ru")
    assert result.returncode == 0, result.stderr
    assert "Совет дня" in result.stdout
    assert "Вместо" in result.stdout and "Попробуйте" in result.stdout
    assert "*" not in result.stdout  # plain text, no Slack formatting


def test_an_unknown_language_is_one_line_on_stderr_and_exit_2():
    result = run("--lang", "de")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "'de'" in result.stderr


def test_each_day_previews_another_tip_and_a_day_always_the_same(capsys, catalog):
    shown = []
    for day in range(3):
        assert preview("en", today=date(2026, 3, 2 + day)) == 0
        shown.append(capsys.readouterr().out)
    assert len(set(shown)) == 3
    preview("en", today=date(2026, 3, 2))
    assert capsys.readouterr().out == shown[0]
