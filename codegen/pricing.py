"""What tokens cost: `cost` and `cache_savings` of a usage at a model's prices, the
worst case of a request before it is sent, and `Budget` (--max-cost) across the files
of a build. Every price codegen states is computed here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .continuation import CallEvent, StopBuild
from .models import ModelInfo, Prices, Usage
from .streaming.anthropic import requested_ttl

_M = 1_000_000


# The Message Batches API bills every kind of token at half the price (--batch).
BATCH_DISCOUNT = 0.5


def batch_prices(prices: Prices) -> Prices:
    """The Batch API's prices: half of each (input, output, cache writes and reads)."""
    d = BATCH_DISCOUNT
    return Prices(
        prices.input * d,
        prices.output * d,
        prices.cache_write_5m * d,
        prices.cache_write_1h * d,
        prices.cache_read * d,
    )


def cost(usage: Usage, info: ModelInfo) -> float | None:
    """USD for `usage` at the model's prices, each cache write at its lifetime's price;
    None when the prices are unknown."""
    if info.prices is None:
        return None
    p = info.prices
    return (
        usage.input_tokens * p.input
        + usage.output_tokens * p.output
        + usage.cache_write_5m_tokens * p.cache_write_5m
        + usage.cache_write_1h_tokens * p.cache_write_1h
        + usage.cache_read_tokens * p.cache_read
    ) / _M


def cache_savings(usage: Usage, info: ModelInfo) -> float | None:
    """USD the cache saved on `usage`; None when the prices are unknown.

    savings = R x (input - read) - W5 x (write_5m - input) - W1h x (write_1h - input),
    per million tokens, with R the tokens read from the cache, W5 and W1h the tokens
    written with each lifetime: what the reads would have cost at the input price less
    what they cost, less the premium the writes paid over the input price (a written
    token would have been billed at the input price anyway). Negative when more was
    written than read back.
    """
    if info.prices is None:
        return None
    p = info.prices
    return (
        usage.cache_read_tokens * (p.input - p.cache_read)
        - usage.cache_write_5m_tokens * (p.cache_write_5m - p.input)
        - usage.cache_write_1h_tokens * (p.cache_write_1h - p.input)
    ) / _M


def total(costs: Iterable[float | None]) -> float | None:
    """The sum of several costs; None when any of them is unknown."""
    known = list(costs)
    return None if any(c is None for c in known) else sum(c for c in known if c is not None)


def worst_case(request: dict[str, Any], prices: Prices) -> float:
    """The most a request can cost: every input token (about 3 characters a token for
    code) billed as a cache write at the lifetime asked for, the dearest input price,
    and the whole max_tokens written."""
    per_input = max(
        prices.input, prices.cache_write_1h if requested_ttl(request) == "1h" else prices.cache_write_5m
    )
    input_tokens = len(repr(request["messages"])) // 3 + len(repr(request["system"])) // 3
    max_tokens: int = request["max_tokens"]
    return (input_tokens * per_input + max_tokens * prices.output) / _M


class Budget:
    """--max-cost, across files built at once: stop before a call whose worst case,
    with what finished files cost, what running files spent so far and the worst case
    of every other call in flight, could pass the limit."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0  # by finished files, in this run
        self._running: dict[str, tuple[float, float]] = {}  # path -> (spent so far, call in flight)
        self._lock = threading.Lock()

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.spent >= self.limit

    def check(self, path: str, event: CallEvent, info: ModelInfo, earlier: Usage | None = None) -> None:
        """`earlier`: what the file's finished conversations used (repairs come after)."""
        if self.limit is None or info.prices is None:
            return
        worst = worst_case(event.request, info.prices)
        mine = cost((earlier or Usage()) + event.spent, info) or 0.0
        with self._lock:
            others = sum(done + flying for p, (done, flying) in self._running.items() if p != path)
            spent = self.spent + others + mine
            if spent + worst > self.limit:
                raise StopBuild(
                    f"--max-cost {self.limit:g}: the next call could cost up to ${worst:.4f} "
                    f"and ${spent:.4f} is spent or under way"
                )
            self._running[path] = (mine, worst)

    def finish(self, path: str, paid: float) -> None:
        with self._lock:
            self._running.pop(path, None)
            self.spent += paid
