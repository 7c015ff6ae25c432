"""`Faults`: an author whose answers fail now and then, the ways a busy API fails.

    author = Faults(ModuleAuthor(targets), rate=0.05, seed=3)
    double = MessagesDouble(author)

Each request draws once from a `random.Random(seed)`, so a run that sends the same
requests in the same order meets the same faults. With probability `rate` each, the
request is answered with:

- "rate_limited": a 429 rate_limit_error with `retry-after` (seconds, as the API sends it);
- "overloaded": a 529 overloaded_error with `retry-after-ms`;
- "dropped": the inner author's answer, its connection dropped after part of its text;
- "stream_error": the inner author's answer, broken off after part of its text by an SSE
  `error` event (overloaded_error), which the SDK does not retry.

Otherwise the inner author answers. An HTTP error does not reach the inner author (the
request was not answered); a broken-off answer does, so the next request sends back part
of an answer the author gave: the author must take that as a prefix of what it means to
write (`ModuleAuthor` does with prefill, or for user turns with `Seams(kinds=("none",))`).

`injected` records (request number from 1, kind) for each fault.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from .server import Author
from .wire import ErrorReply, Reply

FaultKind = Literal["rate_limited", "overloaded", "dropped", "stream_error"]
FAULT_KINDS: tuple[FaultKind, ...] = ("rate_limited", "overloaded", "dropped", "stream_error")

Request = dict[str, Any]


class Faults:
    """Wraps an author: a fraction `rate` of requests meets each kind of fault."""

    def __init__(
        self,
        author: Author,
        *,
        rate: float = 0.05,
        seed: int = 0,
        kinds: Sequence[FaultKind] = FAULT_KINDS,
        retry_after: float = 0.02,
    ) -> None:
        if rate * len(kinds) > 1:
            raise ValueError(f"{len(kinds)} kinds at rate {rate} is more than every request")
        self.author = author
        self.rate = rate
        self.kinds = tuple(kinds)
        self.retry_after = retry_after  # seconds the SDK is told to wait before retrying
        self.injected: list[tuple[int, FaultKind]] = []
        self._rng = random.Random(seed)
        self._seen = 0

    def __call__(self, request: Request) -> Reply | ErrorReply:
        self._seen += 1
        roll = self._rng.random()
        kind = self.kinds[int(roll / self.rate)] if roll < self.rate * len(self.kinds) else None
        # Drawn whatever happens, so that where a break falls depends on the seed only.
        where = self._rng.random()
        if kind == "rate_limited":
            self.injected.append((self._seen, kind))
            return ErrorReply(
                429,
                "rate_limit_error",
                "This request would exceed the rate limit for your organization.",
                headers={"retry-after": f"{self.retry_after:g}"},
            )
        if kind == "overloaded":
            self.injected.append((self._seen, kind))
            return ErrorReply(
                529,
                "overloaded_error",
                "Overloaded",
                headers={"retry-after-ms": f"{self.retry_after * 1000:g}"},
            )
        reply = self.author(request)
        if kind is None or isinstance(reply, ErrorReply):
            return reply
        self.injected.append((self._seen, kind))
        # At least one character, and never the whole text: the answer is cut inside it.
        after = 1 + int(where * max(0, len(reply.text) - 1))
        if kind == "dropped":
            return replace(reply, drop_after=after)
        return replace(reply, error_after=after)

    def count(self, kind: FaultKind) -> int:
        return sum(1 for _, k in self.injected if k == kind)
