"""The loop over stop reasons, through the real SDK and the Messages API double."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from codegen import prompts
from codegen.continuation import CallEvent, Generation, PrefillMemory, StopBuild, generate
from codegen.errors import AuthenticationError
from codegen.models import Usage
from codegen.request import Request
from codegen.stitch import stitch
from codegen.streaming import Answer
from codegen.streaming.base import waits_told_to
from codegen.testing import FakeStreamer
from codegen.testing import cut as cut_answer
from tests.double import (
    MessagesDouble,
    ModuleAuthor,
    Quirks,
    Reply,
    ScriptedAuthor,
    Seams,
    replies,
    text_block,
    thinking_block,
)
from tests.support import STDLIB, client_for, without_marks

CODE = "def greet(name):\n    return f'hello {name}'\n\n\nprint(greet('you'))\n"
HEAD, TAIL = CODE[:30], CODE[30:]


def run(
    script: list[Any],
    *,
    prefill: bool = False,
    max_continuations: int = 8,
    thinking: dict[str, Any] | None = None,
    memory: PrefillMemory | None = None,
    model: str = "claude-test",
    max_retries: int = 0,
    sleep: Callable[[float], None] = lambda seconds: None,
) -> tuple[Generation, MessagesDouble]:
    double = MessagesDouble(ScriptedAuthor(script))
    request = Request(
        model, tuple(prompts.system_blocks("")), "Write the file `greet.py`.", 1024, thinking, prefill
    )
    generation = generate(
        client_for(double, max_retries=max_retries),
        request,
        max_continuations=max_continuations,
        memory=memory or PrefillMemory(),
        sleep=sleep,
    )
    double.check()
    return generation, double


def code_of(generation: Generation) -> str:
    return stitch(generation.chunks).code


def test_a_complete_first_answer_is_one_call() -> None:
    generation, double = run([replies.text("```python\n" + CODE + "```")])
    assert (generation.status, generation.calls, generation.continuations) == ("complete", 1, 0)
    assert code_of(generation) == CODE
    assert len(double.requests) == 1
    assert generation.usage.output_tokens > 0 and generation.usage.input_tokens > 0


def test_user_turn_continuation_sends_the_cut_answer_back_unchanged() -> None:
    first = "```python\n" + HEAD
    generation, double = run([replies.cut(first), replies.text(TAIL + "```")])
    assert generation.status == "complete" and generation.continuations == 1
    second = double.requests[1]["messages"]
    assert second[1] == {"role": "assistant", "content": [{"type": "text", "text": first}]}
    assert second[2] == {"role": "user", "content": prompts.continue_prompt(HEAD, "python")}
    assert code_of(generation) == CODE


def test_a_continuation_quotes_where_the_code_was_cut() -> None:
    # Cut inside a line: the model is shown it and asked to type it again in full.
    mid = prompts.continue_prompt("a = 1\nb = 2\ndef greet(na", "python")
    assert "```python\na = 1\nb = 2\ndef greet(na\n```" in mid
    assert "write that line again in full" in mid and "only repeated" not in mid
    # Cut after a line: the last lines, to go on after.
    code = "\n".join(f"x{i} = {i}" for i in range(9)) + "\n    \n"
    after = prompts.continue_prompt(code, "")
    assert "```\nx3 = 3\nx4 = 4\nx5 = 5\nx6 = 6\nx7 = 7\nx8 = 8\n```" in after
    assert "after the last line shown" in after and "again in full" not in after
    # After an answer that only repeated itself: it says so.
    stalled = prompts.continue_prompt(code, "", stalled=True)
    assert "only repeated what was already written" in stalled and "only repeated" not in after
    # No code yet (cut in the prose before it): nothing to quote.
    assert prompts.continue_prompt("", "python") == prompts.CONTINUE


def test_prefill_continuation_ends_with_the_stripped_answer() -> None:
    head = "```python\ndef greet(name):\n    "
    generation, double = run(
        [replies.cut(head), replies.text("\n    return f'hello {name}'\n```")], prefill=True
    )
    last = double.requests[1]["messages"][-1]
    assert last == {"role": "assistant", "content": [{"type": "text", "text": head.rstrip()}]}
    assert generation.prefill_used
    assert code_of(generation) == "def greet(name):\n    return f'hello {name}'\n"


def test_refused_prefill_switches_to_user_turn_and_is_remembered() -> None:
    memory = PrefillMemory()
    first = "```python\n" + HEAD
    generation, double = run(
        [replies.cut(first), replies.prefill_refused(), replies.text(TAIL + "```")],
        prefill=True,
        memory=memory,
    )
    assert generation.status == "complete" and code_of(generation) == CODE
    assert double.requests[1]["messages"][-1]["role"] == "assistant"
    assert double.requests[2]["messages"][-1] == {
        "role": "user",
        "content": prompts.continue_prompt(HEAD, "python"),
    }
    assert "claude-test" in memory.refused
    # The next file of the run goes straight to a user turn: no refused call first.
    again, double = run([replies.cut(first), replies.text(TAIL + "```")], prefill=True, memory=memory)
    assert again.status == "complete" and len(double.requests) == 2
    assert double.requests[1]["messages"][-1]["role"] == "user"


def test_refusal_stops_and_reports_the_category() -> None:
    generation, double = run([replies.refusal("cyber", partial="```python\n")])
    assert generation.status == "refused"
    assert "cyber" in generation.detail
    assert len(double.requests) == 1


def test_pause_turn_sends_the_content_back_with_no_new_user_turn() -> None:
    partial = "```python\n" + HEAD
    generation, double = run([replies.pause_turn(partial), replies.text(TAIL + "```")], prefill=False)
    assert generation.status == "complete"
    assert double.requests[1]["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": partial.rstrip()}],
    }
    assert code_of(generation) == CODE


def test_an_empty_end_turn_is_asked_again() -> None:
    generation, double = run([replies.empty_end_turn(), replies.text("```python\n" + CODE + "```")])
    assert generation.status == "complete" and code_of(generation) == CODE
    assert double.requests[1]["messages"][-1] == {"role": "user", "content": prompts.EMPTY_ANSWER}


def test_empty_answers_until_the_budget_runs_out_fail() -> None:
    generation, _ = run([replies.empty_end_turn()] * 3, max_continuations=2)
    assert generation.status == "failed" and "without any code" in generation.detail


def test_tool_use_is_reported_as_unexpected() -> None:
    generation, _ = run([replies.tool_use()])
    assert generation.status == "failed" and "tool" in generation.detail


def test_a_dropped_stream_keeps_its_text_and_continues_from_it() -> None:
    answer = "```python\n" + CODE + "```"
    generation, double = run([replies.dropped(answer, after=25), replies.text(answer[25:])])
    assert generation.status == "complete"
    kept = double.requests[1]["messages"][1]["content"][0]["text"]
    assert kept == answer[:25]
    assert code_of(generation) == CODE


def test_an_error_event_inside_the_stream_keeps_the_partial_text() -> None:
    answer = "```python\n" + CODE + "```"
    generation, double = run([replies.stream_error(answer, after=40), replies.text(answer[40:])])
    assert generation.status == "complete" and code_of(generation) == CODE
    assert double.requests[1]["messages"][1]["content"][0]["text"] == answer[:40]


def test_an_error_event_after_text_is_continued_after_a_backoff_growing_while_it_lasts() -> None:
    # The server's overloaded_error mid-stream gets the wait an overloaded HTTP answer
    # gets, before the continuation is sent: 0.5 s less up to a quarter, then 1 s...
    answer = "```python\n" + CODE + "```"
    waits: list[float] = []
    told: list[str] = []
    script = [
        replies.stream_error(answer, after=40),
        replies.stream_error(answer[40:], after=30),
        replies.text(answer[70:]),
    ]
    with waits_told_to(told.append):
        generation, double = run(script, sleep=waits.append)
    assert generation.status == "complete" and code_of(generation) == CODE
    assert len(waits) == 2 and 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0
    assert told[0].startswith("the stream broke off with overloaded_error: Overloaded: continuing in 0.")
    assert told[1].startswith(
        "the stream broke off with overloaded_error: Overloaded (2 in a row): continuing in "
    )
    assert len(double.requests) == 3


def test_only_breaks_that_may_pass_wait_and_an_answer_between_them_starts_the_count_again() -> None:
    def broke(text: str, why: str, transient: bool) -> Answer:
        return Answer(({"type": "text", "text": text},), None, None, Usage(1, 1), why, transient)

    fake = FakeStreamer(
        [
            broke("```python\ndef greet(n", "connection lost mid-stream: reset", True),
            broke("ame):\n    return", "connection lost mid-stream: reset", True),
            cut_answer(" f'hello {name}'"),
            broke("\n\n\nprint(greet(", "the stream broke off with overloaded_error: Overloaded", True),
            # A journalled answer resumed, or one a server garbled: nothing to wait for.
            broke("'you'", "resumed: the stream was cut after 5 characters", False),
            broke("))", "the server at http://x sent bytes that are not UTF-8", False),
            "\n```",
        ]
    )
    waits: list[float] = []
    request = Request("claude-test", (), "Write the file `greet.py`.", 1024, None, True)
    generation = generate(fake, request, max_continuations=8, memory=PrefillMemory(), sleep=waits.append)
    assert generation.status == "complete" and code_of(generation) == CODE
    assert len(waits) == 3
    assert 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0 and 0.375 <= waits[2] <= 0.5


def test_overloaded_then_success_is_retried() -> None:
    generation, double = run(
        [replies.overloaded(), replies.text("```python\n" + CODE + "```")], max_retries=2
    )
    assert generation.status == "complete" and generation.calls == 1
    assert len(double.requests) == 2


def test_bad_credentials_stop_at_once() -> None:
    with pytest.raises(AuthenticationError, match="401"):
        run([replies.unauthorized()])


def test_an_answer_cut_while_thinking_is_continued() -> None:
    thought = thinking_block("Plan: one function.")
    generation, double = run(
        [Reply(content=(thought,), stop_reason="max_tokens"), replies.text("```python\n" + CODE + "```")],
        thinking={"type": "adaptive"},
    )
    assert generation.status == "complete" and code_of(generation) == CODE
    sent = double.requests[1]
    assert sent["thinking"] == {"type": "adaptive"}
    # The thinking block goes back unchanged, signature included.
    assert sent["messages"][1] == {"role": "assistant", "content": [thought]}


def test_code_comes_from_text_blocks_only() -> None:
    thought = thinking_block("def not_code(): pass")
    generation, _ = run(
        [Reply(content=(thought, text_block("```python\n" + CODE + "```")))], thinking={"type": "adaptive"}
    )
    assert code_of(generation) == CODE


def test_prefill_with_thinking_starts_with_the_thinking_block() -> None:
    thought = thinking_block("Plan.")
    head = "```python\n" + HEAD
    _, double = run(
        [Reply(content=(thought, text_block(head)), stop_reason="max_tokens"), replies.text(TAIL + "```")],
        prefill=True,
        thinking={"type": "adaptive"},
    )
    content = double.requests[1]["messages"][-1]["content"]
    assert content[0] == thought and content[1]["text"] == head.rstrip()


def test_context_window_exceeded_twice_in_a_row_fails() -> None:
    generation, _ = run(
        [replies.context_window_exceeded("```python\n" + HEAD), replies.context_window_exceeded("x")]
    )
    assert generation.status == "failed" and "context window" in generation.detail


def test_still_cut_after_max_continuations() -> None:
    generation, double = run([replies.cut("```python\n" + HEAD), replies.cut("more")], max_continuations=1)
    assert generation.status == "cut" and generation.calls == 2
    assert len(double.requests) == 2


def test_a_before_call_hook_can_stop_the_conversation() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.cut("```python\n" + HEAD)]))
    seen: list[str] = []

    def before(event: CallEvent) -> None:
        seen.append(event.kind)
        if event.kind == "continue":
            raise StopBuild("over budget")

    request = Request("m", (), "Write `greet.py`.", 100)
    generation = generate(
        client_for(double), request, max_continuations=5, memory=PrefillMemory(), before_call=before
    )
    assert generation.status == "stopped" and generation.detail == "over budget"
    assert seen == ["first", "continue"] and len(double.requests) == 1


def test_after_a_refused_prefill_the_cut_answer_goes_back_unchanged() -> None:
    first = "```python\nimport os\n"
    generation, double = run(
        [replies.cut(first), replies.prefill_refused(), replies.text("def f():\n    return os.sep\n```")],
        prefill=True,
    )
    assert double.requests[1]["messages"][-1]["content"][0]["text"] == first.rstrip()
    assert double.requests[2]["messages"][1]["content"] == [{"type": "text", "text": first}]
    result = stitch(generation.chunks)
    assert result.parses and result.code == "import os\ndef f():\n    return os.sep\n"


def test_a_whitespace_only_answer_is_never_sent_as_a_block() -> None:
    generation, double = run(
        [replies.cut("```python\nimport os\n"), replies.cut("\n\n"), replies.text("\nX = 1\n```")],
        prefill=True,
    )
    assert generation.status == "complete"
    for body in double.requests:
        for message in body["messages"]:
            if isinstance(message["content"], list):
                assert all(b["text"].strip() for b in message["content"] if b["type"] == "text")
    # Still a prefill: the blank answer joined the text it continued.
    assert double.requests[2]["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "```python\nimport os"}],
    }
    assert stitch(generation.chunks).code == "import os\nX = 1\n"


def test_the_budget_hook_sees_what_the_file_has_spent() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.cut("```python\n" + HEAD), replies.text(TAIL + "```")]))
    seen = []
    request = Request("m", (), "Write `greet.py`.", 100)
    generate(
        client_for(double),
        request,
        max_continuations=5,
        memory=PrefillMemory(),
        before_call=lambda event: seen.append(event.spent.output_tokens),
    )
    assert seen[0] == 0 and seen[1] > 0


# -- line prefill: the cut turn stays in the history, a new turn resumes its last line ------

PREFILL_MODEL = "claude-haiku-4-5"  # accepts prefill, has prices: build asks for line prefill
BREAKPOINT = {"type": "ephemeral"}


class Recording:
    """A Streamer passing every call to codegen's client and keeping each answer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.answers: list[Answer] = []

    def stream(self, request: dict[str, Any], on_text: Any = None) -> Answer:
        answer = self.inner.stream(request, on_text)
        self.answers.append(answer)
        return answer


