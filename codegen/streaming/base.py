"""The seam every request goes through: a `Streamer` takes a request body and returns
the `Answer`, complete or cut short. `anthropic.py` sends it over the wire, `journal.py`
answers from what was paid for, `codegen.testing.FakeStreamer` answers from a script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

    @property
    def text(self) -> str:
        """The code lives in `text` blocks only; thinking blocks are sent back, not used."""
        return "".join(b["text"] for b in self.content if b.get("type") == "text")


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
