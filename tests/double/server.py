"""`MessagesDouble`: the Messages API, answered by an author, reachable two ways.

In process, `http_client()` is an httpx2 client over a `MockTransport`: give it to
`anthropic.Anthropic(http_client=...)` and the real SDK sends real requests and parses
real JSON and SSE. For a CLI run in a subprocess, `serve()` listens on a loopback port;
point ANTHROPIC_BASE_URL at the URL it yields.

Both routes share `handle`, so a reply is the same bytes either way, and a dropped
connection is a transport error either way (raised by the mock stream, or a socket
closed in the middle of a chunked body).

For tests that interrupt a client half-way (a build killed mid-stream), `event_delay`
makes the double a slow model (and `token_delay`, for benchmarks, one that streams at a
given number of tokens a second), and `chunks_sent`, `chunks_total` and `answered` say
how far each response has gone, so the test can pick its moment.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2

from .batches import BATCHES, BatchDesk, whole_message
from .tokens import count_tokens
from .wire import (
    ErrorReply,
    Ids,
    Reply,
    WireResponse,
    estimate_input_tokens,
    render_error,
    render_json,
    render_reply,
)

Request = dict[str, Any]
Author = Callable[[Request], Reply | ErrorReply]

MESSAGES = "/v1/messages"
COUNT_TOKENS = "/v1/messages/count_tokens"


@dataclass(frozen=True)
class Quirks:
    """How a server that is not Anthropic's answers differently (all seen in llama.cpp's
    llama-server, which speaks the Messages API).

    `echo_prefill`: the answer to a conversation that ends in an assistant message
    starts with that message's text again, then goes on. `no_cache_writes`: `usage`
    has no `cache_creation_input_tokens` (nor its breakdown). `model`:
    the answer names this model (llama-server: the model file's path), not the
    request's.
    """

    echo_prefill: bool = False
    no_cache_writes: bool = False
    model: str | None = None

    def apply(self, reply: Reply, request: Request) -> Reply:
        messages = request.get("messages") or []
        last = messages[-1] if messages else {}
        if self.echo_prefill and isinstance(last, dict) and last.get("role") == "assistant":
            content = last.get("content")
            echo = (
                content
                if isinstance(content, str)
                else "".join(b.get("text", "") for b in content or [] if b.get("type") == "text")
            )
            blocks = [dict(b) for b in reply.content]
            at = next((i for i, b in enumerate(blocks) if b.get("type") == "text"), None)
            if at is None:
                blocks.append({"type": "text", "text": echo})
            else:
                blocks[at]["text"] = echo + blocks[at]["text"]
            # The echo is not billed as output: the count stays that of the answer.
            reply = replace(
                reply,
                content=blocks,
                output_tokens=reply.output_tokens
                or max(1, sum(count_tokens(b.get("text", "")) for b in reply.content)),
            )
        if self.no_cache_writes:
            reply = replace(
                reply,
                cache_creation_input_tokens=None,
                cache_creation_1h_input_tokens=0,
                cache_breakdown=False,
            )
        if self.model is not None:
            reply = replace(reply, model=self.model)
        return reply


class MessagesDouble:
    """A stand-in for the Messages API whose answers come from `author`.

    `requests` holds every /v1/messages body, parsed, in arrival order (count_tokens
    bodies go to `count_requests`; `has_count_tokens=False`, opt-in, plays a server
    without that endpoint, which answers it 404). When the author raises, or a request
    breaks the API's rules (`validate`), the client gets an error response; author
    exceptions are also kept in `failures` (with `x-should-retry: false` so the SDK does
    not hide them behind retries), and `check()` raises them. `batches` serves the
    Message Batches endpoints from the same author (`batches.py`, with its switches).

    Progress, by index into `requests`: `chunks_sent[i]` counts the body chunks written
    so far (one per server-sent event) of the `chunks_total[i]` the response holds, and
    `answered` lists, in the order they finished, the requests whose complete answer (a
    message with its stop reason, not an error nor a stream that breaks off) went out to
    its last byte. `event_delay` (seconds, opt-in, 0 by default) is waited before each
    chunk after the first: a slow model; `token_delay` (seconds per output token, 0 by
    default) is waited before each chunk for every text or thinking token it carries: a
    model streaming at 1/token_delay tokens a second.
    """

    def __init__(
        self,
        author: Author,
        *,
        delta_chars: int = 12,
        validate: bool = True,
        event_delay: float = 0.0,
        token_delay: float = 0.0,
        has_count_tokens: bool = True,
        quirks: Quirks | None = None,
    ) -> None:
        self.author = author
        self.quirks = quirks or Quirks()
        self.delta_chars = delta_chars
        self.validate = validate
        self.has_count_tokens = has_count_tokens
        self.event_delay = event_delay
        self.token_delay = token_delay
        self.requests: list[Request] = []
        self.chunks_sent: list[int] = []
        self.chunks_total: list[int] = []
        self.answered: list[int] = []
        self.count_requests: list[Request] = []
        self.failures: list[str] = []
        # The Message Batches endpoints (`batches.py`), with their switches.
        self.batches = BatchDesk(self)
        # The socket server answers on several threads; authors keep state.
        self._lock = threading.Lock()
        self._served = 0

    # -- the API ---------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes) -> WireResponse:
        """Answer one HTTP request."""
        return self._handle(method, path, body)[0]

    def whole_message(self, request: Request, message_id: str) -> dict[str, Any] | ErrorReply:
        """The author's answer to a batch item (`batches.py`), as a whole message."""
        return whole_message(self, request, message_id)

    def _handle(
        self, method: str, path: str, body: bytes, base: str = ""
    ) -> tuple[WireResponse, _Progress | None]:
        """The response, and for a /v1/messages request the account of its delivery
        (`base`, the scheme and host asked, for the URLs a response gives)."""
        with self._lock:
            self._served += 1
            ids = Ids(f"msg_dbl{self._served:017d}", f"req_dbl{self._served:017d}")
            path = path.split("?", 1)[0].rstrip("/")
            if path == BATCHES or path.startswith(BATCHES + "/"):
                return self.batches.handle(method, path, body, ids, base), None
            served = (MESSAGES, COUNT_TOKENS) if self.has_count_tokens else (MESSAGES,)
            if method != "POST" or path not in served:
                return render_error(
                    ErrorReply(404, "not_found_error", f"Not found: {method} {path}"),
                    ids.request_id,
                ), None
            try:
                request = json.loads(body or b"null")
            except ValueError as exc:
                return self._invalid(f"request body is not valid JSON: {exc}", ids), None
            if not isinstance(request, dict):
                return self._invalid("request body must be a JSON object", ids), None
            if path == COUNT_TOKENS:
                self.count_requests.append(request)
                problem = _count_problem(request) if self.validate else None
                if problem:
                    return self._invalid(problem, ids), None
                return render_json(
                    200, {"input_tokens": estimate_input_tokens(request)}, ids.request_id
                ), None
            self.requests.append(request)
            self.chunks_sent.append(0)
            self.chunks_total.append(0)
            progress = _Progress(self, len(self.requests) - 1)
            problem = _messages_problem(request) if self.validate else None
            if problem:
                return progress.of(self._invalid(problem, ids))
            try:
                reply = self.author(request)
            except Exception as exc:  # reported to the test, not swallowed: see check()
                self.failures.append(f"request {len(self.requests)}: {type(exc).__name__}: {exc}")
                return progress.of(
                    render_error(
                        ErrorReply(
                            500,
                            "api_error",
                            f"test double: {type(exc).__name__}: {exc}",
                            headers={"x-should-retry": "false"},
                        ),
                        ids.request_id,
                    )
                )
            if isinstance(reply, ErrorReply):
                return progress.of(render_error(reply, ids.request_id))
            reply = self.quirks.apply(reply, request)
            progress.complete = reply.drop_after is None and reply.error_after is None
            return progress.of(render_reply(reply, request, ids, delta_chars=self.delta_chars))

    def check(self) -> None:
        """Raise if the author failed on any request."""
        if self.failures:
            raise AssertionError("the double's author failed:\n" + "\n".join(self.failures))

    @staticmethod
    def _invalid(message: str, ids: Ids) -> WireResponse:
        return render_error(ErrorReply(400, "invalid_request_error", message), ids.request_id)

    # -- in process --------------------------------------------------------------

    def http_client(self) -> httpx2.Client:
        """An httpx2 client whose requests this double answers, for the SDK's `http_client`."""
        return httpx2.Client(transport=httpx2.MockTransport(self._answer_mock))

    def _answer_mock(self, request: httpx2.Request) -> httpx2.Response:
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        wire, progress = self._handle(request.method, request.url.path, request.content, base)
        return httpx2.Response(
            wire.status,
            headers=list(wire.headers),
            stream=_MockBody(wire, progress, self.event_delay, self.token_delay),
            request=request,
        )

    # -- over a socket ---------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Listen on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
        double = self

        class Handler(_Handler):
            pass

        Handler.double = double
        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        # A short poll so that shutdown() returns promptly.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="messages-double", daemon=True
        )
        thread.start()
        try:
            host, port = server.server_address[:2]
            yield f"http://{host!s}:{port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a build stopping its other files after a 403)
    is no error of the server's: socketserver would print a traceback to stderr, which a
    test running codegen in this process reads as codegen's own."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Progress:
    """How far one /v1/messages response has gone out (see MessagesDouble)."""

    def __init__(self, double: MessagesDouble, index: int) -> None:
        self.double = double
        self.index = index
        self.complete = False  # a whole answer, not an error nor a reply that breaks off

    def of(self, wire: WireResponse) -> tuple[WireResponse, _Progress]:
        """The response this progress is about (called under the double's lock)."""
        self.double.chunks_total[self.index] = len(wire.chunks)
        return wire, self

    def sent(self) -> None:
        with self.double._lock:
            self.double.chunks_sent[self.index] += 1

    def finished(self) -> None:
        if self.complete:
            with self.double._lock:
                self.double.answered.append(self.index)