def line_request(
    prompt: str = "Write the file `greet.py`.",
    max_tokens: int = 1024,
    model: str = PREFILL_MODEL,
    thinking: dict[str, Any] | None = None,
) -> Request:
    return Request(
        model,
        tuple(prompts.system_blocks("", BREAKPOINT)),
        prompt,
        max_tokens,
        thinking,
        prefill=True,
        cache_control=BREAKPOINT,
        line_prefill=True,
    )


def run_lines(script: list[Any], **changes: Any) -> tuple[Generation, MessagesDouble]:
    double = MessagesDouble(ScriptedAuthor(script))
    generation = generate(
        client_for(double), line_request(**changes), max_continuations=8, memory=PrefillMemory()
    )
    double.check()
    return generation, double


def last_line(text: str) -> str:
    stripped = text.rstrip()
    return stripped[stripped.rfind("\n") + 1 :]


def read_back(conversation: tuple[dict[str, Any], ...]) -> str:
    """The assistant text of a line-prefill conversation, each resumed line read once."""
    turns = [m["content"][0]["text"] for m in conversation if m["role"] == "assistant"]
    text = turns[0]
    for before, turn in zip(turns, turns[1:], strict=False):
        assert turn.startswith(last_line(before))
        text = text.rstrip() + turn[len(last_line(before)) :]
    return text


