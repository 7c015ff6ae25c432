"""The only module that talks to the Messages API (through the `anthropic` SDK):
`MessagesClient`, `LazyClient`, and the API's errors as codegen's.

Every call streams: the SDK refuses non-streaming calls with a large max_tokens, and a
stream that breaks half-way still leaves the text received so far, which is kept and
continued instead of being bought again.

Whatever a server sends back ends as an Answer or an `APIError` of one line, never as
a traceback: an HTML page (a captive portal), a whole JSON message from a server that
ignores `stream` (taken as the answer), bytes that are not UTF-8, events that do not
parse or do not fit together. Text that arrived before such a fault is kept, as it is
when the connection drops.

The Message Batches endpoints (--batch) are called from `batches.py`, through
`MessagesClient.sdk_call`: with the same retries and the same errors.

Retries are codegen's, not the SDK's, which would wait as long as any `retry-after`
says, and silently: see `MessagesClient`.

The SDK is imported when a client is made, not with this module: it takes seconds to
import, and a build that calls nothing (up to date, --offline, --dry-run) needs none.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import APIError, AuthenticationError, MissingCredentialsError, PrefillRejectedError
from ..models import Usage
from .base import Answer, Block, backoff, seconds, tell_wait

if TYPE_CHECKING:
    import anthropic
    import httpx2

    from .batches import MessageBatches

# Local servers (llama.cpp, Ollama, vLLM) accept any key; the SDK wants one to send.
_NO_KEY = "no-key"

# Seconds a stream may go without an event (the API's pings do not count) before it is
# given up as stalled; the read timeout too, so that a server that sends nothing at all
# is given up as soon.
IDLE_TIMEOUT = 120.0
# The longest wait a server may ask for (`retry-after`) that is waited without --wait.
MAX_WAIT = 60.0

# The `error` events that may pass, when they come before the answer began: retried.
_PASSING_ERRORS = frozenset({"overloaded_error", "rate_limit_error", "api_error", "timeout_error"})
# Events that belong to a message, and cannot come before its message_start.
_MESSAGE_EVENTS = frozenset(
    {"content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}
)

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    """Where requests go; the key is held here and nowhere else."""

    api_key: str = field(repr=False)
    base_url: str | None = None

    @property
    def describe(self) -> str:
        return self.base_url or "the Anthropic API"

    @property
    def server(self) -> str:
        """Who answered, as an error message names it."""
        return f"the server at {self.base_url}" if self.base_url else "the Anthropic API"

    @property
    def check(self) -> str:
        """What to check when the answer is not the Messages API's."""
        if self.base_url:
            return "is ANTHROPIC_BASE_URL right?"
        return "is a proxy or a captive portal in the way?"


def connection_from_env(env: dict[str, str] | None = None) -> Connection:
    """ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL."""
    env = dict(os.environ) if env is None else env
    key = env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")
    base_url = env.get("ANTHROPIC_BASE_URL") or None
    if not key and not base_url:
        raise MissingCredentialsError()
    return Connection(api_key=key or _NO_KEY, base_url=base_url)


