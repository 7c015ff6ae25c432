"""`FakeStreamer`: a `Streamer` that answers from a script, for tests.

codegen sends every request through one seam, `Streamer.stream(request, on_text)`
(`codegen.streaming.base`). A test of the logic around it (how answers are continued,
stitched, repaired and written) needs no HTTP: hand `build_spec` a `FakeStreamer`,
queue the answers the model is to give, and read the requests codegen sent.

    fake = FakeStreamer()
    fake.cut("```python\\ndef area(w, h):\\n    ret")     # stopped at max_tokens
    fake.answer("urn w * h\\n```")                      # the rest, then end_turn
    result = build_spec(spec, BuildOptions(), client=fake)
    assert len(fake.requests) == 2

The fake says nothing about the wire: a test of the client, the journal's replay or
the CLI talks to a double of the Messages API through the real SDK instead
(`tests/double`). Answers are given in the order queued, whatever was asked; a
request with none left fails the test with the request's last message.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .errors import PrefillRejectedError
from .models import Usage
from .streaming import Answer, Block

__all__ = ["FakeStreamer", "NoAnswerLeft", "answer", "cut"]


class NoAnswerLeft(AssertionError):
    """A request came after every queued answer was given."""


class FakeStreamer:
    """Answers requests with queued `Answer`s, in order, and keeps every request;
    with `respond`, a function of the request answers once the queue is empty.

    `prefill=False` plays a model that refuses assistant prefill (the 4.6 models on):
    a request that ends with an assistant turn raises `PrefillRejectedError`, as the
    client does for the API's 400, and takes no queued answer.
    """

    def __init__(
        self,
        answers: Iterable[Answer | str] = (),
        *,
        prefill: bool = True,
        respond: Callable[[dict[str, Any]], Answer] | None = None,
    ) -> None:
        self.prefill = prefill
        # Where answers depend on what was asked: called with each request once the
        # queued answers are used up.
        self.respond = respond
        self.requests: list[dict[str, Any]] = []  # every request body, a deep copy, in order
        self._answers: list[Answer] = [a if isinstance(a, Answer) else answer(a) for a in answers]
        self._lock = threading.Lock()  # a build with --jobs > 1 streams from threads

    def answer(
        self,
        text: str,
        *,
        stop_reason: str = "end_turn",
        usage: Usage | None = None,
        thinking: str = "",
        stop_details: dict[str, Any] | None = None,
    ) -> FakeStreamer:
        """Queue an answer of `text` (and a thinking block before it, if given)."""
        self._answers.append(
            answer(text, stop_reason, usage=usage, thinking=thinking, stop_details=stop_details)
        )
        return self

    def cut(self, text: str, *, usage: Usage | None = None) -> FakeStreamer:
        """Queue an answer cut at max_tokens."""
        return self.answer(text, stop_reason="max_tokens", usage=usage)

    def broken(self, text: str, why: str = "connection lost mid-stream") -> FakeStreamer:
        """Queue a stream that broke after `text` arrived (no stop reason)."""
        given = answer(text, None)
        self._answers.append(Answer(given.content, None, None, given.usage, interrupted=why))
        return self

    @property
    def remaining(self) -> int:
        """Answers queued and not given yet."""
        return len(self._answers)

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        with self._lock:  # one answer at a time, threads or not (authors keep state)
            self.requests.append(copy.deepcopy(request))
            messages = request.get("messages") or []
            if not self.prefill and messages and messages[-1].get("role") == "assistant":
                raise PrefillRejectedError(
                    "This model does not support assistant message prefill. "
                    "The conversation must end with a user message."
                )
            if self._answers:
                given = self._answers.pop(0)
            elif self.respond is not None:
                given = self.respond(copy.deepcopy(request))
            else:
                last = json.dumps(messages[-1] if messages else {}, ensure_ascii=False)[:300]
                raise NoAnswerLeft(
                    f"request {len(self.requests)} came after every queued answer "
                    f"was given; its last message: {last}"
                )
        if on_text is not None and given.text:
            on_text(given.text)
        return given


def answer(
    text: str,
    stop_reason: str | None = "end_turn",
    *,
    usage: Usage | None = None,
    thinking: str = "",
    stop_details: dict[str, Any] | None = None,
) -> Answer:
    """An answer of one text block (none when `text` is empty), after a thinking block
    when `thinking` is given."""
    content: list[Block] = []
    if thinking:
        content.append({"type": "thinking", "thinking": thinking, "signature": "fake"})
    if text:
        content.append({"type": "text", "text": text})
    # About 4 characters a token, as the double counts: enough for progress and budgets.
    usage = usage or Usage(input_tokens=100, output_tokens=max(1, (len(text) + len(thinking)) // 4))
    return Answer(tuple(content), stop_reason, stop_details, usage)


def cut(text: str, *, usage: Usage | None = None) -> Answer:
    """An answer cut at max_tokens."""
    return answer(text, "max_tokens", usage=usage)
