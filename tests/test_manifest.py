"""The Slack app manifest is valid for Slack and matches what the code listens for."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bot.slack.app import BOT_SCOPES
from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import CALLBACK_ID

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "slack" / "schemas" / "manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/slack (Slack's schema) is not beside")
def test_the_manifest_follows_slacks_published_schema(manifest):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_manifest_declares_what_the_code_handles(manifest):
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [s["callback_id"] for s in features["shortcuts"]] == [CALLBACK_ID]
    assert features["app_home"]["home_tab_enabled"] is True
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "reaction_added", "message.channels"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_manifest_asks_for_exactly_the_scopes_oauth_requests(manifest):
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_a_broken_manifest_would_be_caught():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8")) if SCHEMA.exists() else None
    if schema is None:
        pytest.skip("../shared/slack is not beside the repo")
    broken = {"display_information": {"name": ""}, "features": {"slash_commands": [{}]}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))
