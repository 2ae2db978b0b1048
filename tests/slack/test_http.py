"""The HTTP edge: signatures, stale requests, malformed bodies, health check."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.slack.conftest import sign


def test_health_check_needs_no_auth(app):
    with urllib.request.urlopen(f"{app.url}/healthz", timeout=5) as response:
        assert response.status == 200


def test_a_bad_signature_is_refused(app):
    body = json.dumps({"type": "event_callback", "event": {}}).encode()
    headers = sign(body, secret="not-the-secret")
    reply = app.post(body, "application/json", headers=headers, signed=False)
    assert reply.status == 401


def test_an_unsigned_request_is_refused(app):
    reply = app.post(b"command=%2Ftone-check&text=hi", "application/x-www-form-urlencoded",
                     signed=False)
    assert reply.status == 401


def test_a_request_older_than_five_minutes_is_refused(app):
    body = b"command=%2Ftone-check&text=hi"
    headers = sign(body, timestamp=int(time.time()) - 6 * 60)
    reply = app.post(body, "application/x-www-form-urlencoded", headers=headers, signed=False)
    assert reply.status == 401


def test_signed_but_malformed_payloads_get_400_and_the_app_keeps_serving(app):
    for body, content_type in [
        (b"{not json", "application/json"),
        (b"[]", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"hello=world", "application/x-www-form-urlencoded"),
    ]:
        assert app.post(body, content_type).status == 400, body
    assert app.command("help").status == 200


def test_url_verification_echoes_the_challenge(app):
    body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"}).encode()
    reply = app.post(body, "application/json")
    assert reply.status == 200 and "abc" in reply.body


def test_a_command_whose_storage_fails_still_gets_a_200_and_the_app_keeps_serving(app):
    with app.services.storage.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE watched_channels")  # a real database failure
    reply = app.command("watch")
    assert reply.status == 200  # never a 5xx that Slack would retry
    assert app.command("help").status == 200
