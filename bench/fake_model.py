"""A fake OpenAI-compatible model for benchmarks: fixed latency, valid reviews, token counts."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from bench.tokens import count
from tests.fakes.http import Request, Response
from tests.fakes.openai_api import FakeOpenAI, completion


@dataclass
class TokenLog:
    """Tokens of each request the fake model received."""

    prompt: list[int] = field(default_factory=list)
    system: list[int] = field(default_factory=list)
    completion: list[int] = field(default_factory=list)
    system_texts: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def start_fake_model(latency: float) -> tuple[FakeOpenAI, TokenLog]:
    """Answer every request after ``latency`` seconds with a review of its draft."""
    log = TokenLog()

    def answer(request: Request) -> Response:
        arrived = time.monotonic()
        messages = request.json["messages"]
        system, user = messages[0]["content"], messages[1]["content"]
        draft = json.loads(user[user.index("{"):])["draft"]
        reply = json.dumps({
            "verdict": "needs_work", "language": "en",
            "findings": [{"guideline": "dont-argue", "quote": draft.split(",")[0],
                          "explanation": "This reads as an argument with the customer."}],
            "rewrite": "Thank you for your patience. " + draft.split(",", 1)[-1].strip(),
        })
        prompt_tokens = count(system) + count(user)
        completion_tokens = count(reply)
        with log.lock:
            log.prompt.append(prompt_tokens)
            log.system.append(count(system))
            log.completion.append(completion_tokens)
            log.system_texts.add(system)
        # The answer leaves `latency` seconds after the request arrived, however long the
        # counting above took, so the fake's own work is not billed to the app.
        delay = max(0.0, latency - (time.monotonic() - arrived))
        return Response(200, completion(reply, prompt_tokens, completion_tokens), delay=delay)

    return FakeOpenAI(answer).start(), log
