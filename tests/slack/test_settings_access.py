"""Who may change a channel's settings, and the record of every change."""

from __future__ import annotations

import logging

import pytest

from tests.slack.conftest import start_app


@pytest.fixture
def app_with(slack, model, storage):
    servers = []

    def start(**settings):
        running, server = start_app(slack, model, storage, **settings)
        servers.append(server)
        return running

    yield start
    for server in servers:
        server.close()


def test_a_non_admins_watch_is_refused_and_nothing_changes(app_with):
    app = app_with(admins_text="ULEAD")
    answer = app.answer("watch", channel="CDRAFTS", user="UAGENT")
    assert answer["response_type"] == "ephemeral"
    assert "\n" not in answer["text"] and "<@ULEAD>" in answer["text"]
    assert "ask" in answer["text"]
    storage = app.services.storage
    assert not storage.channels.is_watched("T1", "CDRAFTS")
    assert storage.settings_log.changes("T1", "CDRAFTS") == []


def test_an_admin_watches_and_the_change_is_recorded(app_with):
    app = app_with(admins_text="ULEAD")
    assert "watching" in app.answer("watch", channel="CDRAFTS", user="ULEAD")["text"]
    storage = app.services.storage
    assert storage.channels.is_watched("T1", "CDRAFTS")
    [change] = storage.settings_log.changes("T1", "CDRAFTS")
    assert (change.user_id, change.action, change.detail) == (
        "ULEAD", "watch", "top-level messages")


def test_members_of_the_admin_user_group_may_and_others_may_not(app_with, slack):
    slack.usergroups["SLEADS"] = ["ULEAD", "UOTHERLEAD"]
    app = app_with(admins_text="SLEADS")
    refused = app.answer("tips 09:30 Europe/Tallinn", channel="C42", user="UAGENT")["text"]
    assert "<!subteam^SLEADS>" in refused
    assert app.services.storage.tips.subscription("T1", "C42") is None

    assert "Done" in app.answer("tips 09:30 Europe/Tallinn", channel="C42", user="ULEAD")["text"]
    [change] = app.services.storage.settings_log.changes("T1", "C42")
    assert (change.user_id, change.action, change.detail) == (
        "ULEAD", "tips_on", "09:30 Europe/Tallinn mon-fri en")
    # The group was read once for both commands.
    [call] = slack.calls_to("usergroups.users.list")
    assert call.args["usergroup"] == "SLEADS"


def test_a_group_slack_will_not_show_means_no_and_says_so_in_the_log(app_with, slack, caplog):
    app = app_with(admins_text="SGONE")
    with caplog.at_level(logging.WARNING):
        assert "<!subteam^SGONE>" in app.answer("unwatch", user="ULEAD")["text"]
    assert "no_such_subteam" in caplog.text


def test_workspace_admins_when_configured(app_with, slack):
    slack.users["UBOSS"] = {"is_admin": True}
    slack.users["UOWNER"] = {"is_owner": True}
    app = app_with(admins_text="workspace-admins")
    assert "a workspace admin" in app.answer("watch", channel="C7", user="UAGENT")["text"]
    assert "watching" in app.answer("watch", channel="C7", user="UBOSS")["text"]
    assert "stopped" in app.answer("unwatch", channel="C7", user="UOWNER")["text"]
    actions = [(c.user_id, c.action) for c in app.services.storage.settings_log.changes("T1", "C7")]
    assert actions == [("UBOSS", "watch"), ("UOWNER", "unwatch")]


def test_tips_off_needs_an_admin_but_the_schedule_can_be_read_by_anyone(app_with):
    app = app_with(admins_text="ULEAD")
    app.answer("tips 09:30 Europe/Tallinn", channel="C42", user="ULEAD")
    assert "<@ULEAD>" in app.answer("tips off", channel="C42", user="UAGENT")["text"]
    assert app.services.storage.tips.subscription("T1", "C42") is not None
    status = app.answer("tips", channel="C42", user="UAGENT")["text"]
    assert "Next tip:" in status


def test_without_admins_anyone_may_and_every_change_is_still_recorded(app):
    app.answer("watch", channel="CDRAFTS", user="UAGENT")
    app.answer("tips 08:00 Europe/Warsaw daily pl", channel="CDRAFTS", user="UANNA")
    app.answer("tips off", channel="CDRAFTS", user="UAGENT")
    changes = app.services.storage.settings_log.changes("T1", "CDRAFTS")
    assert [(c.user_id, c.action, c.detail) for c in changes] == [
        ("UAGENT", "watch", "top-level messages"),
        ("UANNA", "tips_on", "08:00 Europe/Warsaw daily pl"),
        ("UAGENT", "tips_off", None),
    ]


def test_help_shows_the_last_change_in_this_channel(app_with):
    app = app_with(admins_text="ULEAD,SLEADS")
    assert "Last settings change" not in app.answer("help", channel="CDRAFTS")["text"]
    app.answer("watch", channel="CDRAFTS", user="ULEAD")
    app.answer("tips 09:30 Europe/Tallinn", channel="CDRAFTS", user="ULEAD")
    app.answer("watch", channel="COTHER", user="ULEAD")

    text = app.answer("help", channel="CDRAFTS", user="UAGENT")["text"]
    assert "Last settings change here: <@ULEAD> set the daily tips to " \
           "09:30 Europe/Tallinn mon-fri en on " in text
    assert "changed by <@ULEAD> or members of <!subteam^SLEADS>" in text