@pytest.mark.parametrize("quirks", [Quirks(), Quirks(echo_prefill=True)], ids=["api", "echo"])
def test_line_prefill_continues_a_file_exactly_and_reads_the_history_from_the_cache(quirks: Quirks) -> None:
    path = "glob.py"
    target = (STDLIB / path).read_text()
    # Cached from 1,024 tokens (as claude-sonnet-4-5 was, before it retired), so that
    # the history of the third call on is long enough to be read from the cache.
    author = ModuleAuthor({path: target}, seams=Seams(seed=4), min_cache_tokens=1024)
    double = MessagesDouble(author, quirks=quirks)
    client = Recording(client_for(double))
    request = line_request(prompts.file_prompt(path, "The glob module.", (), ()), max_tokens=1024)
    # An echo is taken off a line prefill only on a model whose server is known to echo.
    memory = PrefillMemory(echoes={PREFILL_MODEL} if quirks.echo_prefill else set())
    generation = generate(client, request, max_continuations=20, memory=memory)
    double.check()

    assert generation.status == "complete" and generation.continuations >= 3
    assert stitch(generation.chunks).code == target
    assert not author.continuations  # never a user turn to continue from
    # The turns as the model wrote them: each after the first opens with the line it resumed
    # (a server that echoes sends that line back first, and it is not kept twice).
    turns = [client.answers[0].text]
    for answer in client.answers[1:]:
        line = last_line(turns[-1])
        new = answer.text
        if quirks.echo_prefill:
            assert new.startswith(line)
            new = new[len(line) :]
        turns.append(line + new)
    for k, body in enumerate(double.requests[1:], start=1):
        messages = body["messages"]
        # Its last three: the turn cut before, the user turn (the breakpoint), then the
        # line that turn stopped in, stripped.
        assert messages[-3] == {"role": "assistant", "content": [{"type": "text", "text": turns[k - 1]}]}
        assert messages[-2] == {
            "role": "user",
            "content": [{"type": "text", "text": prompts.CONTINUE_LINE, "cache_control": BREAKPOINT}],
        }
        line = last_line(turns[k - 1])
        assert line and line == line.rstrip()
        assert messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": line}]}
        # Append-only: each request's history is the start of the next one's.
        if k > 1:
            before = without_marks(double.requests[k - 1]["messages"][:-1])
            assert without_marks(messages)[: len(before)] == before
    # Every call from the third on reads what the one before it wrote.
    reads = [a.usage.cache_read_tokens for a in client.answers]
    assert all(r > 0 for r in reads[2:]) and reads[2:] == sorted(reads[2:])
    # The conversation ends with the last answer's whole turn: its line and what followed.
    assert generation.conversation[-1]["role"] == "assistant"
    assert read_back(generation.conversation) == author.meant(path).text


