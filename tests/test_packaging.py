"""A normal install works: the wheel carries the data files, found without the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = "As I already explained, that's how our billing works."


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "bot").rglob("__init__.py")}
    assert found | {"bot.prompts"} == listed


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = out.glob("tone_coach-*.whl")
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(target)
    for data in ("guidelines.yaml", "tips.yaml", "messages.yaml", "system.md", "user.md"):
        assert f"bot/prompts/{data}" in names
    return target


def run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TONE_COACH_"))}
    env["PYTHONPATH"] = str(site)  # the wheel's files, ahead of the editable checkout
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120)


def test_the_installed_wheel_checks_a_draft_from_another_directory(unpacked_wheel, tmp_path):
    result = run_installed(unpacked_wheel, tmp_path, "check", BAD)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("needs work (en, offline engine)")
    where = run_installed(unpacked_wheel, tmp_path, "tips", "preview", "--lang", "et")
    assert where.returncode == 0, where.stderr


def test_a_teams_own_guidelines_file_still_wins_over_the_packaged_one(unpacked_wheel, tmp_path):
    import yaml

    data = yaml.safe_load((ROOT / "prompts" / "guidelines.yaml").read_text(encoding="utf-8"))
    data["guidelines"] = [g for g in data["guidelines"] if g["id"] != "dont-argue"]
    own = tmp_path / "ours.yaml"
    own.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text(f"TONE_COACH_GUIDELINES={own}\n", encoding="utf-8")
    result = run_installed(unpacked_wheel, tmp_path, "check", "--json", BAD)
    assert "dont-argue" not in result.stdout
