"""The Messages API double, through the real SDK: what it sends must be what the SDK parses.

No SDK method is patched: every test builds an `anthropic.Anthropic` whose http_client
is the double's (or whose base_url is the double's loopback server).
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import ThinkingBlock
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.double import (
    SEAM_KINDS,
    ErrorReply,
    MessagesDouble,
    ModuleAuthor,
    Reply,
    ScriptedAuthor,
    Seams,
    Thinking,
    Wrapping,
    count_tokens,
    redacted_thinking_block,
    replies,
    seams,
    signature_for,
    take_tokens,
    text_block,
    thinking_block,
)
from tests.support import MODEL, sdk, stdlib_source, text_of, without_seam

STDLIB = Path(sysconfig.get_path("stdlib"))
ANSWER = "Here is the file:\n\n```python\ndef greet(name):\n    return f'hello {name}'\n```"


def ask(content: Any = "Write the file `greet.py`.", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": content}], **extra}


# -- the wire format, through the SDK ------------------------------------------------


def test_streamed_text_reaches_the_final_message() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER, input_tokens=42)]))
    with sdk(double).messages.stream(**ask()) as stream:
        deltas = list(stream.text_stream)
        message = stream.get_final_message()
    assert len(deltas) > 3  # the text came in several small deltas
    assert "".join(deltas) == ANSWER
    assert message.content[0].type == "text" and message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 42
    assert message.usage.output_tokens == count_tokens(ANSWER)
    assert message.model == MODEL
    assert double.requests == [{**ask(), "stream": True}]


def test_event_order_is_the_apis() -> None:
    reply = Reply(
        content=[thinking_block("Plan it."), text_block("one two three four five")], stop_reason="max_tokens"
    )
    double = MessagesDouble(ScriptedAuthor([reply]), delta_chars=4)
    with double.http_client() as http:
        response = http.post("http://double.test/v1/messages", json={**ask(), "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    events = [block.split("\n") for block in response.text.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    data = [json.loads(lines[1].removeprefix("data: ")) for lines in events]
    assert all(d["type"] == name for name, d in zip(names, data, strict=True))
    compact = [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]
    assert compact == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = data[0]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["output_tokens"] == 1
    kinds = [d["delta"]["type"] for d in data if d["type"] == "content_block_delta"]
    assert kinds.index("signature_delta") == kinds.count("thinking_delta")
    assert kinds.count("text_delta") > 1
    final = data[-2]
    assert final["delta"] == {"stop_reason": "max_tokens", "stop_sequence": None, "stop_details": None}
    assert final["usage"]["output_tokens"] == count_tokens("Plan it.one two three four five")


def test_token_delay_paces_a_stream_by_the_tokens_each_event_carries() -> None:
    reply = replies.text(ANSWER)
    wire = MessagesDouble(ScriptedAuthor([reply])).handle(
        "POST", "/v1/messages", json.dumps(ask(stream=True)).encode()
    )
    assert len(wire.tokens) == len(wire.chunks) and sum(wire.tokens) == count_tokens(ANSWER)
    double = MessagesDouble(ScriptedAuthor([reply]), token_delay=0.004)
    started = time.perf_counter()
    with sdk(double).messages.stream(**ask()) as stream:
        assert text_of(stream.get_final_message()) == ANSWER
    # time.sleep never returns early: at least the delay of every token after the first event.
    assert time.perf_counter() - started >= 0.004 * count_tokens(ANSWER)


def test_non_streaming_request_gets_the_json_message() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.cut("def f(")]))
    message = sdk(double).messages.create(**ask())
    assert message.content[0].text == "def f("  # type: ignore[union-attr]
    assert message.stop_reason == "max_tokens"
    assert "stream" not in double.requests[0]


def test_thinking_blocks_come_back_with_their_signatures() -> None:
    reply = Reply(
        content=[thinking_block("Think first."), redacted_thinking_block("opaque=="), text_block("x = 1\n")]
    )
    double = MessagesDouble(ScriptedAuthor([reply]))
    with sdk(double).messages.stream(**ask(thinking={"type": "adaptive"})) as stream:
        message = stream.get_final_message()
    thinking, redacted, text = message.content
    assert thinking.type == "thinking" and thinking.thinking == "Think first."
    assert thinking.signature == signature_for("Think first.")
    assert redacted.type == "redacted_thinking" and redacted.data == "opaque=="
    assert text.type == "text" and text.text == "x = 1\n"


def test_refusal_carries_its_category() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.refusal("cyber", partial="I can")]))
    with sdk(double).messages.stream(**ask()) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "refusal"
    assert message.stop_details is not None
    assert message.stop_details.type == "refusal"
    assert message.stop_details.category == "cyber"
    assert message.stop_details.explanation


def test_pause_turn_empty_end_turn_and_tool_use_parse() -> None:
    double = MessagesDouble(
        ScriptedAuthor(
            [
                replies.pause_turn("import os\n"),
                replies.empty_end_turn(),
                replies.tool_use("bash", {"command": "ls"}, preamble="Let me look."),
                replies.context_window_exceeded("x = ("),
            ]
        )
    )
    client = sdk(double)
    messages = []
    for _ in range(4):
        with client.messages.stream(**ask()) as stream:
            messages.append(stream.get_final_message())
    paused, empty, tool, window = messages
    assert paused.stop_reason == "pause_turn" and text_of(paused) == "import os\n"
    assert empty.stop_reason == "end_turn" and empty.content == []
    assert empty.usage.output_tokens > 0
    assert tool.stop_reason == "tool_use"
    assert tool.content[1].type == "tool_use"
    assert tool.content[1].name == "bash" and tool.content[1].input == {"command": "ls"}
    assert window.stop_reason == "model_context_window_exceeded"


def test_dropped_stream_raises_after_partial_text() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.dropped(ANSWER, after=25)]))
    received = []
    # SDK 2.17 wraps the broken read in APIConnectionError; before, httpx's error came
    # through as it was. codegen's client takes either as a stream cut mid-way.
    with pytest.raises((httpx2.TransportError, anthropic.APIConnectionError), match="incomplete"):
        with sdk(double).messages.stream(**ask()) as stream:
            for text in stream.text_stream:
                received.append(text)
    assert "".join(received) == ANSWER[:25]
    snapshot = stream.current_message_snapshot
    assert text_of(snapshot) == ANSWER[:25]
    assert snapshot.stop_reason is None  # message_delta never came


def test_error_event_mid_stream_raises_api_status_error() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.stream_error(ANSWER, after=10)]))
    with pytest.raises(anthropic.APIStatusError) as caught:
        with sdk(double, max_retries=2).messages.stream(**ask()) as stream:
            stream.until_done()
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert text_of(stream.current_message_snapshot) == ANSWER[:10]
    assert len(double.requests) == 1  # the SDK does not retry an error inside a stream


def test_overloaded_then_success_is_retried_quickly() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.overloaded(), replies.text("ok")]))
    began = time.monotonic()
    with sdk(double, max_retries=2).messages.stream(**ask()) as stream:
        assert stream.get_final_text() == "ok"
    assert len(double.requests) == 2
    assert double.requests[1]["messages"] == double.requests[0]["messages"]
    assert time.monotonic() - began < 1  # retry-after-ms: 1, not the SDK's backoff


def test_error_body_and_headers() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.overloaded()]))
    with double.http_client() as http:
        response = http.post("http://double.test/v1/messages", json=ask())
    assert response.status_code == 529
    assert response.headers["retry-after-ms"] == "1"
    body = response.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert body["request_id"] == response.headers["request-id"]


def test_authentication_error() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.unauthorized()]))
    with pytest.raises(anthropic.AuthenticationError) as caught:
        with sdk(double, max_retries=2).messages.stream(**ask()) as stream:
            stream.until_done()
    assert caught.value.status_code == 401
    assert caught.value.request_id is not None and caught.value.request_id.startswith("req_")
    assert len(double.requests) == 1


def test_explicit_headers_replace_the_defaults() -> None:
    slow = ErrorReply(429, "rate_limit_error", "slow down", headers={"x-should-retry": "false"})
    double = MessagesDouble(ScriptedAuthor([slow]))
    with pytest.raises(anthropic.RateLimitError):
        sdk(double, max_retries=2).messages.create(**ask())
    assert len(double.requests) == 1


def test_count_tokens_and_unknown_paths() -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    count = sdk(double).messages.count_tokens(model=MODEL, messages=ask()["messages"])
    assert count.input_tokens == count_tokens("Write the file `greet.py`.")
    assert double.count_requests and not double.requests
    with double.http_client() as http:
        response = http.post("http://double.test/v1/nothing", json={})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


def test_a_request_the_api_would_reject_is_a_400() -> None:
    double = MessagesDouble(ScriptedAuthor([]))
    prefill = ask()
    prefill["messages"].append({"role": "assistant", "content": "def f(\n"})
    with pytest.raises(anthropic.BadRequestError, match="trailing whitespace"):
        sdk(double).messages.create(**prefill)


def test_an_exhausted_script_fails_loudly_without_retries() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.text("one")]))
    client = sdk(double, max_retries=3)
    client.messages.create(**ask())
    with pytest.raises(anthropic.InternalServerError, match="only 1 replies were scripted"):
        client.messages.create(**ask())
    assert len(double.requests) == 2
    with pytest.raises(AssertionError, match="ScriptExhausted"):
        double.check()


def test_scripted_entry_may_be_a_function_of_the_request() -> None:
    double = MessagesDouble(
        ScriptedAuthor(
            [
                lambda request: replies.text(f"max_tokens was {request['max_tokens']}"),
            ]
        )
    )
    assert sdk(double).messages.create(**ask()).content[0].text == "max_tokens was 1024"  # type: ignore[union-attr]


# -- the loopback server ---------------------------------------------------------


def test_loopback_server_streams_to_the_sdk() -> None:
    double = MessagesDouble(
        ScriptedAuthor(
            [
                replies.text(ANSWER),
                replies.dropped(ANSWER, after=30),
                replies.overloaded(),
                replies.text("after the retry"),
            ]
        )
    )
    with double.serve() as url:
        client = anthropic.Anthropic(api_key="test", base_url=url, max_retries=2)
        with client.messages.stream(**ask()) as stream:
            assert [e.type for e in stream][0] == "message_start"
            assert stream.get_final_text() == ANSWER
        with pytest.raises((httpx2.TransportError, anthropic.APIConnectionError)):  # SDK 2.17: wrapped
            with client.messages.stream(**ask()) as stream:
                stream.until_done()
        assert text_of(stream.current_message_snapshot) == ANSWER[:30]
        with client.messages.stream(**ask()) as stream:
            assert stream.get_final_text() == "after the retry"
        client.close()
    assert len(double.requests) == 4


def test_loopback_server_serves_a_subprocess() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.text(ANSWER)]))
    program = (
        "import anthropic\n"
        "client = anthropic.Anthropic()\n"
        f"with client.messages.stream(model={MODEL!r}, max_tokens=64,\n"
        "        messages=[{'role': 'user', 'content': 'hi'}]) as stream:\n"
        "    print(stream.get_final_text(), end='')\n"
    )
    with double.serve() as url:
        env = {**os.environ, "ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "test"}
        done = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ANSWER


# -- ModuleAuthor ----------------------------------------------------------------


def run_prefill_loop(
    client: anthropic.Anthropic, path: str, max_tokens: int, **extra: Any
) -> tuple[str, int]:
    """The naive client: while cut, prefill with the text so far, rstripped."""
    request = ask(f"Write the file `{path}`.", max_tokens=max_tokens, **extra)
    text, calls = "", 0
    while True:
        messages = list(request["messages"])
        if text:
            messages.append({"role": "assistant", "content": text.rstrip()})
            text = text.rstrip()
        with client.messages.stream(**{**request, "messages": messages}) as stream:
            message = stream.get_final_message()
        calls += 1
        text += "".join(b.text for b in message.content if b.type == "text")
        if message.stop_reason != "max_tokens":
            assert message.stop_reason == "end_turn"
            return text, calls


@pytest.mark.parametrize("name", ["textwrap.py", "shlex.py", "colorsys.py"])
def test_module_author_with_prefill_reproduces_a_stdlib_module(name: str) -> None:
    source = stdlib_source(name)
    author = ModuleAuthor({name: source}, prefill_accepted=True, seams=Seams(seed=3))
    double = MessagesDouble(author)
    text, calls = run_prefill_loop(sdk(double), name, max_tokens=300)
    meant = author.meant(name)
    assert text == meant.text
    assert meant.code == source
    assert calls > 5 and calls >= count_tokens(meant.text) // 300
    double.check()


def last_line(text: str) -> str:
    stripped = text.rstrip()
    return stripped[stripped.rfind("\n") + 1 :]


def run_line_prefill_loop(
    client: anthropic.Anthropic, path: str, max_tokens: int, **extra: Any
) -> tuple[list[str], int]:
    """codegen's line prefill: while cut, the turn goes back whole, then a user turn, then
    a new turn prefilled with the line the cut one stopped in. Returns the turns."""
    request = ask(f"Write the file `{path}`.", max_tokens=max_tokens, **extra)
    messages = list(request["messages"])
    turns: list[str] = []
    while True:
        line = last_line(turns[-1]) if turns else ""
        if turns:
            messages += [
                {"role": "assistant", "content": turns[-1]},
                {"role": "user", "content": "Go on from the last line, already written."},
            ]
        sent = [*messages, {"role": "assistant", "content": line}] if line else messages
        with client.messages.stream(**{**request, "messages": sent}) as stream:
            message = stream.get_final_message()
        turns.append(line + "".join(b.text for b in message.content if b.type == "text"))
        if message.stop_reason != "max_tokens":
            assert message.stop_reason == "end_turn"
            return turns, len(turns)


@pytest.mark.parametrize("name", ["shlex.py", "colorsys.py"])
def test_module_author_resumes_the_line_a_new_turn_is_prefilled_with(name: str) -> None:
    author = ModuleAuthor({name: stdlib_source(name)}, prefill_accepted=True, seams=Seams(seed=3))
    double = MessagesDouble(author)
    turns, calls = run_line_prefill_loop(sdk(double), name, max_tokens=300)
    # Each turn opens with the line the one before stopped in, and goes on from its end.
    text = turns[0]
    for before, turn in zip(turns, turns[1:], strict=False):
        assert turn.startswith(last_line(before))
        text = text.rstrip() + turn[len(last_line(before)) :]
    assert text == author.meant(name).text
    assert calls > 3 and not author.continuations
    double.check()


def test_module_author_rejects_a_new_turn_that_does_not_resume_the_last_line() -> None:
    name = "colorsys.py"
    author = ModuleAuthor({name: stdlib_source(name)}, prefill_accepted=True)
    double = MessagesDouble(author)
    client = sdk(double)
    first = client.messages.create(**ask(f"Write the file `{name}`.", max_tokens=120))
    text = first.content[0].text  # type: ignore[union-attr]
    middle = text.rstrip().splitlines()[-3]  # a line, but not the last one
    assert middle.strip() and middle != last_line(text)
    messages = [
        {"role": "user", "content": f"Write the file `{name}`."},
        {"role": "assistant", "content": text},
        {"role": "user", "content": "Go on from the last line, already written."},
        {"role": "assistant", "content": middle.rstrip()},
    ]
    with pytest.raises(anthropic.InternalServerError, match="neither an answer of this author"):
        client.messages.create(model=MODEL, max_tokens=120, messages=messages)
    double.failures.clear()
    # The last line itself is read as the place to go on from.
    messages[-1] = {"role": "assistant", "content": last_line(text)}
    again = client.messages.create(model=MODEL, max_tokens=120, messages=messages)
    resumed = again.content[0].text  # type: ignore[union-attr]
    assert author.meant(name).text.startswith(text.rstrip() + resumed)
    double.check()


def test_module_author_obeys_max_tokens_and_reports_usage() -> None:
    source = stdlib_source("colorsys.py")
    author = ModuleAuthor({"colorsys.py": source}, wrapping=Wrapping(prose_before=1.0))
    double = MessagesDouble(author)
    request = ask(
        "Write the file `colorsys.py`.",
        max_tokens=100,
        system=[{"type": "text", "text": "You write code.", "cache_control": {"type": "ephemeral"}}],
    )
    client = sdk(double)
    first = client.messages.create(**request)
    again = client.messages.create(**request)
    text = first.content[0].text  # type: ignore[union-attr]
    assert first.stop_reason == "max_tokens"
    assert text == author.meant("colorsys.py").text[: take_tokens(author.meant("colorsys.py").text, 100)]
    assert first.usage.output_tokens == 100 == count_tokens(text)
    assert first.usage.cache_creation_input_tokens == count_tokens("You write code.")
    assert again.usage.cache_read_input_tokens == count_tokens("You write code.")
    assert first.usage.input_tokens == count_tokens("Write the file `colorsys.py`.")


def test_module_author_refuses_prefill_like_newer_models() -> None:
    author = ModuleAuthor({"colorsys.py": stdlib_source("colorsys.py")}, prefill_accepted=False)
    double = MessagesDouble(author)
    client = sdk(double, max_retries=2)
    first = client.messages.create(**ask("Write the file `colorsys.py`.", max_tokens=80))
    request = ask("Write the file `colorsys.py`.", max_tokens=80)
    request["messages"].append({"role": "assistant", "content": first.content[0].text.rstrip()})  # type: ignore[union-attr]
    with pytest.raises(anthropic.BadRequestError, match="prefill") as caught:
        client.messages.create(**request)
    assert caught.value.body["error"]["message"] == replies.PREFILL_REFUSED  # type: ignore[index]
    assert len(double.requests) == 2


def test_module_author_picks_the_first_path_named() -> None:
    targets = {"app/cli.py": "import app.models\n", "app/models.py": "class Todo:\n    pass\n"}
    author = ModuleAuthor(targets, wrapping=Wrapping(prose_before=0, fenced=1, prose_after=0))
    double = MessagesDouble(author)
    prompt = (
        "Write the file `app/cli.py`.\n\n`app/models.py`, already written, which this "
        "file builds on:\n```python\nclass Todo:\n    pass\n```"
    )
    message = sdk(double).messages.create(**ask(prompt))
    assert message.content[0].text == "```python\nimport app.models\n```"  # type: ignore[union-attr]
    with pytest.raises(anthropic.InternalServerError, match="none of the target paths"):
        sdk(double).messages.create(**ask("Write the file `other.py`."))


def run_user_turn_loop(client: anthropic.Anthropic, path: str, max_tokens: int, **extra: Any) -> list[str]:
    """The client for models without prefill: send the cut answer back, ask to go on."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Write the file `{path}`."}]
    answers = []
    for _ in range(2000):
        request: dict[str, Any] = {"model": MODEL, "max_tokens": max_tokens, "messages": messages, **extra}
        with client.messages.stream(**request) as stream:
            message = stream.get_final_message()
        content = [b.to_dict() for b in message.content]
        content = [{k: v for k, v in b.items() if k != "parsed_output" and v is not None} for b in content]
        answers.append("".join(b.text for b in message.content if b.type == "text"))
        if message.stop_reason == "end_turn":
            return answers
        messages += [
            {"role": "assistant", "content": content},
            {"role": "user", "content": "Continue exactly where you stopped."},
        ]
    raise AssertionError("no end_turn after 2000 answers")


