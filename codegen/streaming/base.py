"""The seam every request goes through: a `Streamer` takes a request body and returns
the `Answer`, complete or cut short. `anthropic.py` sends it over the wire, `journal.py`
answers from what was paid for, `codegen.testing.FakeStreamer` answers from a script.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import Usage

Block = dict[str, Any]


class Streamer(Protocol):
    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer: ...


@dataclass(frozen=True)
class Answer:
    """One streamed response, complete or cut short."""

    content: tuple[Block, ...]  # blocks as request params, fit to be sent back unchanged
    stop_reason: str | None  # None when the stream broke before message_delta
    stop_details: dict[str, Any] | None
    usage: Usage
    # Set when the stream broke after it had started: what went wrong.
    interrupted: str | None = None
    # The break may pass (an `error` event such as overloaded_error, a lost connection,
    # a stall): the call that continues it waits a backoff first. How the stream went,
    # not what the answer holds: the journal's replay of it is the same answer, and the
    # calls after a replay are no reason to wait.
    transient: bool = field(default=False, compare=False)

    @property
    def text(self) -> str:
        """The code lives in `text` blocks only; thinking blocks are sent back, not used."""
        return "".join(b["text"] for b in self.content if b.get("type") == "text")


# Who hears of a wait ("rate limited: retrying in 58 s (2/4)"): set by the file's calls
# (`codegen.calls.FileCalls`) around its conversations, so that the client, which has no
# channel to the progress display of its own, can say why a file is quiet. A context
# variable: files are built on threads of their own, each with its own listener.
_LISTENER: ContextVar[Callable[[str], None] | None] = ContextVar("codegen_wait_listener", default=None)


@contextmanager
def waits_told_to(listener: Callable[[str], None]) -> Iterator[None]:
    """Tell `listener` of every wait of the calls made in this block (on this thread)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def tell_wait(message: str) -> None:
    """Say why the calls are about to wait, to whoever listens (nobody, outside a build)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(message)


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1, 2, ...), spaced as the SDK spaces its own
    retries: 0.5 s doubling to at most 8 s, less up to a quarter at random."""
    return min(0.5 * 2.0 ** (min(attempt, 16) - 1), 8.0) * (1 - 0.25 * random.random())


def seconds(wait: float) -> str:
    """A wait as a progress line says it: "3600 s", "58 s", "1.5 s", "0.02 s"."""
    return f"{wait:.0f} s" if wait >= 10 else f"{wait:.2g} s"


class Traced:
    """A Streamer that reports each answer's stop reason and tokens (--verbose)."""

    def __init__(self, inner: Streamer, say: Callable[[str], None]) -> None:
        self._inner = inner
        self._say = say

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        messages = request["messages"]
        answer = self._inner.stream(request, on_text)
        how = (
            "first"
            if len(messages) == 1
            else "prefill"
            if messages[-1]["role"] == "assistant"
            else "user turn"
        )
        stop = answer.interrupted or answer.stop_reason
        self._say(
            f"answer ({how}): {stop}; {answer.usage.input_tokens:,} in "
            f"(cache read {answer.usage.cache_read_tokens:,}), "
            f"{answer.usage.output_tokens:,} out, {len(answer.text):,} characters of text"
        )
        return answer
