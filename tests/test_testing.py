"""codegen.testing.FakeStreamer: answers in order, requests kept, prefill refused on
request, a clear failure when the script runs out; a build through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codegen.build import BuildOptions, build_spec
from codegen.errors import PrefillRejectedError
from codegen.spec import load_spec
from codegen.testing import FakeStreamer, NoAnswerLeft, answer, cut


def spec_at(folder: Path, **top: object) -> Path:
    path = folder / "spec.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "model": "claude-sonnet-5-5",
                **top,
                "files": [{"path": "area.py", "prompt": "area(w, h)", "requires": ["area"]}],
            }
        )
    )
    return path


def test_answers_come_in_order_and_every_request_is_kept() -> None:
    fake = FakeStreamer(["one"]).cut("two")
    seen: list[str] = []
    first = fake.stream({"messages": [{"role": "user", "content": "a"}]}, seen.append)
    second = fake.stream({"messages": [{"role": "user", "content": "b"}]})
    assert (first.text, first.stop_reason, second.text, second.stop_reason) == (
        "one",
        "end_turn",
        "two",
        "max_tokens",
    )
    assert seen == ["one"]
    assert [r["messages"][0]["content"] for r in fake.requests] == ["a", "b"]
    assert fake.remaining == 0


def test_a_request_kept_is_a_copy() -> None:
    fake = FakeStreamer(["x"])
    messages = [{"role": "user", "content": "a"}]
    fake.stream({"messages": messages})
    messages.append({"role": "assistant", "content": "later"})
    assert fake.requests == [{"messages": [{"role": "user", "content": "a"}]}]


def test_a_request_after_the_script_fails_with_its_last_message() -> None:
    fake = FakeStreamer()
    with pytest.raises(NoAnswerLeft, match="request 1 came after every queued answer.*hello"):
        fake.stream({"messages": [{"role": "user", "content": "hello"}]})


def test_prefill_refused_takes_no_answer() -> None:
    fake = FakeStreamer(["x"], prefill=False)
    with pytest.raises(PrefillRejectedError, match="prefill"):
        fake.stream(
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "def f("}]}
        )
    assert fake.remaining == 1


def test_helpers_build_answers() -> None:
    assert cut("def f(").stop_reason == "max_tokens"
    thought = answer("x", thinking="hmm")
    assert [b["type"] for b in thought.content] == ["thinking", "text"]
    assert answer("").content == ()
    broken = FakeStreamer().broken("def f(").stream({"messages": []})
    assert (broken.text, broken.stop_reason, broken.interrupted) == (
        "def f(",
        None,
        "connection lost mid-stream",
    )


def test_a_build_through_the_fake_continues_a_cut_answer(tmp_path: Path) -> None:
    fake = FakeStreamer()
    fake.cut("```python\ndef area(w, h):\n    ret")
    fake.answer("```python\n    return w * h\n```")
    [result] = build_spec(load_spec(spec_at(tmp_path)), BuildOptions(), client=fake).files
    assert result.status == "written", result.detail
    assert (tmp_path / "area.py").read_text() == "def area(w, h):\n    return w * h\n"
    # The 5.x models take no prefill: the cut answer goes back and a user turn quotes it.
    assert len(fake.requests) == 2
    assert [m["role"] for m in fake.requests[1]["messages"]] == ["user", "assistant", "user"]
    assert "ret" in str(fake.requests[1]["messages"][-1]["content"])
