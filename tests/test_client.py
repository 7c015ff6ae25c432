"""The client (`codegen/streaming/anthropic.py`, `watch.py`) against servers that do not
speak the protocol well, and the waits a server can ask for (issue 18).

Through the real SDK: httpx's MockTransport for what one response does, and a raw
loopback server for builds, answering bytes the double would never send: an HTML page,
a JSON message where a stream was asked, bytes that are not UTF-8, events that do not
parse or do not fit together, pings and nothing else, more than max_tokens allows.
Waits are spent by an injected `sleep` and timed by an injected clock: no test waits.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from codegen.errors import APIError
from codegen.streaming.anthropic import Connection, LazyClient, MessagesClient
from codegen.streaming.base import waits_told_to
from tests.support import SECRET, codegen, spec_file

URL = "http://hostile.test"
REQUEST: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Write the file `a.py`."}],
}
EVENTS = {"content-type": "text/event-stream"}

Handler = Callable[[httpx2.Request], httpx2.Response]


# -- the wire ----------------------------------------------------------------------------


def sse(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def start() -> bytes:
    message = {
        "id": "msg_hostile",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1},
    }
    return sse("message_start", {"type": "message_start", "message": message}) + sse(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )


def delta(text: str, index: int = 0) -> bytes:
    return sse(
        "content_block_delta",
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}},
    )


def end(stop_reason: str = "end_turn") -> bytes:
    return (
        sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        + sse(
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {"output_tokens": 9}},
        )
        + sse("message_stop", {"type": "message_stop"})
    )


def whole(text: str) -> bytes:
    """A complete event stream of one text block."""
    return start() + delta(text) + end()


PING = sse("ping", {"type": "ping"})


def message_json(text: str) -> dict[str, Any]:
    """The whole message, as a server that ignores `stream` sends it."""
    return {
        "id": "msg_json",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 5},
    }


class Body(httpx2.SyncByteStream):
    """A response body given piece by piece (counted as taken), raising `then` after."""

    def __init__(self, pieces: Iterable[bytes], then: Exception | None = None) -> None:
        self.pieces, self.then, self.taken = pieces, then, 0

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            self.taken += 1
            yield piece
        if self.then is not None:
            raise self.then


def respond(status: int, headers: dict[str, str], body: Body | bytes) -> httpx2.Response:
    stream = body if isinstance(body, Body) else Body([body])
    return httpx2.Response(status, headers=headers, stream=stream)


def error(status: int, kind: str, headers: dict[str, str] | None = None) -> httpx2.Response:
    body = json.dumps({"type": "error", "error": {"type": kind, "message": f"{kind} here"}}).encode()
    return respond(status, {"content-type": "application/json", **(headers or {})}, body)


def client_over(handler: Handler, **options: Any) -> MessagesClient:
    options.setdefault("max_retries", 0)
    return MessagesClient(
        Connection("k", URL), http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), **options
    )


def answering(*responses: Callable[[], httpx2.Response]) -> tuple[Handler, list[httpx2.Request]]:
    """A handler giving each response in turn (the last again), and the requests it saw."""
    seen: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]()

    return handle, seen


class Clock:
    """A clock that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


# -- hostile answers -----------------------------------------------------------------------

NOT_UTF8 = b'event: content_block_delta\ndata: {"type": "content_block_delta", "x": "\xff\xfe"}\n\n'
NOT_JSON = b"event: content_block_delta\ndata: {not json\n\n"