def test_user_turn_continuations_use_every_seam_kind() -> None:
    names = ["textwrap.py", "shlex.py"]
    author = ModuleAuthor({n: stdlib_source(n) for n in names}, prefill_accepted=False, seams=Seams(seed=11))
    double = MessagesDouble(author)
    client = sdk(double)
    for name in names:
        answers = run_user_turn_loop(client, name, max_tokens=160)
        meant = author.meant(name)
        assert answers[0] == meant.text[: len(answers[0])]
        bodies = [without_seam(answer) for answer in answers[1:]]
        # Only prose and fence lines are new: the rest is a piece of the meant answer.
        assert all(body in meant.text for body in bodies)
        assert meant.text.endswith(bodies[-1])
    kinds = {kind for _, kind in author.continuations}
    assert kinds == set(SEAM_KINDS)
    double.check()


def test_user_turn_runs_are_deterministic() -> None:
    def run() -> list[str]:
        author = ModuleAuthor(
            {"colorsys.py": stdlib_source("colorsys.py")}, prefill_accepted=False, seams=Seams(seed=5)
        )
        return run_user_turn_loop(sdk(MessagesDouble(author)), "colorsys.py", max_tokens=120)

    assert run() == run()


def test_only_the_enabled_seams_are_used() -> None:
    author = ModuleAuthor(
        {"shlex.py": stdlib_source("shlex.py")}, prefill_accepted=False, seams=Seams(kinds=("none",))
    )
    answers = run_user_turn_loop(sdk(MessagesDouble(author)), "shlex.py", max_tokens=200)
    assert "".join(answers) == author.meant("shlex.py").text
    assert {kind for _, kind in author.continuations} == {"none"}


