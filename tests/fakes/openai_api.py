"""A fake OpenAI-compatible Chat Completions server, speaking real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable

from tests.fakes.http import FakeServer, Request, Response


def completion(
    content: str,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    *,
    reasoning_tokens: int | None = None,
    cached_tokens: int | None = None,
) -> dict:
    """A Chat Completions response body whose message is ``content``.

    With ``reasoning_tokens``, ``usage`` carries the token details a reasoning model reports
    (``completion_tokens`` then includes the reasoning tokens, as OpenAI bills them).
    """
    body = {
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
    if reasoning_tokens is not None:
        body["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    if cached_tokens is not None:
        body["usage"]["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return body


def invalid_request(message: str, param: str | None, code: str | None) -> Response:
    """A 400 exactly as OpenAI shapes it."""
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return Response(400, {"error": error})


def model_not_found(model: str) -> Response:
    error = {
        "message": f"The model '{model}' does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found",
    }
    return Response(404, {"error": error})


def review_reply(**reply: object) -> Response:
    """A 200 answer whose content is the JSON review ``reply``."""
    return Response(200, completion(json.dumps(reply, ensure_ascii=False)))


class FakeOpenAI(FakeServer):
    """Answers scripted responses in order, then ``default``; records every request.

    ``reasoning=True`` makes it follow the rules of OpenAI's reasoning models before any
    scripted answer: ``temperature`` is refused unless ``reasoning_effort`` is ``none`` (as
    gpt-6-luna does), or always (``refuse_temperature="always"``, as older reasoning models
    do), and parameters in ``unsupported`` are refused outright.

    ``models`` serves ``GET /v1/models/{id}``: a dict of model id to extra fields (such as
    ``shutdown_date``); an id not in it is ``model_not_found``. ``models=None`` is a server
    with no models endpoint (a plain 404 page, as many local servers answer).
    """

    def __init__(
        self,
        default: Callable[[Request], Response] | None = None,
        *,
        reasoning: bool = False,
        refuse_temperature: str = "unless-effort-none",
        unsupported: tuple[str, ...] = (),
        models: dict[str, dict] | None = None,
    ) -> None:
        self.requests: list[Request] = []
        self.script: deque[Response] = deque()
        self.default = default or (lambda request: Response(500, {"error": "no script"}))
        self.reasoning = reasoning
        self.refuse_temperature = refuse_temperature
        self.unsupported = unsupported
        self.models = models
        self._lock = threading.Lock()
        super().__init__(self._answer)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def then(self, *responses: Response) -> FakeOpenAI:
        self.script.extend(responses)
        return self

    @property
    def completions(self) -> list[Request]:
        """The chat-completion requests received, in order."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        if request.method == "GET" and request.path.startswith("/v1/models/"):
            return self._model(request.path.removeprefix("/v1/models/"))
        if request.path != "/v1/chat/completions":
            return Response(404, {"error": {"message": "not found"}})
        refusal = self._refusal(request.json) if self.reasoning else None
        if refusal:
            return refusal
        with self._lock:
            scripted = self.script.popleft() if self.script else None
        return scripted or self.default(request)

    def _refusal(self, body: dict) -> Response | None:
        for name in self.unsupported:
            if name in body:
                return invalid_request(
                    f"Unsupported parameter: '{name}' is not supported with this model.",
                    name, "unsupported_parameter",
                )
        temperature = body.get("temperature")
        effort = body.get("reasoning_effort", "medium")
        refused = self.refuse_temperature == "always" or effort != "none"
        if temperature is not None and temperature != 1 and refused:
            return invalid_request(
                f"Unsupported value: 'temperature' does not support {temperature} with this "
                "model. Only the default (1) value is supported.",
                "temperature", "unsupported_value",
            )
        return None

    def _model(self, model: str) -> Response:
        if self.models is None:
            return Response(404, "<html><body>404 page not found</body></html>",
                            {"content-type": "text/html"})
        if model not in self.models:
            return model_not_found(model)
        return Response(200, {"id": model, "object": "model", "created": 1_700_000_000,
                              "owned_by": "system", **self.models[model]})
