"""The loop over stop reasons, through the real SDK and the Messages API double."""

from __future__ import annotations

from typing import Any

import pytest

from codegen import prompts
from codegen.continuation import CallEvent, Generation, PrefillMemory, Request, StopBuild, generate
from codegen.errors import AuthenticationError
from codegen.stitch import stitch
from tests.double import MessagesDouble, Reply, ScriptedAuthor, replies, text_block, thinking_block
from tests.test_build import client_for

CODE = "def greet(name):\n    return f'hello {name}'\n\n\nprint(greet('you'))\n"
HEAD, TAIL = CODE[:30], CODE[30:]




def run(script: list[Any], *, prefill: bool = False, max_continuations: int = 8,
        thinking: dict[str, Any] | None = None, memory: PrefillMemory | None = None,
        model: str = "claude-test", max_retries: int = 0) -> tuple[Generation, MessagesDouble]:
    double = MessagesDouble(ScriptedAuthor(script))
    request = Request(model, tuple(prompts.system_blocks("")), "Write the file `greet.py`.",
                      1024, thinking, prefill)
    generation = generate(client_for(double, max_retries=max_retries), request,
                          max_continuations=max_continuations, memory=memory or PrefillMemory())
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
    assert second[2] == {"role": "user", "content": prompts.CONTINUE}
    assert code_of(generation) == CODE


def test_prefill_continuation_ends_with_the_stripped_answer() -> None:
    head = "```python\ndef greet(name):\n    "
    generation, double = run([replies.cut(head), replies.text("\n    return f'hello {name}'\n```")],
                             prefill=True)
    last = double.requests[1]["messages"][-1]
    assert last == {"role": "assistant", "content": [{"type": "text", "text": head.rstrip()}]}
    assert generation.prefill_used
    assert code_of(generation) == "def greet(name):\n    return f'hello {name}'\n"


def test_refused_prefill_switches_to_user_turn_and_is_remembered() -> None:
    memory = PrefillMemory()
    first = "```python\n" + HEAD
    generation, double = run(
        [replies.cut(first), replies.prefill_refused(), replies.text(TAIL + "```")],
        prefill=True, memory=memory,
    )
    assert generation.status == "complete" and code_of(generation) == CODE
    assert double.requests[1]["messages"][-1]["role"] == "assistant"
    assert double.requests[2]["messages"][-1] == {"role": "user", "content": prompts.CONTINUE}
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
    generation, double = run([replies.pause_turn(partial), replies.text(TAIL + "```")],
                             prefill=False)
    assert generation.status == "complete"
    assert double.requests[1]["messages"][-1] == {
        "role": "assistant", "content": [{"type": "text", "text": partial.rstrip()}]}
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


def test_overloaded_then_success_is_retried_by_the_sdk() -> None:
    generation, double = run([replies.overloaded(), replies.text("```python\n" + CODE + "```")],
                             max_retries=2)
    assert generation.status == "complete" and generation.calls == 1
    assert len(double.requests) == 2


def test_bad_credentials_stop_at_once() -> None:
    with pytest.raises(AuthenticationError, match="401"):
        run([replies.unauthorized()])


def test_an_answer_cut_while_thinking_is_continued() -> None:
    thought = thinking_block("Plan: one function.")
    generation, double = run(
        [Reply(content=(thought,), stop_reason="max_tokens"),
         replies.text("```python\n" + CODE + "```")],
        thinking={"type": "adaptive"},
    )
    assert generation.status == "complete" and code_of(generation) == CODE
    sent = double.requests[1]
    assert sent["thinking"] == {"type": "adaptive"}
    # The thinking block goes back unchanged, signature included.
    assert sent["messages"][1] == {"role": "assistant", "content": [thought]}


def test_code_comes_from_text_blocks_only() -> None:
    thought = thinking_block("def not_code(): pass")
    generation, _ = run([Reply(content=(thought, text_block("```python\n" + CODE + "```")))],
                        thinking={"type": "adaptive"})
    assert code_of(generation) == CODE


def test_prefill_with_thinking_starts_with_the_thinking_block() -> None:
    thought = thinking_block("Plan.")
    head = "```python\n" + HEAD
    _, double = run([Reply(content=(thought, text_block(head)), stop_reason="max_tokens"),
                     replies.text(TAIL + "```")], prefill=True, thinking={"type": "adaptive"})
    content = double.requests[1]["messages"][-1]["content"]
    assert content[0] == thought and content[1]["text"] == head.rstrip()


def test_context_window_exceeded_twice_in_a_row_fails() -> None:
    generation, _ = run([replies.context_window_exceeded("```python\n" + HEAD),
                         replies.context_window_exceeded("x")])
    assert generation.status == "failed" and "context window" in generation.detail


def test_still_cut_after_max_continuations() -> None:
    generation, double = run([replies.cut("```python\n" + HEAD), replies.cut("more")],
                             max_continuations=1)
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
    generation = generate(client_for(double), request, max_continuations=5,
                          memory=PrefillMemory(), before_call=before)
    assert generation.status == "stopped" and generation.detail == "over budget"
    assert seen == ["first", "continue"] and len(double.requests) == 1


def test_after_a_refused_prefill_the_cut_answer_goes_back_unchanged() -> None:
    first = "```python\nimport os\n"
    generation, double = run([replies.cut(first), replies.prefill_refused(),
                              replies.text("def f():\n    return os.sep\n```")], prefill=True)
    assert double.requests[1]["messages"][-1]["content"][0]["text"] == first.rstrip()
    assert double.requests[2]["messages"][1]["content"] == [{"type": "text", "text": first}]
    result = stitch(generation.chunks)
    assert result.parses and result.code == "import os\ndef f():\n    return os.sep\n"


def test_a_whitespace_only_answer_is_never_sent_as_a_block() -> None:
    generation, double = run([replies.cut("```python\nimport os\n"), replies.cut("\n\n"),
                              replies.text("\nX = 1\n```")], prefill=True)
    assert generation.status == "complete"
    for body in double.requests:
        for message in body["messages"]:
            if isinstance(message["content"], list):
                assert all(b["text"].strip() for b in message["content"] if b["type"] == "text")
    # Still a prefill: the blank answer joined the text it continued.
    assert double.requests[2]["messages"][-1] == {
        "role": "assistant", "content": [{"type": "text", "text": "```python\nimport os"}]}
    assert stitch(generation.chunks).code == "import os\nX = 1\n"


def test_the_budget_hook_sees_what_the_file_has_spent() -> None:
    double = MessagesDouble(ScriptedAuthor([replies.cut("```python\n" + HEAD),
                                            replies.text(TAIL + "```")]))
    seen = []
    request = Request("m", (), "Write `greet.py`.", 100)
    generate(client_for(double), request, max_continuations=5, memory=PrefillMemory(),
             before_call=lambda event: seen.append(event.spent.output_tokens))
    assert seen[0] == 0 and seen[1] > 0