def test_a_cut_at_a_line_end_resumes_the_last_complete_line() -> None:
    first = "```python\ndef greet(name):\n"
    generation, double = run_lines([replies.cut(first), replies.text("\n    return f'hello {name}'\n```")])
    messages = double.requests[1]["messages"]
    assert messages[1] == {"role": "assistant", "content": [{"type": "text", "text": first}]}
    assert messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": "def greet(name):"}]}
    assert generation.status == "complete" and generation.prefill_used
    assert code_of(generation) == "def greet(name):\n    return f'hello {name}'\n"
    assert generation.conversation[-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "def greet(name):\n    return f'hello {name}'\n```"}],
    }


def is_line_prefill(body: dict[str, Any], line: str) -> bool:
    messages = body["messages"]
    return (
        len(messages) >= 4
        and messages[-2]["content"][0]["text"] == prompts.CONTINUE_LINE
        and messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": line}]}
    )


def test_a_line_without_a_newline_is_the_whole_text_so_far() -> None:
    generation, double = run_lines([replies.cut("```python"), replies.text("\n" + CODE + "```")])
    assert is_line_prefill(double.requests[1], "```python")
    assert code_of(generation) == CODE


def test_a_blank_answer_so_far_gets_no_line_prefill() -> None:
    first = "```python\n" + HEAD
    generation, double = run_lines([replies.cut("\n\n"), replies.cut(first), replies.text(TAIL + "```")])
    # Nothing to send back, nothing to resume: asked again, no whitespace-only block.
    assert [m["role"] for m in double.requests[1]["messages"]] == ["user"]
    # The next cut answer has a line to resume.
    assert is_line_prefill(double.requests[2], last_line(first))
    assert generation.status == "complete" and code_of(generation) == CODE


