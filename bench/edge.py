"""Attack ``tone-coach serve`` from loopback and print how the HTTP edge holds.

``python -m bench.edge`` starts the real server (with a fake Slack Web API) in a subprocess
and runs three attacks against it: a slow-header flood, concurrent oversized unsigned bodies,
and signed but malformed payloads. Figures are printed and written to
``bench/results/edge.json``.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from bench.run import SECRET, ServedApp
from tests.fakes.slack_api import FakeSlack, sign

RESULTS = Path(__file__).resolve().parent / "results"
MB = 1024 * 1024


def healthz_seconds(url: str, timeout: float) -> float | None:
    """Seconds ``/healthz`` took to answer 200, or None when it did not within ``timeout``."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as reply:
            reply.read()
            return time.monotonic() - started if reply.status == 200 else None
    except OSError:
        return None


def slow_header_flood(port: int, connections: int, timeout: float) -> dict:
    """Open connections that never finish their headers, then ask for ``/healthz``."""
    sockets = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        time.sleep(0.5)
        answered = healthz_seconds(f"http://127.0.0.1:{port}", timeout)
    finally:
        for sock in sockets:
            sock.close()
    return {"connections": connections, "healthz_s": answered, "timeout_s": timeout}


def send_big_body(port: int, size: int, outcome: dict, index: int) -> None:
    """POST ``size`` unsigned bytes; record the status and when the server refused it."""
    started = time.monotonic()
    status, sent = None, 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\n"
                         + f"Content-Length: {size}\r\n\r\n".encode())
            chunk = b"x" * MB
            try:
                while sent < size:
                    sock.sendall(chunk[: size - sent])
                    sent += min(MB, size - sent)
            except OSError:
                pass  # the server stopped reading: it answered early
            try:
                head = sock.recv(64).decode("latin-1")
                status = int(head.split()[1]) if head.startswith("HTTP/") else None
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    outcome[index] = {"status": status, "seconds": round(time.monotonic() - started, 2),
                      "mb_sent": round(sent / MB, 1)}


def big_bodies(port: int, pid: int, count: int, size: int) -> dict:
    """``count`` concurrent unsigned bodies of ``size`` bytes; the server's peak RSS."""
    process = psutil.Process(pid)
    idle = process.memory_info().rss
    peak = idle
    outcome: dict[int, dict] = {}
    threads = [threading.Thread(target=send_big_body, args=(port, size, outcome, i))
               for i in range(count)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.02)
    statuses = sorted({str(o["status"]) for o in outcome.values()})
    return {"bodies": count, "mb_each": size // MB, "idle_rss_mb": round(idle / MB, 1),
            "peak_rss_mb": round(peak / MB, 1), "statuses": statuses,
            "slowest_refusal_s": max(o["seconds"] for o in outcome.values()),
            "mb_sent_most": max(o["mb_sent"] for o in outcome.values())}


def malformed_payloads() -> list[tuple[str, bytes, str]]:
    deep = b"[" * 5000 + b"]" * 5000
    event = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "Ev1"}
    return [
        ("json nested 5000 deep", b'{"type":"event_callback","event":' + deep + b"}",
         "application/json"),
        ("bad utf-8 json", b'{"type":"event_callback","event":{"type":"\xff\xfe"}}',
         "application/json"),
        ("event is a string", json.dumps({**event, "event": "hello"}).encode(),
         "application/json"),
        ("event is null", json.dumps({**event, "event": None}).encode(), "application/json"),
        ("app_rate_limited", json.dumps({"type": "app_rate_limited", "team_id": "T1",
                                         "minute_rate_limited": 1518467820,
                                         "api_app_id": "A1"}).encode(), "application/json"),
        ("unknown top-level type", json.dumps({"type": "brand_new_type"}).encode(),
         "application/json"),
        ("view_submission nobody listens for", form({
            "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
            "view": {"id": "V1", "type": "modal", "callback_id": "nobody"}}),
         "application/x-www-form-urlencoded"),
        ("view_submission, view without a type", form({
            "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
            "view": {"id": "V1", "callback_id": "nobody"}}),
         "application/x-www-form-urlencoded"),
        ("view_closed", form({"type": "view_closed", "team": {"id": "T1"}, "user": {"id": "U1"},
                              "view": {"id": "V1", "type": "modal", "callback_id": "nobody"}}),
         "application/x-www-form-urlencoded"),
        ("block_suggestion", form({"type": "block_suggestion", "team": {"id": "T1"},
                                   "user": {"id": "U1"}, "action_id": "menu", "block_id": "b",
                                   "value": "ab"}),
         "application/x-www-form-urlencoded"),
        ("global shortcut nobody listens for", form({
            "type": "shortcut", "team": {"id": "T1"}, "user": {"id": "U1"},
            "callback_id": "nobody", "trigger_id": "t1"}), "application/x-www-form-urlencoded"),
        ("unknown block_actions", form({"type": "block_actions", "team": {"id": "T1"},
                                        "user": {"id": "U1"}, "actions": [
                                            {"action_id": "nobody", "block_id": "b",
                                             "type": "button", "value": "1"}]}),
         "application/x-www-form-urlencoded"),
        ("payload nested 5000 deep", form_raw(b'{"type":"block_actions","x":' + deep + b"}"),
         "application/x-www-form-urlencoded"),
    ]


def form(payload: dict) -> bytes:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)}).encode()


def form_raw(payload: bytes) -> bytes:
    from urllib.parse import quote_from_bytes

    return b"payload=" + quote_from_bytes(payload).encode()


def signed_statuses(url: str) -> list[dict]:
    rows = []
    for name, body, content_type in malformed_payloads():
        request = urllib.request.Request(
            f"{url}/slack/events", data=body, method="POST",
            headers={"Content-Type": content_type, **sign(body, secret=SECRET)})
        try:
            with urllib.request.urlopen(request, timeout=15) as reply:
                status = reply.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = f"error: {error}"
        rows.append({"payload": name, "status": status})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--bodies", type=int, default=8)
    parser.add_argument("--body-mb", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as workdir:
        app = ServedApp(slack, "http://127.0.0.1:9/v1", Path(workdir))
        try:
            results = {
                "slow_headers": slow_header_flood(app.port, args.connections, args.timeout),
                "big_bodies": big_bodies(app.port, app.process.pid, args.bodies,
                                         args.body_mb * MB),
                "malformed_signed": signed_statuses(app.url),
            }
            results["alive_after"] = app.process.poll() is None and healthz_seconds(
                app.url, 5) is not None
        finally:
            app.stop()
    print(json.dumps(results, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "edge.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
