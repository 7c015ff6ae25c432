"""`PromptCache`: what the API's prompt cache bills for a request, as the API describes it.

A request is a sequence of content blocks: the system blocks, then each message's
blocks (a string content is one block). A block with `cache_control` is a breakpoint.
On a request:

- read: the longest prefix, ending at a block boundary no more than `LOOKBACK` blocks
  before some breakpoint, that an earlier request cached (`cache_read_input_tokens`);
- write: the prefix up to the last breakpoint, less what was read, when that prefix
  holds at least `min_tokens` tokens (`cache_creation_input_tokens`); the prefix up to
  every breakpoint of that length is cached from then on. A shorter prefix is silently
  not cached, as a model's minimum cacheable length makes it. The part written up to a
  breakpoint whose `ttl` is "1h" (from the previous breakpoint or the read prefix) is
  reported as written for an hour (`cache_creation_1h_input_tokens`);
- the rest of the request is `input_tokens`.

A prefix is identified by the model and every block up to it (role changes included),
ignoring the `cache_control` markers themselves. Entries never expire: a run of the
double is far shorter than the 5-minute lifetime a read renews. Tokens are counted per
block with `tokens.count_tokens`, and kept within the request's total estimate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .tokens import count_tokens

# How many block boundaries before a breakpoint the API checks for a hit.
LOOKBACK = 20


@dataclass(frozen=True)
class CacheUsage:
    """How a request's input tokens are billed."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cache_creation_1h_input_tokens: int = 0  # part of cache_creation_input_tokens


class PromptCache:
    """Prefixes cached by earlier requests, and what each new request reads and writes."""

    def __init__(self, min_tokens: int = 0) -> None:
        self.min_tokens = min_tokens
        self._cached: set[bytes] = set()
        self._counts: dict[str, int] = {}

    def bill(self, request: Mapping[str, Any], total: int) -> CacheUsage:
        """Split the request's `total` input tokens into plain, written and read ones."""
        digest = hashlib.sha256(str(request.get("model", "")).encode())
        keys: list[bytes] = []  # the prefix key after each block
        ends: list[int] = []  # tokens up to the end of each block
        breakpoints: list[int] = []  # indices of blocks with cache_control
        hour: set[int] = set()  # those of them with the 1-hour lifetime
        tokens = 0
        for index, (key, text, ttl) in enumerate(_blocks(request)):
            digest.update(key.encode("utf-8") + b"\0")
            keys.append(digest.copy().digest())
            tokens += self._count(text)
            ends.append(tokens)
            if ttl is not None:
                breakpoints.append(index)
                if ttl == "1h":
                    hour.add(index)
        if not breakpoints:
            return CacheUsage(total, 0, 0)
        read = 0
        for index in range(breakpoints[-1], -1, -1):
            near = any(0 <= b - index < LOOKBACK for b in breakpoints)
            if near and keys[index] in self._cached:
                read = ends[index]
                break
        written = written_1h = 0
        if ends[breakpoints[-1]] >= self.min_tokens:
            done = read  # written (or read) up to here
            for b in breakpoints:
                if ends[b] < self.min_tokens or ends[b] <= done:
                    continue
                written += ends[b] - done
                written_1h += ends[b] - done if b in hour else 0
                done = ends[b]
            self._cached.update(keys[b] for b in breakpoints if ends[b] >= self.min_tokens)
        read = min(read, total)
        written = min(written, total - read)
        return CacheUsage(total - read - written, written, read, min(written_1h, written))

    def _count(self, text: str) -> int:
        if text not in self._counts:
            self._counts[text] = count_tokens(text)
        return self._counts[text]


def _blocks(request: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(the block as the cache keys it, its text, its breakpoint's lifetime: None when
    it is no breakpoint, else "5m" or "1h"), in prompt order. A string content is keyed
    as the text block it stands for, so marking a message (which turns its string into
    a block) keeps its prefix the same; the key of each message's first block carries
    the message's role."""
    for role, content in [("system", request.get("system"))] + [
        (m.get("role"), m.get("content")) for m in request.get("messages") or ()
    ]:
        if not content:
            continue
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for i, block in enumerate(blocks):
            mark = block.get("cache_control")
            ttl = str(mark.get("ttl", "5m")) if isinstance(mark, Mapping) else None
            yield (f"{role}:" if i == 0 else "") + _key(block), _text(block), ttl


def _key(block: Mapping[str, Any]) -> str:
    """A block as its prefix is keyed: its JSON without the cache_control marker."""
    return json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True)


def _text(block: Mapping[str, Any]) -> str:
    """What of a block counts as tokens (as `wire.estimate_input_tokens` counts them)."""
    for field in ("text", "thinking"):
        if field in block:
            return str(block[field])
    return json.dumps(block["input"]) if "input" in block else ""