def test_a_refused_line_prefill_goes_on_in_a_plain_user_turn() -> None:
    memory = PrefillMemory()
    first = "```python\n" + HEAD
    double = MessagesDouble(
        ScriptedAuthor([replies.cut(first), replies.prefill_refused(), replies.text(TAIL + "```")])
    )
    generation = generate(
        client_for(double), line_request(model="claude-test"), max_continuations=8, memory=memory
    )
    double.check()
    assert is_line_prefill(double.requests[1], last_line(first))
    third = double.requests[2]["messages"]
    assert [m["role"] for m in third] == ["user", "assistant", "user"]
    assert third[1] == {"role": "assistant", "content": [{"type": "text", "text": first}]}
    assert third[2]["content"][0]["text"] == prompts.continue_prompt(HEAD, "python")
    assert "claude-test" in memory.refused
    assert generation.status == "complete" and code_of(generation) == CODE


@pytest.mark.parametrize("thinking", [None, {"type": "disabled"}, {"type": "enabled", "budget_tokens": 1024}])
def test_with_thinking_the_whole_turn_is_the_prefill(thinking: dict[str, Any] | None) -> None:
    thought = thinking_block("Plan.")
    head = "```python\n" + HEAD
    on = thinking is not None and thinking["type"] == "enabled"
    first = Reply(
        content=(thought, text_block(head)) if on else (text_block(head),), stop_reason="max_tokens"
    )
    generation, double = run_lines([first, replies.text(TAIL + "```")], thinking=thinking)
    messages = double.requests[1]["messages"]
    if on:
        # A prefilled turn must open with thinking, which a new turn would not have.
        assert len(messages) == 2
        assert messages[-1]["content"] == [thought, {"type": "text", "text": head.rstrip()}]
    else:
        assert is_line_prefill(double.requests[1], last_line(head))
    assert code_of(generation) == CODE