def _paced(
    wire: WireResponse, progress: _Progress | None, delay: float, token_delay: float = 0.0
) -> Iterator[bytes]:
    """The body's chunks, `delay` seconds apart (plus `token_delay` for each token a
    chunk carries), counted as they are taken."""
    for n, chunk in enumerate(wire.chunks):
        carried = wire.tokens[n] if wire.tokens else 0
        wait = delay + token_delay * carried
        if wait and n:
            time.sleep(wait)
        yield chunk
        if progress is not None:
            progress.sent()


class _MockBody(httpx2.SyncByteStream):
    """A response body that can break the way a real connection does."""

    def __init__(
        self,
        wire: WireResponse,
        progress: _Progress | None = None,
        delay: float = 0.0,
        token_delay: float = 0.0,
    ) -> None:
        self._wire = wire
        self._progress = progress
        self._delay = delay
        self._token_delay = token_delay

    def __iter__(self) -> Iterator[bytes]:
        yield from _paced(self._wire, self._progress, self._delay, self._token_delay)
        if self._progress is not None:
            self._progress.finished()
        if self._wire.drops:
            # What httpx2's own transport raises when the peer closes mid-body.
            raise httpx2.RemoteProtocolError(
                "peer closed connection without sending complete message body (incomplete chunked read)"
            )


