"""A tiny threaded HTTP server on loopback that fakes serve from their own handler."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """A request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received: float = field(default_factory=time.monotonic)
    query: str = ""

    @property
    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def query_args(self) -> dict[str, str]:
        """The query string's arguments (slack_sdk sends some methods' arguments there)."""
        return {k: v[0] for k, v in parse_qs(self.query).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering, to act slow
    drop: bool = False  # close the connection without answering, as a failing proxy does


Handler = Callable[[Request], Response]


class FakeServer:
    """Serve ``handle(request)`` on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self._stopping = threading.Event()
        outer = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body would wait for
            # the client's delayed ACK (~40 ms) and every fake call would look slow.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path,
                                  {k.lower(): v for k, v in self.headers.items()}, body,
                                  query=parts.query)
                response = outer._handle(request)
                if response.delay and outer._stopping.wait(response.delay):
                    return
                if response.drop:
                    self.close_connection = True
                    return
                payload = response.body
                if isinstance(payload, dict | list):
                    payload = json.dumps(payload).encode()
                elif isinstance(payload, str):
                    payload = payload.encode()
                try:
                    self.send_response(response.status)
                    headers = {"content-type": "application/json", **response.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test); nothing to do

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            # The default backlog of 5 resets connections when 50 clients arrive at once.
            request_queue_size = 256

        self.server = _Server(("127.0.0.1", 0), _RequestHandler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
