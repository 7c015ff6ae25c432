"""Targeted repair through the whole build, against the Messages API double: each finding
gets the smallest request that fixes it, and the report says what was done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import validators
from codegen import prompts
from codegen.build import BuildOptions, build_spec
from codegen.errors import EXIT_FINDINGS, EXIT_OK
from codegen.repair import Repair, apply, finish_cut, plan, prefill_text
from codegen.report import render_build
from codegen.spec import load_spec
from codegen.testing import FakeStreamer, answer, cut
from tests.double import Laziness, MessagesDouble, ModuleAuthor, PromptCache, ScriptedAuthor, Seams, replies
from tests.double.wire import estimate_input_tokens
from tests.support import LAZY_STORE, STDLIB, client_for, same_as_formatted, without_marks, write_spec
from validators.findings import Code, Finding


def last_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def first_user_text(request: dict[str, Any]) -> str:
    content = request["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def test_a_placeholder_and_a_missing_method_each_get_one_request(tmp_path: Path) -> None:
    add = (
        "Here is the method:\n\n```python\nimport json\nfrom collections import deque\n\n"
        "class Store:\n    # ... other methods ...\n\n    def add(self, item):\n"
        "        self.items.append(item)\n        return deque(self.items)\n```"
    )
    remove = "    def remove(self, item):\n        self.items.remove(item)\n"
    fake = FakeStreamer([answer(LAZY_STORE), answer(add), answer(remove)])
    spec = load_spec(
        write_spec(
            tmp_path, [{"path": "store.py", "prompt": "A store.", "requires": ["Store.add", "Store.remove"]}]
        )
    )
    result = build_spec(spec, BuildOptions(), client=fake)
    [f] = result.files
    assert f.status == "written" and result.exit_code == EXIT_OK, f.detail
    written = (tmp_path / "store.py").read_text()
    assert validators.check(written, requires=["Store.add", "Store.remove"]) == []
    assert written.count("import json") == 1 and "from collections import deque" in written
    assert "self.items.append(item)" in written and "rest of implementation" not in written
    assert written.index("def dump") < written.index("def remove")  # added at the end of its class
    # One fresh conversation per repair, naming exactly what to write.
    first, regenerate, insert = fake.requests
    assert "Write the complete definition of `Store.add`" in first_user_text(regenerate)
    assert "Write the complete definition of `Store.remove`" in first_user_text(insert)
    assert [len(r["messages"]) for r in fake.requests] == [1, 1, 1]
    assert [(r.action, r.target, r.outcome) for r in f.repairs] == [
        ("regenerate", "Store.add", "applied"),
        ("add", "Store.remove", "applied"),
    ]
    assert f.calls == 3 and all(r.calls == 1 and r.usage.output_tokens > 0 for r in f.repairs)
    text = render_build([result], "text")
    assert (
        "repair round 1: regenerate Store.add: applied; "
        "for placeholder at line 8, placeholder at line 9 (1 call" in text
    )
    data = json.loads(render_build([result], "json"))
    [repaired] = data["specs"][0]["files"]
    assert [r["action"] for r in repaired["repairs"]] == ["regenerate", "add"]
    assert repaired["repairs"][0]["findings"] == ["placeholder at line 8", "placeholder at line 9"]


EARLY_END = "```python\ndef a():\n    return 1\n\n\n# The remaining functions follow the same pattern.\n```\n"


def test_an_early_end_is_finished_by_prefill_where_the_model_takes_it(tmp_path: Path) -> None:
    fake = FakeStreamer([answer(EARLY_END), answer("\n\n\ndef b():\n    return 2\n```")])
    spec = load_spec(
        write_spec(tmp_path, [{"path": "m.py", "prompt": "x", "requires": ["b"]}], model="claude-haiku-4-5")
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert (tmp_path / "m.py").read_text() == "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    finish = fake.requests[1]
    # The file's own conversation, its answer cut after the last line of code.
    assert finish["messages"][0] == fake.requests[0]["messages"][0]
    assert finish["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "```python\ndef a():\n    return 1"}],
    }
    assert [(r.action, r.outcome) for r in f.repairs] == [("finish", "applied")]


def test_an_early_end_is_finished_in_a_user_turn_where_prefill_is_refused(tmp_path: Path) -> None:
    seam = "Continuing from where the file stopped:\n\n```python\ndef b():\n    return 2\n```"
    fake = FakeStreamer([answer(EARLY_END), answer(seam)])
    spec = load_spec(
        write_spec(tmp_path, [{"path": "m.py", "prompt": "x", "requires": ["b"]}], model="claude-sonnet-5-5")
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert (tmp_path / "m.py").read_text() == "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
    finish = fake.requests[1]
    # The answer goes back unchanged; the user turn says what is wrong and names `b`.
    assert finish["messages"][1] == {"role": "assistant", "content": [{"type": "text", "text": EARLY_END}]}
    ask = last_user_text(finish)
    assert ask.startswith("Your answer ended before the file was complete")
    assert "`b`" in ask and "    return 1" in ask


def test_an_early_end_after_line_prefill_continuations_is_finished_in_a_user_turn(tmp_path: Path) -> None:
    # The conversation's last turn holds only the end of the answer: the place to cut
    # the file is not in it, so the finish asks for the rest in a user turn.
    name = "glob.py"
    targets = {name: (STDLIB / name).read_text()}
    author = ModuleAuthor(
        targets, seams=Seams(seed=1), laziness=Laziness(placeholders=0), min_cache_tokens=1024
    )
    double = MessagesDouble(author)
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": name, "prompt": "x"}],
            model="claude-haiku-4-5",
            max_tokens=512,
            max_continuations=50,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    double.check()
    assert f.status == "written", f.detail
    assert same_as_formatted(tmp_path / name, targets[name])
    assert author.repairs == [(name, "finish", "")]
    assert len(author.continuations) == 1  # the finish: every continuation before it was a prefill
    assert [(r.action, r.outcome) for r in f.repairs] == [("finish", "applied")]
    asked = [
        i
        for i, r in enumerate(double.requests)
        if last_user_text(r).startswith("Your answer ended before the file was complete")
    ]
    finish = double.requests[asked[0]]["messages"]
    # The first pass went by line prefill, and the finish goes on from all of it.
    turns = [last_user_text({"messages": [m]}) for m in finish if m["role"] == "user"][1:-1]
    assert len(turns) > 2 and set(turns) == {prompts.CONTINUE_LINE}
    # Then the last answer's whole turn: the line it was prefilled with and what followed.
    before = double.requests[asked[0] - 1]["messages"]
    assert without_marks(finish[:-2]) == without_marks(before[:-1])
    assert finish[-2]["content"][0]["text"].startswith(before[-1]["content"][0]["text"])


def test_an_unknown_model_refusing_the_finish_prefill_goes_on_in_a_user_turn(tmp_path: Path) -> None:
    double = MessagesDouble(
        ScriptedAuthor(
            [
                replies.text(EARLY_END),
                replies.prefill_refused(),
                replies.text("```python\ndef b():\n    return 2\n```"),
            ]
        )
    )
    spec = load_spec(
        write_spec(tmp_path, [{"path": "m.py", "prompt": "x", "requires": ["b"]}], model="some-local-model")
    )
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    assert f.status == "written", f.detail
    assert "def b():" in (tmp_path / "m.py").read_text()
    assert double.requests[2]["messages"][-1]["role"] == "user"


def test_a_statement_that_does_not_parse_is_rewritten_alone(tmp_path: Path) -> None:
    broken = "```python\nimport os\n\nSEP = = os.sep\n\n\ndef f():\n    return SEP\n```"
    fake = FakeStreamer([answer(broken), answer("```python\nSEP = os.sep\n```")])
    spec = load_spec(write_spec(tmp_path, [{"path": "m.py", "prompt": "x"}]))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert (tmp_path / "m.py").read_text() == "import os\n\nSEP = os.sep\n\n\ndef f():\n    return SEP\n"
    ask = first_user_text(fake.requests[1])
    assert "top-level statement that begins at line 3" in ask and "SEP = = os.sep" in ask
    assert [r.action for r in f.repairs] == ["statement"]


def test_still_incomplete_after_max_repairs_is_kept_and_reported(tmp_path: Path) -> None:
    lazy_again = "```python\ndef add(self, item):\n    pass  # TODO: implement\n```"
    fake = FakeStreamer([answer(LAZY_STORE), answer(lazy_again), answer(lazy_again)])
    spec = load_spec(write_spec(tmp_path, [{"path": "store.py", "prompt": "x"}], max_repairs=2))
    result = build_spec(spec, BuildOptions(), client=fake)
    [f] = result.files
    assert f.status == "incomplete" and result.exit_code == EXIT_FINDINGS
    assert not (tmp_path / "store.py").exists()
    assert [str(g.code) for g in f.findings] == ["placeholder"]
    assert "after 2 repair rounds" in f.detail
    assert len(f.repairs) == 2 and f.calls == 3
    assert f.kept is not None and "TODO: implement" in Path(f.kept).read_text()


def test_an_answer_without_the_definition_is_a_failed_repair(tmp_path: Path) -> None:
    fake = FakeStreamer([answer(LAZY_STORE), answer("I could not find that method.")])
    spec = load_spec(write_spec(tmp_path, [{"path": "store.py", "prompt": "x"}], max_repairs=1))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "incomplete"
    [record] = f.repairs
    assert record.outcome == "failed" and "no code" in record.detail


def test_a_file_whose_answers_keep_repeating_it_is_repaired_in_a_fresh_conversation(tmp_path: Path) -> None:
    # Greedy decoding (Qwen2.5-Coder-0.5B at max_tokens 80) started the file over at every
    # turn and was cut at the same place: its conversation cannot get past `apply`.
    first = (
        "```python\ndef percent(part, whole):\n    return part / whole * 100\n\n"
        "def apply(price, p):\n    if p <"
    )
    whole = (
        "```python\ndef apply(price, p):\n    if p < 0:\n        raise ValueError(p)\n"
        "    return price * p\n```"
    )
    fake = FakeStreamer([cut(first)] * 4 + [answer(whole)])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "m.py", "prompt": "x", "requires": ["apply"]}],
            model="claude-sonnet-5-5",
            max_repairs=1,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert f.stalls == 3 and [(r.action, r.target, r.outcome) for r in f.repairs] == [
        ("regenerate", "apply", "applied")
    ]
    assert "apply(price, p):\n    if p < 0:" in (tmp_path / "m.py").read_text()
    ask = last_user_text(fake.requests[4])
    assert "`apply` was cut at `if p <` and the answers after it only repeated" in ask


def test_a_finish_that_only_repeats_fails_and_the_cut_definition_is_asked_for_by_name(tmp_path: Path) -> None:
    # Qwen2.5-Coder-0.5B, asked for the rest of a file cut in `peek`, typed the quoted
    # lines of the method above it again and stopped, twice.
    cut = "```python\ndef a():\n    return 1\n\ndef peek(x):\n    if not x\n```"
    fake = FakeStreamer(
        [
            answer(cut),
            answer("```python\ndef a():\n    return 1\n```"),
            answer("```python\ndef peek(x):\n    if not x:\n        return 2\n```"),
        ]
    )
    spec = load_spec(
        write_spec(tmp_path, [{"path": "m.py", "prompt": "x"}], model="claude-sonnet-5-5", max_repairs=2)
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert [(r.label, r.outcome, r.detail) for r in f.repairs] == [
        ("finish the file", "failed", "the answer only repeated what was already written"),
        ("regenerate peek", "applied", ""),
    ]
    assert (tmp_path / "m.py").read_text().endswith("def peek(x):\n    if not x:\n        return 2\n")
    assert "Write the complete definition of `peek`" in last_user_text(fake.requests[2])


def test_a_name_not_written_when_asked_alone_is_asked_for_in_the_files_own_conversation(
    tmp_path: Path,
) -> None:
    # Qwen2.5-Coder-0.5B, asked for `convert` alone, wrote another function again.
    fake = FakeStreamer(
        [
            answer("```python\ndef a():\n    return 1\n```"),
            answer("```python\ndef a():\n    return 1\n```"),
            answer("```python\ndef convert(x):\n    return x\n```"),
        ]
    )
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "m.py", "prompt": "x", "requires": ["a", "convert"]}],
            model="claude-sonnet-5-5",
            max_repairs=2,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert [(r.label, r.outcome) for r in f.repairs] == [
        ("add convert", "failed"),
        ("finish the file", "applied"),
    ]
    assert (tmp_path / "m.py").read_text() == "def a():\n    return 1\n\n\ndef convert(x):\n    return x\n"
    ask = last_user_text(fake.requests[2])
    assert ask.startswith("Your answer ended before the file was complete") and "`convert`" in ask
    # The file's own conversation: its first request and answer, then the ask.
    assert without_marks(fake.requests[2]["messages"][:1]) == without_marks(fake.requests[0]["messages"][:1])


def test_an_add_answer_that_writes_other_missing_names_too_adds_them_without_asking_again(
    tmp_path: Path,
) -> None:
    # Qwen2.5-Coder-0.5B, asked for `RingBuffer.to_list` alone, wrote the class over with
    # `to_list`, `is_full` and `__len__`; asked for `is_full` next, it wrote `__len__` only.
    first = "```python\nclass Ring:\n    def __init__(self):\n        self.items = []\n```"
    whole = (
        "```python\nclass Ring:\n    def __init__(self):\n        self.items = []\n\n"
        "    def to_list(self):\n        return list(self.items)\n\n"
        "    def is_full(self):\n        return False\n```"
    )
    fake = FakeStreamer([answer(first), answer(whole)])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "m.py", "prompt": "x", "requires": ["Ring.to_list", "Ring.is_full"]}],
            model="claude-sonnet-5-5",
            max_repairs=2,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert len(fake.requests) == 2
    assert [(r.label, r.outcome, r.calls) for r in f.repairs] == [
        ("add Ring.to_list", "applied", 1),
        ("add Ring.is_full", "applied", 0),
    ]
    assert (tmp_path / "m.py").read_text() == (
        "class Ring:\n    def __init__(self):\n        self.items = []\n\n"
        "    def to_list(self):\n        return list(self.items)\n\n"
        "    def is_full(self):\n        return False\n"
    )


def test_an_add_takes_only_names_still_missing_from_its_answer() -> None:
    code = "def a():\n    return 1\n"
    answer = "```python\ndef a():\n    return 2\n\ndef b():\n    return 3\n\ndef c():\n    return 4\n```"
    step = Repair("add", (), target="b", kind="definition", names=("a", "c", "d"))
    assert apply(code, step, answer) == (
        "def a():\n    return 1\n\n\ndef b():\n    return 3\n\n\ndef c():\n    return 4\n"
    )


def test_a_stuck_file_without_repairs_is_kept_as_cut(tmp_path: Path) -> None:
    first = "```python\ndef apply(price, p):\n    if p <"
    fake = FakeStreamer([cut(first)] * 4)
    spec = load_spec(
        write_spec(tmp_path, [{"path": "m.py", "prompt": "x"}], model="claude-sonnet-5-5", max_repairs=0)
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "incomplete" and "3 answers in a row added nothing" in f.detail
    assert len(fake.requests) == 4


def test_max_repairs_zero_sends_no_repair(tmp_path: Path) -> None:
    fake = FakeStreamer([answer(LAZY_STORE)])
    spec = load_spec(write_spec(tmp_path, [{"path": "store.py", "prompt": "x"}], max_repairs=0))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "incomplete" and f.repairs == () and len(fake.requests) == 1


# -- planning, pure ------------------------------------------------------------------


def repairs_for(code: str, requires: tuple[str, ...] = ()) -> list[Repair]:
    return plan(code, validators.check(code, requires=requires))


def test_a_file_that_stops_early_is_finished_before_anything_else() -> None:
    code = "def f():\n    pass  # TODO: implement\n\n# and so on for the other helpers\n"
    [only] = repairs_for(code, requires=("g",))
    assert only.action == "finish" and only.names == ("g",)
    assert finish_cut(code, only) == "def f():\n    pass  # TODO: implement\n"


def test_placeholders_in_one_function_make_one_request() -> None:
    code = (
        "class A:\n    def f(self):\n        def inner():\n            pass  # TODO: implement\n"
        "        # ... rest of implementation\n        return inner\n"
    )
    [only] = repairs_for(code)
    assert (only.action, only.target, only.kind) == ("regenerate", "A.f", "method")


def test_prefill_text_cuts_the_answer_after_the_last_kept_line() -> None:
    code = "def a():\n    return 1\n\n\n# The remaining functions follow the same pattern.\n"
    kept = "def a():\n    return 1\n"
    assert prefill_text(EARLY_END, code, kept) == "```python\ndef a():\n    return 1"
    assert prefill_text("something else entirely", code, kept) is None


LAZY_LEDGER = """\
```python
class Ledger:
    def __init__(self):
        self.rows = []

    def add(self, row):
        # ... rest of implementation ...
        pass

    def total(self):
        pass  # TODO

    def clear(self):
        self.rows = []
```
"""


def test_the_requests_of_one_repair_round_share_the_quoted_file_through_the_cache(tmp_path: Path) -> None:
    answers = [
        "```python\nclass Ledger:\n    def add(self, row):\n        self.rows.append(row)\n```",
        "```python\nclass Ledger:\n    def total(self):\n        return sum(self.rows)\n```",
        "```python\nclass Ledger:\n    def undo(self):\n        self.rows.pop()\n```",
    ]
    double = MessagesDouble(ScriptedAuthor([replies.text(LAZY_LEDGER), *map(replies.text, answers)]))
    spec = load_spec(
        write_spec(tmp_path, [{"path": "ledger.py", "prompt": "A ledger.", "requires": ["Ledger.undo"]}])
    )
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    assert f.status == "written", f.detail
    assert [(r.target, r.outcome) for r in f.repairs] == [
        ("Ledger.add", "applied"),
        ("Ledger.total", "applied"),
        ("Ledger.undo", "applied"),
    ]
    repairs = double.requests[1:]
    # Each repair: the file as the round found it, marked for the cache, then what to write.
    contents = [r["messages"][0]["content"] for r in repairs]
    assert all(len(c) == 2 for c in contents)
    assert contents[0][0] == contents[1][0] == contents[2][0]
    assert "rest of implementation" in contents[2][0]["text"]  # as the round found it
    assert contents[0][0]["cache_control"] == {"type": "ephemeral"}
    assert not any("cache_control" in c[1] for c in contents)  # one answer: no write to read later
    # Billed as the API's cache would: the second and third read the quote the first wrote.
    cache = PromptCache(min_tokens=0)
    bills = [cache.bill(r, estimate_input_tokens(r)) for r in double.requests]
    quote = bills[1].cache_read_input_tokens + bills[1].cache_creation_input_tokens
    assert bills[1].cache_creation_input_tokens > 0
    assert bills[2].cache_read_input_tokens == bills[3].cache_read_input_tokens == quote
    assert bills[2].cache_creation_input_tokens == bills[3].cache_creation_input_tokens == 0


def test_a_repair_alone_in_its_round_marks_nothing_for_the_cache(tmp_path: Path) -> None:
    add = "```python\nclass Store:\n    def add(self, item):\n        self.items.append(item)\n```"
    fake = FakeStreamer([answer(LAZY_STORE), answer(add)])
    spec = load_spec(write_spec(tmp_path, [{"path": "store.py", "prompt": "A store."}]))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    [quote, ask] = fake.requests[1]["messages"][0]["content"]
    # A write costs 1.25x the input price and nothing would read it.
    assert "cache_control" not in quote and "cache_control" not in ask


CONVERT = '''def f_to_c(f):
    """Fahrenheit to Celsius."""
    return (f - 32) * 5 / 9


def c_to_k(c):
    return c + 273.15


def k_to_c(k):
    return k - 273.15
'''


def build_skipping_to_c_to_k(tmp_path: Path, cut: int, fence: str) -> MessagesDouble:
    """A build of CONVERT cut at `cut`, whose next answer opens a `fence` at `c_to_k`
    (skipping the rest of f_to_c), and which then writes f_to_c when asked. Returns
    the double, the file checked written and f_to_c regenerated by name."""
    double = MessagesDouble(
        ScriptedAuthor(
            [
                replies.cut("```python\n" + CONVERT[:cut]),
                replies.text(fence + "\n" + CONVERT[CONVERT.index("def c_to_k") :] + "```"),
                replies.text("```python\n" + CONVERT[: CONVERT.index("\n\n\ndef c_to_k")] + "\n```"),
            ]
        )
    )
    spec = load_spec(write_spec(tmp_path, [{"path": "convert.py", "prompt": "x"}]))
    [f] = build_spec(spec, BuildOptions(), client=client_for(double)).files
    assert f.status == "written", f.detail
    assert same_as_formatted(tmp_path / "convert.py", CONVERT)
    assert [(r.action, r.target, r.outcome) for r in f.repairs] == [("regenerate", "f_to_c", "applied")]
    return double


def test_a_definition_a_continuation_skipped_is_regenerated_by_name(tmp_path: Path) -> None:
    # Cut inside f_to_c; the next answer opens a new fence at the next definition. The
    # file parses (`retur` is a name), but f_to_c was never finished.
    double = build_skipping_to_c_to_k(tmp_path, CONVERT.index("rn (f"), "```python3")
    assert "Write the complete definition of `f_to_c`" in first_user_text(double.requests[2])


def test_a_definition_a_continuation_may_have_skipped_after_a_line_end_is_asked_for(tmp_path: Path) -> None:
    # Cut after a whole line of f_to_c (its docstring), and the next answer opens the
    # next definition: whole or skipped, the text cannot tell, so f_to_c is asked for.
    cut = CONVERT.index("\n", CONVERT.index('"""', CONVERT.index("def f_to_c"))) + 1
    double = build_skipping_to_c_to_k(tmp_path, cut, "```python")
    assert "may be unfinished" in first_user_text(double.requests[2])


