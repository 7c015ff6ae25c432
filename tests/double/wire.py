"""The Messages API wire format: what an author's reply looks like as bytes on the wire.

An author answers a request with a `Reply` (a message) or an `ErrorReply` (an HTTP
error). `render_reply` and `render_error` turn them into a `WireResponse`: status,
headers and body chunks, the same bytes whether they travel through an httpx2
`MockTransport` or a loopback socket.

A streamed reply follows the API's event order:

    message_start        the message with empty content, usage.output_tokens 1 (and
                         usage.cache_creation, the writes split by lifetime)
    content_block_start  per block, with its empty shell (text "", thinking "")
    ping                 once, after the first content_block_start
    content_block_delta  text_delta in small pieces; thinking_delta pieces then one
                         signature_delta; input_json_delta for tool_use
    content_block_stop
    message_delta        stop_reason, stop_sequence, stop_details; cumulative usage
                         (token counts only: the lifetime split is not repeated)
    message_stop

each as `event: <type>` and `data: <json>` lines. A reply may break off instead: the
connection drops (`drop_after`), or an `error` event arrives (`error_after`), once that
many characters of text have been sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .tokens import count_tokens, split_tokens

Block = dict[str, Any]

# Statuses the SDK retries (408, 409, 429, >= 500): errors with these carry a
# retry-after-ms header by default so retries cost a millisecond, not seconds.
RETRYABLE = frozenset({408, 409, 429})

# The status an HTTP error of each type comes with (for errors rendered outside a stream).
STATUS_OF_ERROR = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


def text_block(text: str) -> Block:
    return {"type": "text", "text": text}


def signature_for(thinking: str) -> str:
    """A deterministic stand-in for the opaque signature of a thinking block."""
    digest = hashlib.sha256(thinking.encode("utf-8")).digest()
    return base64.b64encode(b"double-signature:" + digest).decode("ascii")


def thinking_block(thinking: str, signature: str | None = None) -> Block:
    """A thinking block; its signature defaults to `signature_for(thinking)`."""
    return {
        "type": "thinking",
        "thinking": thinking,
        "signature": signature_for(thinking) if signature is None else signature,
    }


def redacted_thinking_block(data: str = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw") -> Block:
    return {"type": "redacted_thinking", "data": data}


def tool_use_block(name: str, input: Mapping[str, Any], id: str = "toolu_01double") -> Block:
    return {"type": "tool_use", "id": id, "name": name, "input": dict(input)}


@dataclass(frozen=True)
class Reply:
    """A message the double answers with.

    Token counts left as None are estimated: input from the request's text, output
    from the content (see `tokens.py`). `model` None echoes the request's model.
    """

    content: Sequence[Block] = ()
    stop_reason: str = "end_turn"
    stop_details: Mapping[str, Any] | None = None
    stop_sequence: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    # None: the key is left out of `usage` (llama-server sends no cache-write count).
    cache_creation_input_tokens: int | None = 0
    cache_read_input_tokens: int = 0
    # The part of cache_creation_input_tokens written with the 1-hour lifetime. The
    # API reports the split as usage.cache_creation {ephemeral_5m_input_tokens,
    # ephemeral_1h_input_tokens}; `cache_breakdown` False leaves it out, as older
    # servers and proxies do.
    cache_creation_1h_input_tokens: int = 0
    cache_breakdown: bool = True
    model: str | None = None
    # Break a streamed reply once this many characters of text (text_delta) have been
    # sent: the connection drops (the client sees a transport error) ...
    drop_after: int | None = None
    # ... or an SSE `error` event with this error type and message arrives.
    error_after: int | None = None
    stream_error: tuple[str, str] = ("overloaded_error", "Overloaded")

    def __post_init__(self) -> None:
        # Copies, so a test that mutates its dicts afterwards cannot change the reply.
        object.__setattr__(self, "content", tuple(dict(b) for b in self.content))
        if self.drop_after is not None and self.error_after is not None:
            raise ValueError("a reply breaks off one way: drop_after or error_after")
        if not 0 <= self.cache_creation_1h_input_tokens <= (self.cache_creation_input_tokens or 0):
            raise ValueError("the 1-hour cache writes are part of cache_creation_input_tokens")

    @property
    def text(self) -> str:
        return "".join(b["text"] for b in self.content if b.get("type") == "text")


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error: `{"type": "error", "error": {"type", "message"}, "request_id"}`.

    `headers` None gives the defaults (`retry-after-ms: 1` on statuses the SDK
    retries); a mapping replaces them.
    """

    status: int
    type: str
    message: str
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class WireResponse:
    """An HTTP response as it goes on the wire."""

    status: int
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    # Server-sent events: each chunk is flushed on its own.
    streamed: bool = False
    # The connection breaks after the last chunk, without ending the body properly.
    drops: bool = False
    # Output tokens (text or thinking) each chunk carries, for a double that streams at a
    # given speed; empty when none do.
    tokens: tuple[int, ...] = ()

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


