"""The tone-coach command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

BAD = "As I already explained, that's how our billing works."


def run(*args: str, stdin: str | None = None, env: dict | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TONE_COACH_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, env={**clean, **(env or {})}, timeout=60)


def test_check_prints_the_review_and_exits_1_when_it_needs_work():
    result = run("check", "--context", "Why was I charged twice?", BAD)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("needs work (en, offline engine)")
    assert "dont-argue" in result.stdout
    assert "Suggested rewrite:" in result.stdout


def test_check_exits_0_for_a_good_draft_and_reads_stdin():
    result = run("check", stdin="Thank you for your patience! Your refund of €19.99 is on its way.")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok (en, offline engine)")


def test_json_output_has_the_documented_keys():
    result = run("check", "--json", BAD)
    review = json.loads(result.stdout)
    assert {"verdict", "language", "findings", "rewrite", "engine"} <= set(review)
    assert review["engine"] == "offline" and review["verdict"] == "needs_work"
    assert {"guideline", "quote", "explanation"} == set(review["findings"][0])


@pytest.mark.parametrize("draft", ["", "   ", "x" * 12_001])
def test_bad_input_exits_2_with_one_line(draft):
    result = run("check", draft)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_broken_guidelines_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("guidelines:\n  - id: dont-argue\n", encoding="utf-8")
    result = run("check", BAD, env={"TONE_COACH_GUIDELINES": str(path)})
    assert result.returncode == 2
    assert str(path) in result.stderr and "'dont-argue'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_model_endpoint_still_answers_offline_with_a_note():
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "TONE_COACH_MODEL_DEADLINE": "1"}
    result = run("check", BAD, env=env)
    assert result.returncode == 1
    assert "offline engine" in result.stdout and "note:" in result.stdout
    assert "cannot reach the model endpoint" in result.stderr


def test_a_rejected_key_is_one_clear_line(tmp_path):
    from tests.fakes.http import Response
    from tests.fakes.openai_api import FakeOpenAI

    with FakeOpenAI(lambda request: Response(401, {"error": {"message": "bad key"}})) as fake:
        env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-wrong"}
        result = run("check", BAD, env=env)
    assert result.returncode == 2
    assert "API key" in result.stderr and "OPENAI_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_warns_on_stderr_when_the_model_is_about_to_retire():
    import json as json_module
    from datetime import date, timedelta

    from tests.fakes.http import Response
    from tests.fakes.openai_api import FakeOpenAI, completion

    reply = {"verdict": "ok", "language": "en", "findings": [], "rewrite": "Thanks!"}
    shutdown = (date.today() + timedelta(days=45)).isoformat()
    models = {"gpt-4o-mini": {"shutdown_date": shutdown, "replacement": "gpt-6-luna"}}
    answer = Response(200, completion(json_module.dumps(reply)))
    with FakeOpenAI(lambda request: answer, models=models) as fake:
        env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_MODEL": "gpt-4o-mini"}
        result = run("check", "Thanks, the refund is on its way.", env=env)
    assert result.returncode == 0
    [warning] = [line for line in result.stderr.splitlines() if shutdown in line]
    assert warning.startswith("tone-coach: warning:") and "gpt-6-luna" in warning


def test_a_retired_model_is_one_clear_line():
    from tests.fakes.openai_api import FakeOpenAI, model_not_found

    with FakeOpenAI(lambda request: model_not_found("gpt-4o-mini"), models={}) as fake:
        env = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_MODEL": "gpt-4o-mini"}
        result = run("check", BAD, env=env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "does not exist" in line and "OPENAI_MODEL" in line


def test_eval_prints_the_figures():
    from tests.coaching import CORPUS

    result = run("eval", str(CORPUS), "--offline")
    assert result.returncode == 0, result.stderr
    assert "verdict accuracy" in result.stdout and "numbers kept" in result.stdout


def test_db_upgrade_applies_migrations_and_reports_a_bad_url_on_one_line(tmp_path):
    first = run("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    assert first.returncode == 0 and "created the schema (revision " in first.stdout
    again = run("db", "upgrade", env={"DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    assert again.returncode == 0 and "already up to date" in again.stdout
    bad = run("db", "upgrade",
              env={"DATABASE_URL": "postgresql+psycopg://postgres:hunter2@127.0.0.1:9/test"})
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "hunter2" not in bad.stderr


def test_a_refused_model_connection_answers_offline_at_once_with_the_reason():
    # The default deadline is 45 s: retrying a port nobody listens on would use all of it.
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    result = subprocess.run([sys.executable, "-m", "bot", "check", BAD], text=True,
                            capture_output=True, env={**os.environ, **env}, timeout=20)
    assert result.returncode == 1 and "offline engine" in result.stdout
    [reason] = [line for line in result.stderr.splitlines() if "cannot reach" in line]
    assert reason.endswith("cannot reach the model endpoint: connection refused")


@pytest.mark.parametrize(("data", "complaint"), [
    (b"Thanks \xff\xfe for waiting", "not UTF-8"),
    (b"Thanks\x00 for waiting", "NUL"),
])
def test_bad_bytes_on_stdin_are_one_line_and_exit_2(data, complaint):
    result = subprocess.run([sys.executable, "-m", "bot", "check", "--json"], input=data,
                            capture_output=True, timeout=60)
    assert result.returncode == 2 and result.stdout == b""
    [line] = result.stderr.decode().strip().splitlines()
    assert complaint in line


def test_a_closed_pipe_is_quiet():
    # `true` exits without reading, long before Python has started: every write is EPIPE.
    shell = f"{sys.executable} -m bot check --offline {shlex.quote(BAD)} | true"
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert result.stderr == ""


def test_at_a_terminal_without_a_draft_it_says_how_to_type_or_pipe_one():
    import pty

    parent, child = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "bot", "check", "--offline"],
                                   stdin=child, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        os.write(parent, b"Thank you for waiting, the refund is on its way.\n\x04")
        out, err = process.communicate(timeout=60)
    finally:
        os.close(parent)
        os.close(child)
    assert "Ctrl-D" in err and "pipe" in err
    assert out.startswith("ok (en, offline engine)")


def test_version_and_group_help():
    from bot import __version__

    assert run("--version").stdout.strip() == f"tone-coach {__version__}"
    for group, words in (("db", "upgrade"), ("tips", "preview")):
        result = run(group)
        assert result.returncode == 2
        assert f"usage: tone-coach {group}" in result.stderr and words in result.stderr


def test_check_help_lists_the_exit_codes():
    text = run("check", "--help").stdout
    assert "exit codes:" in text
    for code in ("0", "1", "2"):
        assert f"\n  {code}  " in text


def test_the_tip_language_takes_any_case():
    result = run("tips", "preview", "--lang", "RU")
    assert result.returncode == 0, result.stderr
    assert result.stdout == run("tips", "preview", "--lang", "ru").stdout


def stored_reviews(path, teams=("T1",)) -> str:  # noqa: ANN001
    """A SQLite database with three agents' reviews today in each of ``teams``."""
    from datetime import UTC, datetime

    from bot.storage import ReviewRecord, Storage

    url = f"sqlite:///{path}"
    storage = Storage(url)
    storage.upgrade()
    for team in teams:
        for agent in ("U1", "U2", "U3"):
            storage.reviews.record(ReviewRecord(
                team_id=team, channel_id="C1", user_id=agent, entry_point="command",
                verdict="needs_work", guidelines=["empathy"], engine="offline", model=None,
                latency_ms=1500, prompt_tokens=0, completion_tokens=0,
            ), now=datetime.now(UTC))
    storage.close()
    return url


def test_report_prints_the_figures_and_writes_the_chart_and_a_csv(tmp_path):
    url = stored_reviews(tmp_path / "r.db")
    png, table = tmp_path / "trend.png", tmp_path / "weeks.csv"
    result = run("report", "--weeks", "4", "--png", str(png), "--csv", str(table),
                 env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "Drafts checked: 3, by 3 agents." in result.stdout
    assert "Show empathy: 100.0" in result.stdout
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    rows = table.read_text().splitlines()
    assert rows[0].startswith("week_start,week_end,status,drafts,agents,fine_first_check_pct")
    assert len(rows) == 1 + 4
    assert rows[-1].split(",")[2:5] == ["shown", "3", "3"]


def test_report_asks_which_workspace_when_several_are_stored(tmp_path):
    url = stored_reviews(tmp_path / "r.db", teams=("T1", "T2"))
    result = run("report", env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tone-coach: error: reviews from 2 workspaces are stored: choose one with --team (T1, T2)"
    )
    assert run("report", "--team", "T2", env={"DATABASE_URL": url}).returncode == 0
    bad = run("report", "--team", "T2", "--tz", "Mars/Base", env={"DATABASE_URL": url})
    assert bad.returncode == 2 and "isn't a time zone I know" in bad.stderr