@pytest.mark.parametrize("cut", [replies.pause_turn, replies.cut])
def test_pause_turn_still_sends_the_turn_back_whole(cut: Any) -> None:
    partial = "```python\n" + HEAD
    generation, double = run_lines([cut(partial), replies.text(TAIL + "```")])
    messages = double.requests[1]["messages"]
    if cut is replies.pause_turn:
        assert len(messages) == 2 and messages[-1]["content"] == [{"type": "text", "text": partial.rstrip()}]
    else:
        assert is_line_prefill(double.requests[1], last_line(partial))
    assert code_of(generation) == CODE


def test_a_line_prefill_whose_answer_begins_with_the_line_again_is_not_taken_for_an_echo() -> None:
    # Cut after the first quote closing the docstring: the line is `"`, and the model
    # goes on with the other two. Stripped as an echo, the docstring would not close.
    generation, _ = run_lines([replies.cut('```python\n"""Module doc.\n"'), replies.text('""\n\nX = 1\n```')])
    assert stitch(generation.chunks).code == '"""Module doc.\n"""\n\nX = 1\n'


def test_an_echo_seen_on_a_whole_turn_prefill_is_taken_off_the_line_prefills_after_it() -> None:
    double = MessagesDouble(
        ScriptedAuthor(
            [
                replies.pause_turn("```python\nA = 1\n"),
                replies.cut("\nB = 2\nC = ("),  # each sent after the prefill echoed
                replies.text("3)\n```"),
            ]
        ),
        quirks=Quirks(echo_prefill=True),
    )
    memory = PrefillMemory()
    generation = generate(client_for(double), line_request(), max_continuations=8, memory=memory)
    double.check()
    assert memory.echoes == {PREFILL_MODEL}
    assert double.requests[2]["messages"][-1]["content"] == [{"type": "text", "text": "C = ("}]
    assert stitch(generation.chunks).code == "A = 1\nB = 2\nC = (3)\n"


# -- guaranteed progress ----------------------------------------------------------

LONG = "\n\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(8))


def user_texts(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def test_an_answer_that_only_repeats_is_followed_by_a_quote_of_the_end_of_the_code() -> None:
    cut = LONG.index("def f5")
    repeat = "```python\n" + LONG[LONG.index("def f2") : LONG.index("def f4")]
    generation, double = run(
        [replies.cut("```python\n" + LONG[:cut]), replies.cut(repeat), replies.text(LONG[cut:] + "```")]
    )
    assert generation.status == "complete" and generation.stalls == 1
    assert code_of(generation) == LONG
    assert user_texts(double.requests[1]) == prompts.continue_prompt(LONG[:cut], "python")
    quote = user_texts(double.requests[2])
    assert "The file so far ends with these lines" in quote and "only repeated" in quote
    assert quote.count("def f4(x):\n    return x + 4") == 1
    # The history only grows: every earlier message goes back exactly as it was.
    assert double.requests[2]["messages"][:3] == double.requests[1]["messages"]


def test_three_answers_in_a_row_that_add_nothing_end_the_file_as_cut() -> None:
    cut = LONG.index("def f5")
    repeat = replies.cut("```python\n" + LONG[: LONG.index("def f3")])
    generation, double = run([replies.cut("```python\n" + LONG[:cut]), repeat, repeat, repeat])
    assert generation.status == "cut" and generation.stalls == 3
    assert "3 answers in a row added nothing" in generation.detail
    assert len(double.requests) == 4
    assert code_of(generation) == LONG[:cut].rstrip() + "\n"


def test_an_answer_that_ends_at_once_after_a_cut_is_asked_again_with_a_quote() -> None:
    # Cut after `return x + 3` (a statement: the file parses); the model ends its turn
    # with nothing. That is not the end of the file.
    cut = LONG.index("\n\ndef f4")
    generation, double = run(
        [replies.cut("```python\n" + LONG[:cut]), replies.text(""), replies.text(LONG[cut:] + "\n```")]
    )
    assert generation.status == "complete" and generation.stalls == 1
    assert code_of(generation) == LONG
    assert "return x + 3\n```" in user_texts(double.requests[2])
