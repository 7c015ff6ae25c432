"""The only module that talks to the Messages API (through the `anthropic` SDK):
`MessagesClient`, `LazyClient`, and the API's errors as codegen's.

Every call streams: the SDK refuses non-streaming calls with a large max_tokens, and a
stream that breaks half-way still leaves the text received so far, which is kept and
continued instead of being bought again.

The SDK is imported when a client is made, not with this module: it takes seconds to
import, and a build that calls nothing (up to date, --offline, --dry-run) needs none.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import APIError, AuthenticationError, MissingCredentialsError, PrefillRejectedError
from ..models import Usage
from .base import Answer, Block

if TYPE_CHECKING:
    import anthropic
    import httpx2

# Local servers (llama.cpp, Ollama, vLLM) accept any key; the SDK wants one to send.
_NO_KEY = "no-key"


@dataclass(frozen=True)
class Connection:
    """Where requests go; the key is held here and nowhere else."""

    api_key: str = field(repr=False)
    base_url: str | None = None

    @property
    def describe(self) -> str:
        return self.base_url or "the Anthropic API"


def connection_from_env(env: dict[str, str] | None = None) -> Connection:
    """ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL."""
    env = dict(os.environ) if env is None else env
    key = env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")
    base_url = env.get("ANTHROPIC_BASE_URL") or None
    if not key and not base_url:
        raise MissingCredentialsError()
    return Connection(api_key=key or _NO_KEY, base_url=base_url)


class MessagesClient:
    """Streams Messages API requests and turns every outcome into an Answer or an error."""

    def __init__(
        self,
        connection: Connection,
        *,
        http_client: httpx2.Client | None = None,
        max_retries: int = 4,
        timeout: float = 600.0,
    ) -> None:
        import anthropic

        self._connection = connection
        self._sdk = anthropic.Anthropic(
            api_key=connection.api_key,
            base_url=connection.base_url,
            http_client=http_client,
            max_retries=max_retries,
            timeout=timeout,
        )

    def close(self) -> None:
        self._sdk.close()

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        """Send one request; return what came back, however far the stream got."""
        import anthropic
        import httpx2

        snapshot: Any = None
        try:
            with self._sdk.messages.stream(**request) as stream:
                for event in stream:
                    snapshot = stream.current_message_snapshot
                    if on_text is not None and event.type == "text":
                        on_text(event.text)
                return _answer(stream.current_message_snapshot, None, request)
        except anthropic.APIStatusError as exc:
            if snapshot is not None:
                # An `error` event inside the stream (e.g. overloaded): the SDK does not
                # retry those, so keep what arrived and let the caller continue from it.
                return _answer(snapshot, _describe_status(exc), request)
            raise _translate_status(exc, self._connection) from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            if snapshot is not None:
                return _answer(snapshot, f"connection lost mid-stream: {_first_line(exc)}", request)
            raise APIError(
                f"cannot reach {self._connection.describe}: {_first_line(exc)}; "
                "check the network or ANTHROPIC_BASE_URL"
            ) from None

    # -- count_tokens (codegen estimate) ------------------------------------------

    def count_tokens(self, request: dict[str, Any]) -> int:
        """Input tokens of a request body, by the server's count_tokens endpoint.

        Raises CountTokensUnavailable where the server has no such endpoint (404, 405,
        501) or cannot be reached; refused credentials stay an AuthenticationError.
        """
        import anthropic
        import httpx2

        params = {k: request[k] for k in ("model", "system", "messages", "thinking") if k in request}
        try:
            return self._sdk.messages.count_tokens(**params).input_tokens
        except anthropic.APIStatusError as exc:
            if exc.status_code in (404, 405, 501):
                raise CountTokensUnavailable(_describe_status(exc)) from None
            raise _translate_status(exc, self._connection) from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise CountTokensUnavailable(
                f"cannot reach {self._connection.describe}: {_first_line(exc)}"
            ) from None


class CountTokensUnavailable(Exception):
    """The server cannot count tokens; the caller counts locally and says so."""


def _answer(message: Any, interrupted: str | None, request: dict[str, Any]) -> Answer:
    content = tuple(b for b in (_block_param(b) for b in message.content) if b is not None)
    return Answer(
        content=content,
        stop_reason=None if interrupted else message.stop_reason,
        stop_details=message.stop_details.model_dump() if message.stop_details else None,
        usage=usage_of(message.usage, request),
        interrupted=interrupted,
    )


def usage_of(usage: Any, request: dict[str, Any]) -> Usage:
    """The SDK's usage as ours, cache writes split by lifetime: by the API's
    `cache_creation` breakdown (sent with message_start) where present, else by the
    lifetime the request asked for."""
    written = usage.cache_creation_input_tokens or 0
    split = getattr(usage, "cache_creation", None)
    if split is not None:
        one_hour = split.ephemeral_1h_input_tokens or 0
        written = written or one_hour + (split.ephemeral_5m_input_tokens or 0)
    else:
        one_hour = written if requested_ttl(request) == "1h" else 0
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_write_tokens=written,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_1h_tokens=min(one_hour, written),
    )


def requested_ttl(request: dict[str, Any]) -> str:
    """ "1h" when any cache breakpoint of the request asks for the 1-hour lifetime, else
    "5m". codegen marks every breakpoint of a request alike; a request mixing both
    is taken as 1h, the higher price, since the split is not known."""
    system = request.get("system")
    blocks: list[Any] = [] if isinstance(system, str) else list(system or [])
    for message in request.get("messages") or []:
        if not isinstance(message.get("content"), str):
            blocks += message["content"]
    for block in blocks:
        marker = block.get("cache_control") if isinstance(block, dict) else None
        if isinstance(marker, dict) and marker.get("ttl") == "1h":
            return "1h"
    return "5m"


def _block_param(block: Any) -> Block | None:
    """A response block as a request param; None for what cannot be sent back."""
    kind = block.type
    if kind == "text":
        # The API rejects empty text blocks.
        return {"type": "text", "text": block.text} if block.text else None
    if kind == "thinking":
        # A thinking block cut before its signature arrived cannot be verified: drop it.
        if not block.signature:
            return None
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    data: Block = block.model_dump(exclude_none=True)
    data.pop("parsed_output", None)
    return data


def _translate_status(exc: anthropic.APIStatusError, connection: Connection) -> APIError:
    kind, message = _error_body(exc)
    if exc.status_code in (401, 403):
        return AuthenticationError(
            f"{connection.describe} refused the credentials ({exc.status_code}): "
            f"{message}; check ANTHROPIC_API_KEY"
        )
    if exc.status_code == 400 and "prefill" in message.lower():
        return PrefillRejectedError(message)
    return APIError(_describe_status(exc))


def _describe_status(exc: anthropic.APIStatusError) -> str:
    kind, message = _error_body(exc)
    return f"API error {exc.status_code}{' ' + kind if kind else ''}: {message}"


def _error_body(exc: anthropic.APIStatusError) -> tuple[str, str]:
    """(error type, message) from the API's error body, whatever of it there is."""
    body = exc.body
    error = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", _first_line(exc)
    return str(error.get("type") or ""), str(error.get("message") or _first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class LazyClient:
    """Connects on the first request, so a build with nothing to generate needs no key."""

    def __init__(self, http_client: Any = None) -> None:
        self._http_client = http_client
        self._client: MessagesClient | None = None

    def connect(self) -> MessagesClient:
        if self._client is None:
            self._client = MessagesClient(connection_from_env(), http_client=self._http_client)
        return self._client

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        return self.connect().stream(request, on_text)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