def test_a_definition_that_does_not_parse_is_asked_for_by_name_then_another_way(tmp_path: Path) -> None:
    broken = CONVERT.replace("def c_to_k(c):\n    return c + 273.15\n", "def c_to_k(c\n")
    fake = FakeStreamer(
        [
            answer("```python\n" + broken + "```"),
            answer("```python\ndef c_to_k(c\n```"),  # echoes the broken line: a failed repair
            answer("```python\ndef c_to_k(c):\n    return c + 273.15\n```"),
        ]
    )
    spec = load_spec(write_spec(tmp_path, [{"path": "convert.py", "prompt": "x"}]))
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert same_as_formatted(tmp_path / "convert.py", CONVERT)
    assert [(r.action, r.outcome) for r in f.repairs] == [("regenerate", "failed"), ("statement", "applied")]
    assert "Write the complete definition of `c_to_k`" in first_user_text(fake.requests[1])
    assert "top-level statement that begins at line 6" in first_user_text(fake.requests[2])


def test_every_syntax_finding_gets_a_repair_while_a_way_is_left() -> None:
    code = "x = 1\n\ny = = 2\n\nz = = 3\n\nw = 4\n"  # two faults: removing one does not parse
    [finding] = validators.check(code)
    tried: set[str] = set()
    labels = []
    while steps := plan(code, [finding], tried):
        [step] = steps
        labels.append(step.label)
        tried.add(step.label)
    assert labels == ["rewrite lines 3-3", "finish the file from line 3"]
    assert finish_cut(code, Repair("finish", (finding,), first=3)) == "x = 1\n"


