"""Canned replies for the ways a real answer goes wrong, to script with `ScriptedAuthor`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .wire import ErrorReply, Reply, text_block, tool_use_block

PREFILL_REFUSED = (
    "This model does not support assistant message prefill. The conversation must end with a user message."
)


def text(answer: str, stop_reason: str = "end_turn", **fields: Any) -> Reply:
    """A reply of one text block (none when `answer` is empty)."""
    return Reply(content=(text_block(answer),) if answer else (), stop_reason=stop_reason, **fields)


def cut(answer: str, **fields: Any) -> Reply:
    """An answer cut at max_tokens."""
    return text(answer, "max_tokens", **fields)


def refusal(
    category: str | None = "cyber",
    explanation: str | None = "This request could enable cyber harm.",
    partial: str = "",
) -> Reply:
    """The streaming classifiers stopped the answer (maybe after some text)."""
    details = {"type": "refusal", "category": category, "explanation": explanation}
    return text(partial, "refusal", stop_details=details)


def pause_turn(partial: str) -> Reply:
    """A long turn paused: the client sends the content back to let it go on."""
    return text(partial, "pause_turn")


def empty_end_turn() -> Reply:
    """end_turn with no content at all (output_tokens is still not zero)."""
    return Reply(content=(), stop_reason="end_turn", output_tokens=3)


def tool_use(
    name: str = "str_replace_based_edit_tool", input: Mapping[str, Any] | None = None, preamble: str = ""
) -> Reply:
    """The model asks to call a tool nobody offered."""
    call = tool_use_block(name, input if input is not None else {"command": "view", "path": "/"})
    blocks = ([text_block(preamble)] if preamble else []) + [call]
    return Reply(content=blocks, stop_reason="tool_use")


def context_window_exceeded(partial: str) -> Reply:
    return text(partial, "model_context_window_exceeded")


def dropped(answer: str, after: int) -> Reply:
    """A stream whose connection drops after `after` characters of `answer`."""
    return text(answer, drop_after=after)


def stream_error(
    answer: str, after: int, type: str = "overloaded_error", message: str = "Overloaded"
) -> Reply:
    """A stream that sends an SSE `error` event after `after` characters of `answer`."""
    return text(answer, error_after=after, stream_error=(type, message))


def overloaded() -> ErrorReply:
    return ErrorReply(529, "overloaded_error", "Overloaded")


def rate_limited() -> ErrorReply:
    return ErrorReply(
        429, "rate_limit_error", "This request would exceed the rate limit for your organization."
    )


def unauthorized() -> ErrorReply:
    return ErrorReply(401, "authentication_error", "invalid x-api-key")


def prefill_refused() -> ErrorReply:
    """What models without prefill say to a conversation that ends with the assistant."""
    return ErrorReply(400, "invalid_request_error", PREFILL_REFUSED)
