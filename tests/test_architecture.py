"""Layering, kept by import-linter's contracts in pyproject.toml: the coaching core knows
nothing about Slack, storage or settings; the tips logic nothing about Slack; the Slack layer
nothing about prompts or models; and nothing imports a layer above its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    # In its own process: import-linter reconfigures logging (dictConfig), which would
    # silence every logger of the test process.
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_every_import_linter_contract_is_kept():
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_broken_contract_would_be_caught(tmp_path):
    # The Slack layer does import the core: a contract forbidding it must fail.
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_package = bot\n\n"
        "[importlinter:contract:1]\nname = made up\ntype = forbidden\n"
        "source_modules = bot.slack\nforbidden_modules = bot.coaching\n",
        encoding="utf-8",
    )
    assert lint_imports(config).returncode == 1


def loaded_modules(*modules: str) -> list[str]:
    code = (f"import sys, {', '.join(modules)}; "
            "print(sorted(m for m in sys.modules if m.startswith(('slack', 'bot.slack'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return eval(out.stdout)  # a printed list of strings


def test_importing_the_core_loads_no_slack_package():
    assert loaded_modules("bot.coaching.coach", "bot.coaching.evaluate") == []


def test_importing_the_tips_logic_loads_no_slack_package():
    assert loaded_modules("bot.tips.catalog", "bot.tips.choose", "bot.tips.schedule",
                          "bot.tips.view", "bot.tips.preview") == []


def test_slack_clients_are_built_in_one_place():
    builders = ("WebClient(", "WebhookClient(", "AsyncWebClient(")
    places = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "bot").rglob("*.py")
                    if any(b in path.read_text(encoding="utf-8") for b in builders))
    assert places == ["bot/slack/clients.py"]


def test_importing_the_digest_loads_no_slack_package():
    assert loaded_modules("bot.digest.compute", "bot.digest.report", "bot.digest.chart") == []