# (content type, body, what the one line says)
BEFORE_ANY_TEXT = {
    "not-utf8": (EVENTS, start() + NOT_UTF8, "sent bytes that are not UTF-8 in its event stream"),
    "html": (
        {"content-type": "text/html; charset=utf-8"},
        b"<!doctype html><html><head><title>Hotel Wi-Fi\n login</title></head><body>Sign in</body></html>",
        "answered an HTML page ('Hotel Wi-Fi login'), not an event stream",
    ),
    "data-not-json": (EVENTS, start() + NOT_JSON, "sent an event whose data is not JSON ('{not json')"),
    "data-without-event": (EVENTS, b"data: hello\n\n", "answered an event stream with no message in it"),
    "empty-body": ({"content-type": "text/plain"}, b"", "answered a text/plain body with no message in it"),
    "block-never-started": (
        EVENTS,
        start() + delta("A", index=3),
        "a delta for a content block that never started",
    ),
    "delta-before-start": (EVENTS, delta("A"), "sent content_block_delta before message_start"),
    "json-not-a-message": (
        {"content-type": "application/json"},
        b'{"hello": "world"}',
        "answered JSON that is not a message",
    ),
    "json-does-not-parse": (
        {"content-type": "application/json"},
        b"{'hello'",
        "answered JSON that does not parse",
    ),
}


@pytest.mark.parametrize("case", list(BEFORE_ANY_TEXT))
def test_a_hostile_answer_is_one_line_that_says_what_came_back_and_what_to_check(case: str) -> None:
    headers, body, says = BEFORE_ANY_TEXT[case]
    handler, seen = answering(lambda: respond(200, headers, body))
    with pytest.raises(APIError) as raised:
        client_over(handler, max_retries=4).stream(REQUEST)
    message = raised.value.message
    assert says in message and "\n" not in message, message
    assert message.startswith(f"the server at {URL} ") and message.endswith("is ANTHROPIC_BASE_URL right?")
    assert len(seen) == 1  # a server that speaks something else does not get better by asking again


def test_a_json_error_with_a_success_status_is_one_line() -> None:
    handler, _ = answering(lambda: error(200, "overloaded_error"))
    with pytest.raises(
        APIError, match=f"^the server at {URL} answered overloaded_error: overloaded_error here$"
    ):
        client_over(handler).stream(REQUEST)


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (NOT_UTF8, "sent bytes that are not UTF-8"),
        (NOT_JSON, "sent an event whose data is not JSON"),
        (delta("1", index=4), "sent a delta for a content block that never started"),
    ],
    ids=["not-utf8", "data-not-json", "block-never-started"],
)
def test_text_that_arrived_before_a_protocol_fault_is_kept_to_be_continued(fault: bytes, says: str) -> None:
    handler, _ = answering(lambda: respond(200, EVENTS, start() + delta("A = (") + fault + end()))
    streamed: list[str] = []
    answer = client_over(handler).stream(REQUEST, streamed.append)
    assert answer.text == "A = (" and streamed == ["A = ("]
    assert answer.stop_reason is None and answer.interrupted is not None and says in answer.interrupted
    assert not answer.transient  # a garbling server is not waited for


def test_a_whole_json_message_where_a_stream_was_asked_is_the_answer() -> None:
    body = json.dumps(message_json("```python\nA = 1\n```")).encode()
    handler, _ = answering(lambda: respond(200, {"content-type": "application/json"}, body))
    streamed: list[str] = []
    answer = client_over(handler).stream(REQUEST, streamed.append)
    assert answer.text == "```python\nA = 1\n```" and streamed == [answer.text]
    assert answer.stop_reason == "end_turn" and answer.interrupted is None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (12, 5)


# -- the same, in a build --------------------------------------------------------------------


class RawServer:
    """Loopback HTTP/1.0: each /v1/messages request gets what `answer(request)` gives,
    (status, headers, body), as raw bytes."""

    def __init__(self, answer: Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]]) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @contextmanager
    def serve(self) -> Iterator[str]:
        server = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                with server._lock:
                    server.requests.append(request)
                    status, headers, body = server.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        http = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        http.daemon_threads = True
        thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{http.server_address[1]}"
        finally:
            http.shutdown()
            http.server_close()
            thread.join()


def about(request: dict[str, Any], path: str) -> bool:
    content = request["messages"][0]["content"]
    text = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    return f"`{path}`" in text


