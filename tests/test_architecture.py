"""Layering: the coaching core knows nothing about Slack, the Slack layer nothing about prompts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(BOT))] = names
    return found


def test_the_coaching_core_imports_nothing_from_slack():
    for path, names in imported_modules(BOT / "coaching").items():
        slack = {n for n in names if n.split(".")[0] in ("slack_bolt", "slack_sdk")
                 or n.startswith("bot.slack")}
        assert not slack, f"{path} imports {slack}"


def test_importing_the_core_loads_no_slack_package():
    code = ("import sys, bot.coaching.coach, bot.coaching.evaluate; "
            "print(sorted(m for m in sys.modules if m.startswith(('slack', 'bot.slack'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_slack_layer_knows_nothing_about_prompts_or_models():
    for path, names in imported_modules(BOT / "slack").items():
        forbidden = names & {"bot.coaching.prompts", "bot.coaching.llm", "openai"}
        assert not forbidden, f"{path} imports {forbidden}"
