"""A fake Slack Socket Mode server: a WebSocket on loopback that speaks Slack's envelopes.

As Slack documents it: the app gets a ``ws`` URL from ``apps.connections.open`` (app-level
token only), and on connecting receives ``{"type": "hello"}``. Requests arrive as envelopes
(``{"envelope_id", "type": "slash_commands" | "events_api" | "interactive", "payload",
"accepts_response_payload"}``) and the app acknowledges each with ``{"envelope_id"}``. The
server answers pings with pongs and a close frame with a close frame. Plain ``ws://`` on a
port other than 443 is what slack_sdk's built-in client uses for testing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import uuid

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's fixed key suffix
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    """Accepts Socket Mode connections; ``send`` an envelope, read ``acks``."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.acks: list[str] = []
        self.connections = 0
        self._peers: list[socket.socket] = []
        self._changed = threading.Condition()
        self._closing = False
        self._accepting = threading.Thread(target=self._accept, name="fake-socket-mode",
                                           daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake-ticket&app_id=A1"

    def __enter__(self) -> FakeSocketMode:
        self._accepting.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        self._listener.close()
        for peer in list(self._peers):
            peer.close()  # closing a socket twice is harmless

    # --- what a test does ------------------------------------------------------------
    def wait_for_connection(self, timeout: float = 30.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections > 0, timeout):
                raise AssertionError("the app never connected to Socket Mode")

    def send(self, kind: str, payload: dict) -> str:
        """Deliver one envelope to the newest connection; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        self._write(self._peers[-1], TEXT, json.dumps(envelope).encode())
        return envelope_id

    def wait_for_acks(self, count: int, timeout: float = 10.0) -> list[str]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.acks) >= count, timeout):
                raise AssertionError(f"{len(self.acks)} of {count} envelopes acknowledged")
            return list(self.acks)

    # --- the server ---------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closing:
            try:
                peer, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(peer,), daemon=True).start()

    def _serve(self, peer: socket.socket) -> None:
        try:
            self._handshake(peer)
            self._peers.append(peer)
            hello = {"type": "hello", "num_connections": 1,
                     "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                     "connection_info": {"app_id": "A1"}}
            self._write(peer, TEXT, json.dumps(hello).encode())
            with self._changed:
                self.connections += 1
                self._changed.notify_all()
            while True:
                opcode, data = self._read(peer)
                if opcode == TEXT:
                    self._acknowledged(json.loads(data))
                elif opcode == PING:
                    self._write(peer, PONG, data)
                elif opcode == CLOSE:
                    self._write(peer, CLOSE, data[:2])
                    return
        except (OSError, ConnectionError, ValueError):
            return
        finally:
            peer.close()

    def _acknowledged(self, message: dict) -> None:
        if "envelope_id" in message:
            with self._changed:
                self.acks.append(message["envelope_id"])
                self._changed.notify_all()

    @staticmethod
    def _handshake(peer: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = peer.recv(1024)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            request += chunk
        headers = {}
        for line in request.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        if headers.get("upgrade", "").lower() != "websocket" or not key:
            peer.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            raise ConnectionError("not a WebSocket handshake")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        peer.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())

    @staticmethod
    def _read(peer: socket.socket) -> tuple[int, bytes]:
        """One frame from the client; clients must mask theirs (RFC 6455, 5.1)."""
        first, second = _exactly(peer, 2)
        opcode, masked, length = first & 0x0F, second & 0x80, second & 0x7F
        if not masked:
            raise ValueError("an unmasked frame from a client")
        if length == 126:
            (length,) = struct.unpack("!H", _exactly(peer, 2))
        elif length == 127:
            (length,) = struct.unpack("!Q", _exactly(peer, 8))
        mask = _exactly(peer, 4)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(_exactly(peer, length)))
        return opcode, data

    @staticmethod
    def _write(peer: socket.socket, opcode: int, data: bytes) -> None:
        """One unmasked, final frame (servers never mask)."""
        head = bytes([0x80 | opcode])
        if len(data) < 126:
            head += bytes([len(data)])
        elif len(data) < 1 << 16:
            head += bytes([126]) + struct.pack("!H", len(data))
        else:
            head += bytes([127]) + struct.pack("!Q", len(data))
        peer.sendall(head + data)


def _exactly(peer: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = peer.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client closed the connection")
        data += chunk
    return data