class _Retry(Exception):
    """A failure that may pass: `what` it was (for the progress line), the `error` to
    raise when the retries run out, and the wait the server asked for."""

    def __init__(self, what: str, error: Exception, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what, self.error, self.retry_after = what, error, retry_after


class MessagesClient:
    """Streams Messages API requests and turns every outcome into an Answer or an error.

    A failure before any of the answer arrived (408, 409, 429, 5xx, `x-should-retry`
    as the SDK reads it, a failed connection, an `error` event such as overloaded_error
    before the message began) is sent again, up to `max_retries` times: after the wait
    the server asks for (`retry-after-ms`, `retry-after`), else after the SDK's backoff.
    A wait over `max_wait` seconds (None: no limit, --wait) fails the request instead.
    Each wait is told (`base.tell_wait`) and spent by `sleep`. A stream with no event for
    `timeout` seconds (pings aside; `clock` tells the time) is given up as broken.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        http_client: httpx2.Client | None = None,
        max_retries: int = 4,
        timeout: float = IDLE_TIMEOUT,
        max_wait: float | None = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import anthropic
        import httpx2

        self._connection = connection
        self._max_retries, self._timeout, self._max_wait = max_retries, timeout, max_wait
        self._sleep, self._clock = sleep, clock
        self._sdk = anthropic.Anthropic(
            api_key=connection.api_key,
            base_url=connection.base_url,
            http_client=http_client,
            max_retries=0,  # ours: see the class docstring
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 5.0)),
        )

    def close(self) -> None:
        self._sdk.close()

    def batches(self) -> MessageBatches:
        """The Message Batches endpoints over this client's connection and retries (--batch)."""
        from .batches import MessageBatches

        return MessageBatches(self)

    def sdk_call(self, send: Callable[[anthropic.Anthropic], T]) -> T:
        """`send(sdk)` with this client's retries (each wait told) and the API's errors
        as codegen's: how `batches.py` calls the Message Batches endpoints."""
        return self._retrying(lambda: self._call_once(send))

    def _call_once(self, send: Callable[[anthropic.Anthropic], T]) -> T:
        import anthropic
        import httpx2

        try:
            return send(self._sdk)
        except anthropic.APIStatusError as exc:
            raise self._refused(exc) from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise self._unreachable(exc, APIError) from None

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        """Send one request; return what came back, however far the stream got."""
        return self._retrying(lambda: self._stream_once(request, on_text))

    def _retrying(self, send: Callable[[], T]) -> T:
        retries = 0
        while True:
            try:
                return send()
            except _Retry as failure:
                if retries >= self._max_retries:
                    raise failure.error from None
                retries += 1
                wait = self._wait(failure, retries)
                tell_wait(f"{failure.what}: retrying in {seconds(wait)} ({retries}/{self._max_retries})")
                self._sleep(wait)

    def _wait(self, failure: _Retry, retries: int) -> float:
        asked = failure.retry_after
        if asked is None or asked <= 0:
            return backoff(retries)
        if self._max_wait is not None and asked > self._max_wait:
            raise APIError(
                f"{failure.what}: the server asks to wait {seconds(asked)}, more than "
                f"{seconds(self._max_wait)}; try later or pass --wait"
            )
        return asked

    def _stream_once(self, request: dict[str, Any], on_text: Callable[[str], None] | None) -> Answer:
        import anthropic
        import httpx2

        try:
            with self._sdk.messages.stream(**request) as stream:
                return self._read(stream, request, on_text)
        except anthropic.APIStatusError as exc:  # the answer's HTTP status: nothing began
            raise self._refused(exc) from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise self._unreachable(exc, APIError) from None

    def _refused(self, exc: anthropic.APIStatusError) -> Exception:
        """An error status as the error to raise: a _Retry when it may pass."""
        error = _translate_status(exc, self._connection)
        if not _should_retry(exc.response):
            return error
        return _Retry(_status_name(exc.status_code), error, _retry_after(exc.response.headers))

    def _unreachable(self, exc: Exception, error: type[Exception]) -> _Retry:
        where = self._connection.describe
        return _Retry(
            f"cannot reach {where}",
            error(f"cannot reach {where}: {_first_line(exc)}; check the network or ANTHROPIC_BASE_URL"),
        )

    def _read(self, stream: Any, request: dict[str, Any], on_text: Callable[[str], None] | None) -> Answer:
        """The answer of a stream whose response began with a success status."""
        from .watch import Watch, Watched

        response = stream.response
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/json":
            return self._whole(response, request, on_text)
        if media == "text/html":
            raise APIError(
                f"{self._connection.server} answered an HTML page{_title(response)}, not an "
                f"event stream: {self._connection.check}"
            )
        watch = Watch(self._timeout, request["max_tokens"], self._clock)
        response.stream = Watched(response.stream, watch)
        snapshot: Any = None
        events = iter(stream)
        while True:
            try:
                event = next(events, None)
            except Exception as exc:  # whatever the SDK makes of what the server sent
                return self._broken(watch.stop or exc, snapshot, request)
            if event is None:
                break
            watch.event(_content_of(event))
            if event.type == "message_start" or snapshot is not None:
                snapshot = stream.current_message_snapshot
            elif event.type in _MESSAGE_EVENTS:
                raise APIError(self._unreadable(f"sent {event.type} before message_start"))
            if on_text is not None and event.type == "text":
                on_text(event.text)
        if snapshot is None:
            what = "an event stream" if media == "text/event-stream" else f"a {media or 'untyped'} body"
            raise APIError(
                f"{self._connection.server} answered {what} with no message in it: {self._connection.check}"
            )
        return _answer(snapshot, None, request)

    def _broken(self, exc: Exception, snapshot: Any, request: dict[str, Any]) -> Answer:
        """What is left of a stream that broke: the answer so far, or an error."""
        import anthropic
        import httpx2

        from .watch import Stalled

        transient = True
        if isinstance(exc, APIError):  # too large: not worth keeping
            raise exc
        if isinstance(exc, Stalled):
            why = str(exc)
        elif isinstance(exc, anthropic.APITimeoutError):
            why = f"the stream stalled: nothing for {seconds(self._timeout)} (--timeout)"
        elif isinstance(exc, anthropic.APIStatusError):  # an `error` event
            kind, message = _error_body(exc)
            why = f"the stream broke off with {kind or 'an error'}: {message}"
            transient = kind in _PASSING_ERRORS
        elif isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError)):
            why = f"connection lost mid-stream: {_first_line(exc)}"
        else:
            why, transient = self._unreadable(_fault(exc)), False
        answer = None if snapshot is None else _answer(snapshot, why, request, transient=transient)
        if answer is not None and (transient or answer.content):
            return answer
        # Nothing arrived that could be kept: sent again if the fault may pass.
        raise _Retry(why, APIError(why)) if transient else APIError(why)

    def _unreadable(self, fault: str) -> str:
        return f"{self._connection.server} {fault}: {self._connection.check}"

    def _whole(self, response: Any, request: dict[str, Any], on_text: Callable[[str], None] | None) -> Answer:
        """A server that ignores `stream` answers the whole message as JSON: it is the answer."""
        from anthropic.types import Message

        from .watch import oversize, size_limit

        max_tokens = request["max_tokens"]
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > 6 * size_limit(max_tokens):  # as escaped in JSON
                raise oversize(max_tokens)
        server, check = self._connection.server, self._connection.check
        try:
            data = json.loads(bytes(body))
        except ValueError as exc:
            raise APIError(
                f"{server} answered JSON that does not parse ({_first_line(exc)}): {check}"
            ) from None
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            said = " ".join(str(error.get("message") or "no message").split())
            raise APIError(f"{server} answered {error.get('type') or 'an error'}: {said}")
        try:
            message = Message.model_validate(data)
        except ValueError as exc:
            raise APIError(
                f"{server} answered JSON that is not a message ({_first_line(exc)}): {check}"
            ) from None
        answer = _answer(message, None, request)
        if len(answer.text.encode("utf-8", "surrogatepass")) > size_limit(max_tokens):
            raise oversize(max_tokens)
        if on_text is not None and answer.text:
            on_text(answer.text)
        return answer

    # -- count_tokens (codegen estimate) ------------------------------------------

    def count_tokens(self, request: dict[str, Any]) -> int:
        """Input tokens of a request body, by the server's count_tokens endpoint.

        Raises CountTokensUnavailable where the server has no such endpoint (404, 405,
        501) or cannot be reached; refused credentials stay an AuthenticationError.
        """
        params: dict[str, Any] = {
            k: request[k] for k in ("model", "system", "messages", "thinking") if k in request
        }
        return self._retrying(lambda: self._count_once(params))

    def _count_once(self, params: dict[str, Any]) -> int:
        import anthropic
        import httpx2

        try:
            return self._sdk.messages.count_tokens(**params).input_tokens
        except anthropic.APIStatusError as exc:
            if exc.status_code in (404, 405, 501):
                raise CountTokensUnavailable(_describe_status(exc)) from None
            raise self._refused(exc) from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise self._unreachable(exc, CountTokensUnavailable) from None