def test_thinking_first_then_text() -> None:
    author = ModuleAuthor({"colorsys.py": stdlib_source("colorsys.py")}, thinking=Thinking(redacted=True))
    double = MessagesDouble(author)
    text, _ = run_prefill_loop(
        sdk(double), "colorsys.py", max_tokens=400, thinking={"type": "enabled", "budget_tokens": 200}
    )
    assert text == author.meant("colorsys.py").text
    with sdk(double).messages.stream(
        **ask("Write the file `colorsys.py`.", max_tokens=400, thinking={"type": "adaptive"})
    ) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "redacted_thinking", "text"]
    thought = first.content[0]
    assert isinstance(thought, ThinkingBlock)
    assert thought.signature == signature_for(thought.thinking)
    assert first.usage.output_tokens == 400


def test_cut_while_thinking_then_continued() -> None:
    source = stdlib_source("colorsys.py")
    author = ModuleAuthor(
        {"colorsys.py": source},
        prefill_accepted=False,
        thinking=Thinking(cut_while_thinking=True),
        seams=Seams(seed=2),
    )
    double = MessagesDouble(author)
    answers = run_user_turn_loop(sdk(double), "colorsys.py", max_tokens=150, thinking={"type": "adaptive"})
    assert answers[0] == ""  # the first answer was all thinking
    first_reply = double.requests[1]["messages"][1]["content"]
    assert [b["type"] for b in first_reply] == ["thinking"]
    assert count_tokens(first_reply[0]["thinking"]) == 150
    meant = author.meant("colorsys.py")
    # The next answer starts the file from its beginning, then it goes on to the end.
    assert meant.code.split("\n", 1)[0] in answers[1]
    bodies = [without_seam(answer) for answer in answers[1:]]
    assert all(body in meant.text for body in bodies)
    assert meant.text.endswith(bodies[-1])
    double.check()


