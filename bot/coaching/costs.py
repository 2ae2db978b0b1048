"""What reviews cost, from token counts and the prices an operator configures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.coaching.review import Review


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens; the defaults are gpt-6-luna's list prices."""

    input: float = 0.10
    cached_input: float = 0.01
    output: float = 0.50

    def cost(self, prompt: int, cached: int, completion: int) -> float:
        """Dollars for one request. Reasoning tokens are billed as output, and
        ``completion`` already includes them."""
        fresh = max(0, prompt - cached)
        return (fresh * self.input + cached * self.cached_input + completion * self.output) / 1e6


def cost_per_1000(reviews: Iterable[Review], prices: Prices) -> float:
    """Average dollars per 1,000 reviews; offline reviews cost nothing and count too."""
    costs = [prices.cost(r.prompt_tokens, r.cached_tokens, r.completion_tokens) for r in reviews]
    return 1000 * sum(costs) / len(costs) if costs else 0.0
