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
    """The prompts and answers the fake model saw; tokens are counted after the run, so the
    counting never slows the fake down while it is being timed."""

    exchanges: list[tuple[str, str, str]] = field(default_factory=list)  # system, user, reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(self) -> tuple[list[int], list[int], list[int], int]:
        """Prompt, system-message and completion tokens per request; distinct system texts."""
        with self.lock:
            exchanges = list(self.exchanges)
        system = [count(s) for s, _, _ in exchanges]
        prompt = [n + count(u) for n, (_, u, _) in zip(system, exchanges, strict=True)]
        answer = [count(r) for _, _, r in exchanges]
        return prompt, system, answer, len({s for s, _, _ in exchanges})


def start_fake_model(latency: float) -> tuple[FakeOpenAI, TokenLog]:
    """Answer every request ``latency`` seconds after it arrived with a review of its draft."""
    log = TokenLog()

    def answer(request: Request) -> Response:
        messages = request.json["messages"]
        system, user = messages[0]["content"], messages[1]["content"]
        draft = json.loads(user[user.index("{"):])["draft"]
        reply = json.dumps({
            "verdict": "needs_work", "language": "en",
            "findings": [{"guideline": "dont-argue", "quote": draft.split(",")[0],
                          "explanation": "This reads as an argument with the customer."}],
            "rewrite": "Thank you for your patience. " + draft.split(",", 1)[-1].strip(),
        })
        with log.lock:
            log.exchanges.append((system, user, reply))
        # Timed from arrival, so the fake's own work is not billed to the app.
        delay = max(0.0, latency - (time.monotonic() - request.received))
        return Response(200, completion(reply, 0, 0, reasoning_tokens=0), delay=delay)

    # reasoning=True: requests must carry what gpt-6-luna accepts, or the bench sees 400s.
    return FakeOpenAI(answer, reasoning=True).start(), log