def test_a_changed_thinking_block_is_refused() -> None:
    author = ModuleAuthor({"colorsys.py": stdlib_source("colorsys.py")}, prefill_accepted=False)
    request = ask("Write the file `colorsys.py`.", max_tokens=100)
    request["messages"] += [
        {
            "role": "assistant",
            "content": [{"type": "thinking", "thinking": "edited", "signature": signature_for("original")}],
        },
        {"role": "user", "content": "Continue."},
    ]
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature`"):
        sdk(MessagesDouble(author)).messages.create(**request)


# -- seams, the pure generator ------------------------------------------------------

SEAM_SOURCES = ["textwrap.py", "shlex.py", "colorsys.py", "fnmatch.py", "bisect.py"]


def oracle_join(chunks: list[seams.SeamedChunk]) -> str:
    """Undo seams with knowledge of them: drop each seam and what was typed again."""
    text = chunks[0].text
    for chunk in chunks[1:]:
        retyped = len(text) - chunk.resume
        assert retyped >= 0
        assert chunk.text.startswith(chunk.seam)
        body = chunk.text[len(chunk.seam) :]
        assert body[:retyped] == text[chunk.resume :]  # typed again byte for byte
        text += body[retyped:]
    return text


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(SEAM_SOURCES),
    n=st.integers(1, 25),
    seed=st.integers(0, 10**6),
    kinds=st.sets(st.sampled_from(SEAM_KINDS), min_size=1),
)
def test_seamed_chunks_never_change_the_meant_code(name: str, n: int, seed: int, kinds: set[str]) -> None:
    source = stdlib_source(name)
    rng = random.Random(seed)
    cuts = seams.cut_points(source, n, rng)
    chunks = seams.seamed_chunks(source, cuts, rng, tuple(kinds))  # type: ignore[arg-type]
    assert oracle_join(chunks) == source
    for chunk in chunks[1:]:
        assert chunk.kind in kinds or chunk.kind == "none"
        seam_lines = [line for line in chunk.seam.split("\n") if line]
        assert all(line in seams.CONTINUATION_PROSE or line == "```python" for line in seam_lines)
        if chunk.kind == "none":
            assert chunk.seam == ""
        if chunk.kind in ("retype", "repeat", "restart", "prose", "fence"):
            assert chunk.resume == 0 or source[chunk.resume - 1] == "\n"
        if chunk.kind == "prose":
            assert chunk.seam.rstrip("\n") in seams.CONTINUATION_PROSE
        if chunk.kind == "fence":
            assert chunk.seam.endswith("```python\n")