class _Handler(BaseHTTPRequestHandler):
    """Serves a MessagesDouble over HTTP/1.1 (keep-alive, chunked event streams)."""

    protocol_version = "HTTP/1.1"
    double: MessagesDouble

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        base = f"http://{self.headers.get('host', '')}"
        wire, progress = self.double._handle(self.command, self.path, body, base)
        self.send_response(wire.status)
        for name, value in wire.headers:
            self.send_header(name, value)
        if wire.streamed:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for chunk in _paced(wire, progress, self.double.event_delay, self.double.token_delay):
                if wire.streamed:
                    # One chunk per event, flushed, so the client sees events as they come.
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
            if wire.drops:
                # No terminating chunk (or fewer bytes than content-length): the client's
                # transport reports an incomplete body.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if wire.streamed:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away mid-answer (a test killed it): not the double's error.
            self.close_connection = True
            return
        if progress is not None:
            progress.finished()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests' output is not the place for an access log."""


def _messages_problem(request: Request) -> str | None:
    """What the real API would reject in a /v1/messages body, or None."""
    for key in ("model", "max_tokens", "messages"):
        if key not in request:
            return f"{key}: Field required"
    if not isinstance(request["max_tokens"], int) or request["max_tokens"] < 1:
        return "max_tokens: must be a positive integer"
    return _messages_list_problem(request["messages"])


def _count_problem(request: Request) -> str | None:
    for key in ("model", "messages"):
        if key not in request:
            return f"{key}: Field required"
    return _messages_list_problem(request["messages"])


def _messages_list_problem(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return 'messages: first message must use the "user" role'
    for i, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return f"messages.{i}.content: Input should be a valid list"
        if not blocks:
            return f"messages.{i}.content: at least one content block is required"
        for j, block in enumerate(blocks):
            if block.get("type") == "text" and not block.get("text"):
                return f"messages.{i}.content.{j}: text content blocks must be non-empty"
            if block.get("type") == "text" and not str(block.get("text")).strip():
                return f"messages.{i}.content.{j}: text content blocks must contain non-whitespace text"
            if block.get("type") == "thinking" and "signature" not in block:
                return f"messages.{i}.content.{j}.signature: Field required"
    last = messages[-1]
    if last["role"] == "assistant":
        content = last["content"]
        tail = (
            content
            if isinstance(content, str)
            else (content[-1].get("text", "") if content and content[-1].get("type") == "text" else "x")
        )
        if tail != tail.rstrip():
            return "messages: final assistant content cannot end with trailing whitespace"
    return None