@dataclass(frozen=True)
class Ids:
    """The identifiers one response carries."""

    message_id: str
    request_id: str


def render_error(error: ErrorReply, request_id: str) -> WireResponse:
    headers = error.headers
    if headers is None:
        retryable = error.status in RETRYABLE or error.status >= 500
        headers = {"retry-after-ms": "1"} if retryable else {}
    body = {
        "type": "error",
        "error": {"type": error.type, "message": error.message},
        "request_id": request_id,
    }
    return render_json(error.status, body, request_id, extra_headers=headers)


def render_json(
    status: int,
    body: Mapping[str, Any],
    request_id: str,
    extra_headers: Mapping[str, str] | None = None,
) -> WireResponse:
    data = json.dumps(body).encode("utf-8")
    headers = [
        ("content-type", "application/json"),
        ("request-id", request_id),
        ("content-length", str(len(data))),
        *(extra_headers or {}).items(),
    ]
    return WireResponse(status, tuple(headers), (data,))


def render_reply(
    reply: Reply, request: Mapping[str, Any], ids: Ids, *, delta_chars: int = 12
) -> WireResponse:
    """The reply as JSON, or as server-sent events when the request asked to stream."""
    message = _message(reply, request, ids)
    if not request.get("stream"):
        return _render_whole(reply, message, ids)
    events = list(_events(reply, message, delta_chars))
    drops = reply.drop_after is not None
    headers = (
        ("content-type", "text/event-stream; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("request-id", ids.request_id),
    )
    return WireResponse(
        200,
        headers,
        tuple(_sse(name, data) for name, data in events),
        streamed=True,
        drops=drops,
        tokens=tuple(_delta_tokens(data) for _, data in events),
    )


def estimate_input_tokens(request: Mapping[str, Any]) -> int:
    """Tokens of every piece of text in the request: system, messages, tools."""
    tools = request.get("tools")
    return (
        count_tokens("".join(_strings(request.get("system"))))
        + count_tokens("".join(_strings(request.get("messages"))))
        + (count_tokens(json.dumps(tools)) if tools else 0)
    )


def _strings(value: Any) -> Iterator[str]:
    """Text, thinking and data strings found anywhere in a request structure."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in ("content", "text", "thinking", "input"):
            if key in value:
                yield from _strings(value[key])
    elif isinstance(value, Sequence):
        for item in value:
            yield from _strings(item)


def _message(reply: Reply, request: Mapping[str, Any], ids: Ids) -> dict[str, Any]:
    """The complete message the reply stands for."""
    output = reply.output_tokens
    if output is None:
        output = max(1, sum(count_tokens(_block_text(b)) for b in reply.content))
    inputs = reply.input_tokens
    if inputs is None:
        inputs = estimate_input_tokens(request)
    usage: dict[str, Any] = {
        "input_tokens": inputs,
        "cache_creation_input_tokens": reply.cache_creation_input_tokens,
        "cache_read_input_tokens": reply.cache_read_input_tokens,
        "output_tokens": output,
        "service_tier": "standard",
    }
    if reply.cache_creation_input_tokens is None:
        del usage["cache_creation_input_tokens"]
    elif reply.cache_breakdown:
        one_hour = reply.cache_creation_1h_input_tokens
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": reply.cache_creation_input_tokens - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        }
    return {
        "id": ids.message_id,
        "type": "message",
        "role": "assistant",
        "model": reply.model or str(request.get("model", "claude-double")),
        "content": [dict(b) for b in reply.content],
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "stop_details": dict(reply.stop_details) if reply.stop_details else None,
        "usage": usage,
    }


def _block_text(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return str(block["text"])
    if kind == "thinking":
        return str(block["thinking"])
    if kind == "tool_use":
        return json.dumps(block.get("input", {}))
    return ""


def _render_whole(reply: Reply, message: dict[str, Any], ids: Ids) -> WireResponse:
    if reply.error_after is not None:
        # Outside a stream an error can only be an HTTP status.
        kind, text = reply.stream_error
        return render_error(ErrorReply(STATUS_OF_ERROR.get(kind, 500), kind, text), ids.request_id)
    response = render_json(200, message, ids.request_id)
    if reply.drop_after is None:
        return response
    # The body stops half-way; the content-length promised more.
    body = response.body
    return WireResponse(200, response.headers, (body[: len(body) // 2],), drops=True)


def _events(reply: Reply, message: dict[str, Any], delta_chars: int) -> Iterator[tuple[str, Any]]:
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "stop_details": None,
        "usage": {**usage, "output_tokens": 1},
    }
    yield "message_start", {"type": "message_start", "message": start}
    limit = reply.drop_after if reply.drop_after is not None else reply.error_after
    sent = 0
    pinged = False
    for index, block in enumerate(reply.content):
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": _shell(block)},
        )
        if not pinged:
            # The API sends a ping early in every stream; the SDK must skip it.
            yield "ping", {"type": "ping"}
            pinged = True
        for delta in _deltas(block, delta_chars):
            if limit is not None and delta["type"] == "text_delta":
                room = limit - sent
                if len(delta["text"]) >= room:
                    if room > 0:
                        yield (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": index,
                                "delta": {**delta, "text": delta["text"][:room]},
                            },
                        )
                    yield from _break_off(reply)
                    return
                sent += len(delta["text"])
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    if not pinged:
        yield "ping", {"type": "ping"}
    if limit is not None:
        # Less text than the limit: break off where the message would have ended.
        yield from _break_off(reply)
        return
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": message["stop_reason"],
                "stop_sequence": message["stop_sequence"],
                "stop_details": message["stop_details"],
            },
            "usage": {
                key: usage[key]
                for key in (
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                    "output_tokens",
                )
                if key in usage
            },
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _delta_tokens(event: Mapping[str, Any]) -> int:
    """Output tokens an event carries: those of a text or thinking delta."""
    if event.get("type") != "content_block_delta":
        return 0
    delta = event["delta"]
    return count_tokens(delta.get("text") or delta.get("thinking") or "")


def _break_off(reply: Reply) -> Iterator[tuple[str, Any]]:
    """Nothing for a dropped connection (the transport breaks it); else the error event."""
    if reply.error_after is not None:
        kind, text = reply.stream_error
        yield "error", {"type": "error", "error": {"type": kind, "message": text}}


def _shell(block: Mapping[str, Any]) -> Block:
    """A block as content_block_start announces it, before its deltas."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": ""}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    if kind == "tool_use":
        return {**block, "input": {}}
    return dict(block)  # redacted_thinking and others arrive whole


def _deltas(block: Mapping[str, Any], delta_chars: int) -> Iterator[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        for piece in split_tokens(block["text"], delta_chars):
            yield {"type": "text_delta", "text": piece}
    elif kind == "thinking":
        for piece in split_tokens(block["thinking"], delta_chars):
            yield {"type": "thinking_delta", "thinking": piece}
        if block.get("signature"):
            yield {"type": "signature_delta", "signature": block["signature"]}
    elif kind == "tool_use":
        encoded = json.dumps(block.get("input", {}))
        for i in range(0, len(encoded), delta_chars):
            yield {"type": "input_json_delta", "partial_json": encoded[i : i + delta_chars]}


def _sse(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