def test_each_seam_kind_does_what_it_says() -> None:
    code = (
        'import os\n\n\nclass Store:\n    """Keeps things."""\n\n'
        "    def add(self, key, value):\n        if key in self.items:\n"
        "            raise KeyError(key)\n        self.items[key] = value\n"
    )
    cut = code.index("KeyErr") + 3  # mid-identifier, inside an if inside a def
    line_start = code.rfind("\n", 0, cut) + 1
    rng = random.Random(1)

    def plan(kind: seams.SeamKind) -> seams.Continuation:
        return seams.plan_continuation(code, cut, kind, rng)

    assert plan("none") == seams.Continuation("none", "", cut)
    assert plan("retype").resume == line_start
    prose = plan("prose")
    assert prose.seam.rstrip("\n") in seams.CONTINUATION_PROSE and prose.resume == line_start
    assert plan("fence").seam.endswith("```python\n")
    repeat = plan("repeat")
    assert repeat.resume < line_start and code[repeat.resume : line_start].strip()
    restart = plan("restart")
    assert restart.resume in (code.index("    def add"), code.index("        if key"))
    assert set(seams.applicable_kinds(code, cut)) == set(seams.ALL_SEAM_KINDS)
    # At a line boundary there is no partial line to retype.
    boundary = code.index("        self.items[key]")
    assert "retype" not in seams.applicable_kinds(code, boundary)
    with pytest.raises(ValueError):
        seams.plan_continuation(code, boundary, "retype", rng)
    # continuation_text falls back to the exact continuation where a kind does not apply.
    assert seams.continuation_text(code[:boundary], code[boundary:], "retype", rng) == code[boundary:]


def test_seams_outside_the_code() -> None:
    answer = "Here is the file:\n\n```python\nx = 1\n```\n\nDone."
    start, end = answer.index("x = 1"), answer.index("```\n\nDone")

    def kinds(cut: int) -> tuple[str, ...]:
        return seams.applicable_kinds(answer, cut, code_start=start, code_end=end)

    assert kinds(5) == ("none", "restart")
    restart = seams.plan_continuation(answer, 5, "restart", random.Random(0), code_start=start, code_end=end)
    assert restart.resume == 0
    assert kinds(end + 2) == ("none", "retype")
    assert kinds(len(answer) - 2) == ("none",)


def test_restart_parses_the_whole_statement() -> None:
    source = stdlib_source("textwrap.py")
    tree = ast.parse(source)
    method = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_split_chunks")
    lines = source.split("\n")
    def_start = sum(len(line) + 1 for line in lines[: method.lineno - 1])
    cut = def_start + len(lines[method.lineno - 1]) + 10  # early in its body
    starts = {seams.plan_continuation(source, cut, "restart", random.Random(s)).resume for s in range(20)}
    assert def_start in starts