class CountTokensUnavailable(Exception):
    """The server cannot count tokens; the caller counts locally and says so."""


def answer_of(message: Any, request: dict[str, Any]) -> Answer:
    """A whole message (the SDK's `Message`, as a batch result holds it) as an Answer."""
    return _answer(message, None, request)


def _answer(
    message: Any, interrupted: str | None, request: dict[str, Any], *, transient: bool = False
) -> Answer:
    content = tuple(b for b in (_block_param(b) for b in message.content) if b is not None)
    return Answer(
        content=content,
        stop_reason=None if interrupted else message.stop_reason,
        stop_details=message.stop_details.model_dump() if message.stop_details else None,
        usage=usage_of(message.usage, request),
        interrupted=interrupted,
        transient=transient,
    )


def _content_of(event: Any) -> str:
    """The text, thinking or tool input an event of the SDK's MessageStream adds."""
    kind = event.type
    if kind == "text":
        return str(event.text)
    if kind == "thinking":
        return str(event.thinking)
    if kind == "input_json":
        return str(event.partial_json)
    return ""


def _fault(exc: Exception) -> str:
    """What was wrong with a stream the SDK could not read, from what it raised."""
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"sent bytes that are not UTF-8 in its event stream ({exc.object[exc.start : exc.start + 4]!r})"
        )
    if isinstance(exc, json.JSONDecodeError):
        return f"sent an event whose data is not JSON ({exc.doc[:40]!r})"
    if isinstance(exc, IndexError):
        return "sent a delta for a content block that never started"
    if isinstance(exc, RuntimeError) and "before" in str(exc):
        return f"sent events out of order ({_first_line(exc)})"
    return f"sent an event stream codegen cannot read ({type(exc).__name__}: {_first_line(exc)})"


