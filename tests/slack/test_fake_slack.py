"""The fake Slack Web API reads history and threads as Slack documents: windows, limits,
the thread parent first, and cursor paging. Checked with the real slack_sdk client."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.socket_mode import FakeSocketMode


@pytest.fixture
def client(slack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


@pytest.fixture
def thread(slack) -> list[str]:
    """A parent, four replies and one more top-level message, oldest first."""
    parent = slack.add_message("C1", "parent", ts="1700000000.000100")
    replies = [slack.add_message("C1", f"reply {n}", thread_ts=parent,
                                 ts=f"1700000000.00020{n}") for n in range(4)]
    later = slack.add_message("C1", "later", ts="1700000000.000300")
    return [parent, *replies, later]


def texts(answer) -> list[str]:
    return [m["text"] for m in answer["messages"]]


def test_history_is_top_level_newest_first(client, thread):
    assert texts(client.conversations_history(channel="C1")) == ["later", "parent"]


def test_history_windows_are_exclusive_unless_inclusive(client, thread):
    parent, *_, later = thread
    window = {"channel": "C1", "oldest": parent, "latest": later}
    assert texts(client.conversations_history(**window)) == []
    assert texts(client.conversations_history(**window, inclusive=True)) == ["later", "parent"]


def test_history_pages_with_limit_and_cursor(client, slack):
    for n in range(5):
        slack.add_message("C2", f"m{n}", ts=f"1700000001.00000{n}")
    first = client.conversations_history(channel="C2", limit=2)
    assert texts(first) == ["m4", "m3"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C2", limit=2, cursor=cursor)
    third = client.conversations_history(
        channel="C2", limit=2, cursor=second["response_metadata"]["next_cursor"])
    assert texts(second) == ["m2", "m1"] and texts(third) == ["m0"]
    assert third["has_more"] is False and third["response_metadata"]["next_cursor"] == ""


def test_replies_start_from_the_parent_so_limit_1_on_a_reply_gives_the_parent(client, thread):
    reply = thread[2]
    assert texts(client.conversations_replies(channel="C1", ts=reply, limit=1)) == ["parent"]


def test_a_window_on_the_replies_still_starts_with_the_parent(client, thread):
    reply = thread[2]
    answer = client.conversations_replies(channel="C1", ts=reply, latest=reply, oldest=reply,
                                          inclusive=True, limit=2)
    assert texts(answer) == ["parent", "reply 1"]


def test_replies_page_with_the_parent_on_the_first_page_only(client, thread):
    first = client.conversations_replies(channel="C1", ts=thread[0], limit=3)
    assert texts(first) == ["parent", "reply 0", "reply 1"] and first["has_more"]
    second = client.conversations_replies(
        channel="C1", ts=thread[0], limit=3, cursor=first["response_metadata"]["next_cursor"])
    assert texts(second) == ["reply 2", "reply 3"] and not second["has_more"]


def test_an_unknown_thread_or_cursor_is_an_error(client, thread):
    with pytest.raises(SlackApiError, match="thread_not_found"):
        client.conversations_replies(channel="C1", ts="1.2")
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.conversations_history(channel="C1", cursor="bm90IGEgY3Vyc29y")


def test_conversations_info_flags_sharing_as_slack_does(client, slack):
    slack.share_with_customer("CCONNECT")
    slack.share_with_customer("CINVITED", pending=True)
    slack.share_in_org("CSISTER")
    flags = ("is_shared", "is_ext_shared", "is_org_shared", "is_pending_ext_shared")

    def info(channel: str) -> tuple:
        conversation = client.conversations_info(channel=channel)["channel"]
        return tuple(conversation[flag] for flag in flags)

    assert info("CPLAIN") == (False, False, False, False)
    assert info("CCONNECT") == (True, True, False, False)
    assert info("CINVITED") == (False, False, False, True)
    assert info("CSISTER") == (True, False, True, False)
    assert slack.is_ext_shared("CCONNECT") and not slack.is_ext_shared("CINVITED")
    assert len(client.conversations_info(channel="CCONNECT")["channel"]["shared_team_ids"]) == 2


def test_conversations_info_of_a_dm_needs_a_scope_the_app_lacks(client):
    with pytest.raises(SlackApiError) as raised:
        client.conversations_info(channel="D0123")
    assert raised.value.response["error"] == "missing_scope"


def test_usergroup_members_and_an_unknown_group(client, slack):
    slack.usergroups["SLEADS"] = ["U1", "U2"]
    assert client.usergroups_users_list(usergroup="SLEADS")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as raised:
        client.usergroups_users_list(usergroup="SNOPE")
    assert raised.value.response["error"] == "no_such_subteam"



def test_socket_mode_urls_are_only_given_for_an_app_level_token(slack):
    with FakeSocketMode() as ws:
        slack.socket_mode_url = ws.url
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=slack.api_url).apps_connections_open(app_token="xoxb-bot")
        assert refused.value.response["error"] == "not_allowed_token_type"
        opened = WebClient(base_url=slack.api_url).apps_connections_open(app_token="xapp-1-x")
        assert opened["url"] == ws.url