def test_a_definition_left_unfinished_is_replaced_up_to_where_it_was_cut() -> None:
    # `text` was cut after `z = 1` and the answer went on to `other`. Read by
    # indentation, its block would end at the string's text at column 0.
    code = (
        'def text(a):\n    head = """\nA problem\n"""\n    for y in a:\n        z = 1\n'
        "\n\ndef other():\n    return 2\n"
    )
    found = Finding(Code.UNFINISHED, 1, 1, "text", "`text` may be unfinished", end_line=6)
    [step] = plan(code, [found])
    assert (step.action, step.target, step.first, step.last) == ("regenerate", "text", 1, 6)


def test_a_finish_that_writes_the_last_definitions_over_adds_only_what_is_new(tmp_path: Path) -> None:
    # Qwen2.5-Coder-0.5B: asked for the missing `Stack.is_empty` alone it wrote something
    # else; asked to go on from the end of the file, it wrote is_empty, then the class's
    # last two methods again. Written as stitched, the file defined each of them twice.
    whole = (
        "```python\nclass Stack:\n    def __init__(self):\n        self.items = []\n\n"
        "    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return len(self.items)\n```"
    )
    other = "```python\ndef helper():\n    return 1\n```"
    again = (
        "```python\n    def is_empty(self):\n        return not self.items\n\n"
        "    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return len(self.items)\n```"
    )
    fake = FakeStreamer([whole, other, again])
    spec = load_spec(
        write_spec(
            tmp_path,
            [{"path": "stack.py", "prompt": "x", "requires": ["Stack.is_empty", "Stack.clear"]}],
            model="claude-sonnet-5-5",
            max_repairs=2,
        )
    )
    [f] = build_spec(spec, BuildOptions(), client=fake).files
    assert f.status == "written", f.detail
    assert [(r.label, r.outcome) for r in f.repairs] == [
        ("add Stack.is_empty", "failed"),
        ("finish the file", "applied"),
    ]
    assert (tmp_path / "stack.py").read_text() == (
        "class Stack:\n    def __init__(self):\n        self.items = []\n\n"
        "    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return len(self.items)\n\n"
        "    def is_empty(self):\n        return not self.items\n"
    )