def _title(response: Any) -> str:
    """' ("Hotel Wi-Fi login")': the page's title, from its first 64 KB, or ""."""
    head = bytearray()
    for piece in response.iter_bytes():
        head += piece
        if len(head) >= 65_536:
            break
    found = re.search(rb"<title[^>]*>(.*?)</title", bytes(head), re.IGNORECASE | re.DOTALL)
    title = " ".join(found[1].decode("utf-8", "replace").split())[:80] if found else ""
    return f" ({title!r})" if title else ""


def _should_retry(response: httpx2.Response) -> bool:
    """Whether an error status may pass, as the SDK judges it."""
    told = response.headers.get("x-should-retry")
    if told in ("true", "false"):
        return told == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500


def _retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms`, else `retry-after` (seconds or
    an HTTP date), as the SDK reads them."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) * scale
        except ValueError:
            continue
    date = email.utils.parsedate_tz(headers.get("retry-after") or "")
    return None if date is None else float(email.utils.mktime_tz(date) - time.time())


def _status_name(status: int) -> str:
    """An error status as a progress line says it."""
    names = {429: "rate limited", 529: "overloaded", 408: "request timeout (408)", 409: "conflict (409)"}
    return names.get(status) or (f"server error {status}" if status >= 500 else f"API error {status}")


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
    # A server's message may run over lines: the user reads one.
    message = " ".join(str(error.get("message") or "").split())
    return str(error.get("type") or ""), message or _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class LazyClient:
    """Connects on the first request, so a build with nothing to generate needs no key."""

    def __init__(
        self, http_client: Any = None, *, timeout: float = IDLE_TIMEOUT, max_wait: float | None = MAX_WAIT
    ) -> None:
        self._http_client = http_client
        self._timeout, self._max_wait = timeout, max_wait
        self._client: MessagesClient | None = None

    def connect(self) -> MessagesClient:
        if self._client is None:
            self._client = MessagesClient(
                connection_from_env(),
                http_client=self._http_client,
                timeout=self._timeout,
                max_wait=self._max_wait,
            )
        return self._client

    def stream(self, request: dict[str, Any], on_text: Callable[[str], None] | None = None) -> Answer:
        return self.connect().stream(request, on_text)

    def batches(self) -> MessageBatches:
        return self.connect().batches()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