def build(tmp_path: Path, answer: Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]], *args: str):
    """`codegen build --jobs 2 --format json` of bad.py and good.py against a RawServer."""
    spec = spec_file(tmp_path, [{"path": p, "prompt": f"the module {p}"} for p in ("bad.py", "good.py")])
    server = RawServer(answer)
    with server.serve() as url:
        env = {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": SECRET}
        result = codegen("build", str(spec), "--jobs", "2", "--format", "json", *args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    files = {f["path"]: f for f in json.loads(result.stdout)["specs"][0]["files"]}
    return result, files, server.requests


HOSTILE_IN_A_BUILD = {
    "html": ({"content-type": "text/html"}, b"<html><title>Portal</title></html>", "answered an HTML page"),
    "not-utf8": (EVENTS, start() + NOT_UTF8, "not UTF-8"),
    "data-not-json": (EVENTS, start() + NOT_JSON, "data is not JSON"),
    "block-never-started": (EVENTS, start() + delta("A", index=2), "never started"),
    "past-max-tokens": (
        EVENTS,
        start() + delta("x" * 200_000) + end(),
        "the server is not honouring max_tokens",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_IN_A_BUILD))
def test_in_a_build_a_hostile_answer_fails_its_file_alone(tmp_path: Path, case: str) -> None:
    headers, body, says = HOSTILE_IN_A_BUILD[case]

    def answer(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if about(request, "bad.py"):
            return 200, headers, body
        return 200, EVENTS, whole("```python\nB = 2\n```")

    result, files, _ = build(tmp_path, answer)
    assert result.returncode == 3, result.stderr
    assert files["good.py"]["status"] == "written" and (tmp_path / "good.py").read_text() == "B = 2\n"
    bad = files["bad.py"]
    assert bad["status"] == "failed" and says in bad["detail"] and "\n" not in bad["detail"]
    assert "bad.py: failed" in result.stderr.splitlines()
    assert not (tmp_path / "bad.py").exists()


def test_in_a_build_a_json_message_is_written_and_text_before_a_fault_is_continued(tmp_path: Path) -> None:
    def answer(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if about(request, "good.py"):
            return (
                200,
                {"content-type": "application/json"},
                json.dumps(message_json("```python\nB = 2\n```")).encode(),
            )
        if len(request["messages"]) == 1:
            return 200, EVENTS, start() + delta("```python\nA = (") + NOT_UTF8
        return 200, EVENTS, whole("1)\n```")  # the continuation of what was kept

    result, files, requests = build(tmp_path, answer)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files["good.py"]["status"] == "written" and (tmp_path / "good.py").read_text() == "B = 2\n"
    assert files["bad.py"]["status"] == "written" and (tmp_path / "bad.py").read_text() == "A = 1\n"
    assert files["bad.py"]["calls"] == 2 and len(requests) == 3


# -- an answer past max_tokens ----------------------------------------------------------------

TOO_LARGE = (
    f"^the answer passed {64 * 8 + 16_384:,} bytes, more than max_tokens 64 allows; "
    "the server is not honouring max_tokens$"
)


def test_a_stream_past_what_max_tokens_allows_is_stopped_early() -> None:
    body = Body(itertools.chain([start()], itertools.repeat(delta("x" * 1000), 1000), [end()]))
    handler, _ = answering(lambda: respond(200, EVENTS, body))
    with pytest.raises(APIError, match=TOO_LARGE):
        client_over(handler).stream(REQUEST)
    assert body.taken < 40  # of 1,002 pieces: the rest is never read


def test_one_event_past_what_max_tokens_allows_is_not_read_into_memory() -> None:
    # 1 MB of one delta, sent in pieces of 4 KB with no event boundary among them.
    event = delta("x" * 1_000_000)
    body = Body(
        itertools.chain([start()], (event[i : i + 4096] for i in range(0, len(event), 4096)), [end()])
    )
    handler, _ = answering(lambda: respond(200, EVENTS, body))
    with pytest.raises(APIError, match=TOO_LARGE):
        client_over(handler).stream(REQUEST)
    assert body.taken < 40


def test_a_json_message_past_what_max_tokens_allows_fails_too() -> None:
    body = json.dumps(message_json("x" * 20_000)).encode()
    handler, _ = answering(lambda: respond(200, {"content-type": "application/json"}, body))
    with pytest.raises(APIError, match=TOO_LARGE):
        client_over(handler).stream(REQUEST)


# -- retries and the waits they ask for ---------------------------------------------------------


def test_a_retry_after_past_the_ceiling_fails_at_once_with_what_to_do() -> None:
    handler, seen = answering(lambda: error(429, "rate_limit_error", {"retry-after": "3600"}))
    waits: list[float] = []
    with pytest.raises(APIError) as raised:
        client_over(handler, max_retries=4, sleep=waits.append).stream(REQUEST)
    assert raised.value.message == (
        "rate limited: the server asks to wait 3600 s, more than 60 s; try later or pass --wait"
    )
    assert waits == [] and len(seen) == 1


def test_with_no_ceiling_each_wait_asked_for_is_waited_and_told() -> None:
    handler, seen = answering(
        lambda: error(429, "rate_limit_error", {"retry-after": "3600"}),
        lambda: error(529, "overloaded_error", {"retry-after-ms": "1500"}),
        lambda: respond(200, EVENTS, whole("A = 1")),
    )
    waits: list[float] = []
    told: list[str] = []
    with waits_told_to(told.append):
        answer = client_over(handler, max_retries=4, max_wait=None, sleep=waits.append).stream(REQUEST)
    assert answer.text == "A = 1" and len(seen) == 3
    assert waits == [3600.0, 1.5]
    assert told == ["rate limited: retrying in 3600 s (1/4)", "overloaded: retrying in 1.5 s (2/4)"]


def test_without_retry_after_the_waits_back_off_as_the_sdks_and_run_out() -> None:
    handler, seen = answering(lambda: error(500, "api_error"))
    waits: list[float] = []
    told: list[str] = []
    with (
        waits_told_to(told.append),
        pytest.raises(APIError, match="^API error 500 api_error: api_error here$"),
    ):
        client_over(handler, max_retries=4, sleep=waits.append).stream(REQUEST)
    assert len(seen) == 5 and len(waits) == 4
    for n, wait in enumerate(waits):
        assert 0.5 * 2**n * 0.75 <= wait <= 0.5 * 2**n
    assert [line.split(": retrying in ")[0] for line in told] == ["server error 500"] * 4
    assert told[-1].endswith("(4/4)")


def test_x_should_retry_is_obeyed_either_way() -> None:
    success = lambda: respond(200, EVENTS, whole("A = 1"))  # noqa: E731
    handler, seen = answering(lambda: error(500, "api_error", {"x-should-retry": "false"}), success)
    with pytest.raises(APIError, match="500"):
        client_over(handler, max_retries=4, sleep=lambda seconds: None).stream(REQUEST)
    assert len(seen) == 1
    handler, seen = answering(
        lambda: error(400, "invalid_request_error", {"x-should-retry": "true"}), success
    )
    assert client_over(handler, max_retries=4, sleep=lambda seconds: None).stream(REQUEST).text == "A = 1"
    assert len(seen) == 2


def test_failures_before_the_answer_began_are_sent_again() -> None:
    def refused() -> httpx2.Response:
        raise httpx2.ConnectError("Connection refused")

    overloaded_at_once = sse(
        "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    handler, seen = answering(
        refused,
        lambda: respond(200, EVENTS, overloaded_at_once),
        lambda: respond(200, EVENTS, whole("A = 1")),
    )
    told: list[str] = []
    with waits_told_to(told.append):
        answer = client_over(handler, max_retries=4, sleep=lambda seconds: None).stream(REQUEST)
    assert answer.text == "A = 1" and len(seen) == 3
    assert told[0].startswith(f"cannot reach {URL}: retrying in ")
    assert told[1].startswith("the stream broke off with overloaded_error: Overloaded: retrying in ")


def test_an_error_event_after_text_keeps_the_text_as_a_break_that_may_pass() -> None:
    broke = sse("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    handler, seen = answering(lambda: respond(200, EVENTS, start() + delta("A = (") + broke))
    answer = client_over(handler, max_retries=4).stream(REQUEST)
    assert answer.text == "A = (" and answer.transient and len(seen) == 1
    assert answer.interrupted == "the stream broke off with overloaded_error: Overloaded"


# -- streams that stop sending -----------------------------------------------------------------


def test_pings_alone_end_a_stream_at_the_idle_timeout_but_slow_content_does_not() -> None:
    # The clock moves 10 s at each look: 30 deltas take far longer than the timeout in
    # all, but none comes more than it after the one before; the pings after them do.
    pieces = itertools.chain(
        [start()], (delta(f"{n}, ") for n in range(30)), itertools.repeat(PING, 1000), [end()]
    )
    handler, _ = answering(lambda: respond(200, EVENTS, Body(pieces)))
    answer = client_over(handler, timeout=120.0, clock=Clock(10.0)).stream(REQUEST)
    assert answer.text == "".join(f"{n}, " for n in range(30))
    assert answer.interrupted == "the stream stalled: nothing but pings for 120 s (--timeout)"
    assert answer.transient and answer.stop_reason is None


def test_a_stream_of_pings_before_any_message_is_sent_again_then_fails() -> None:
    handler, seen = answering(lambda: respond(200, EVENTS, Body(itertools.repeat(PING, 1000))))
    waits: list[float] = []
    with pytest.raises(APIError, match=r"^the stream stalled: nothing but pings for 120 s \(--timeout\)$"):
        client_over(handler, max_retries=1, sleep=waits.append, clock=Clock(10.0)).stream(REQUEST)
    assert len(seen) == 2 and len(waits) == 1


@pytest.mark.parametrize("timeout", [30.0, 120.0])
def test_a_silent_stall_ends_at_the_timeout_keeping_the_text(timeout: float) -> None:
    # A server that sends nothing more: the read timeout is the idle timeout.
    read_timeouts: list[float] = []

    def stall(request: httpx2.Request) -> httpx2.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        return respond(200, EVENTS, Body([start(), delta("A = (")], then=httpx2.ReadTimeout("timed out")))

    answer = client_over(stall, timeout=timeout).stream(REQUEST)
    assert read_timeouts == [timeout]
    assert answer.text == "A = (" and answer.transient
    assert answer.interrupted == f"the stream stalled: nothing for {timeout:.0f} s (--timeout)"


def test_the_lazy_client_takes_the_timeout_and_the_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", URL)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    read_timeouts: list[float] = []

    def limited(request: httpx2.Request) -> httpx2.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        return error(429, "rate_limit_error", {"retry-after": "61"})

    client = LazyClient(httpx2.Client(transport=httpx2.MockTransport(limited)), timeout=7.0)
    with pytest.raises(APIError, match="more than 60 s; try later or pass --wait"):
        client.stream(REQUEST)
    assert read_timeouts == [7.0]


def test_in_a_build_a_wait_past_the_ceiling_fails_its_file_and_a_short_one_is_shown(tmp_path: Path) -> None:
    asked: dict[str, int] = {}

    def answer(request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        path = "bad.py" if about(request, "bad.py") else "good.py"
        asked[path] = asked.get(path, 0) + 1
        wait = {"retry-after": "3600"} if path == "bad.py" else {"retry-after-ms": "20"}
        if path == "bad.py" or asked[path] == 1:
            body = json.dumps(
                {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
            )
            return 429, {"content-type": "application/json", **wait}, body.encode()
        return 200, EVENTS, whole("```python\nB = 2\n```")

    result, files, _ = build(tmp_path, answer)
    assert result.returncode == 3, result.stderr
    assert files["bad.py"]["status"] == "failed" and asked["bad.py"] == 1
    assert files["bad.py"]["detail"] == (
        "rate limited: the server asks to wait 3600 s, more than 60 s; try later or pass --wait"
    )
    assert files["good.py"]["status"] == "written" and asked["good.py"] == 2
    assert "good.py: rate limited: retrying in 0.02 s (1/4)" in result.stderr.splitlines()
