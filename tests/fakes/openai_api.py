"""A fake OpenAI-compatible Chat Completions server, speaking real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable

from tests.fakes.http import FakeServer, Request, Response


def completion(content: str, prompt_tokens: int = 100, completion_tokens: int = 50) -> dict:
    """A Chat Completions response body whose message is ``content``."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def review_reply(**reply: object) -> Response:
    """A 200 answer whose content is the JSON review ``reply``."""
    return Response(200, completion(json.dumps(reply, ensure_ascii=False)))


class FakeOpenAI(FakeServer):
    """Answers scripted responses in order, then ``default``; records every request."""

    def __init__(self, default: Callable[[Request], Response] | None = None) -> None:
        self.requests: list[Request] = []
        self.script: deque[Response] = deque()
        self.default = default or (lambda request: Response(500, {"error": "no script"}))
        self._lock = threading.Lock()
        super().__init__(self._answer)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def then(self, *responses: Response) -> FakeOpenAI:
        self.script.extend(responses)
        return self

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            scripted = self.script.popleft() if self.script else None
        if request.path != "/v1/chat/completions":
            return Response(404, {"error": {"message": "not found"}})
        return scripted or self.default(request)
