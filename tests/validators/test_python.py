"""`validators.check` on hand-written Python: each finding, and each legitimate use
that must not be one."""

from __future__ import annotations

import textwrap

import pytest

from validators import Code, Finding, check


def findings(source: str, **options: object) -> list[Finding]:
    return check(textwrap.dedent(source), **options)  # type: ignore[arg-type]


def codes(source: str, **options: object) -> list[tuple[str, int]]:
    """(code, line) of each finding."""
    return [(str(f.code), f.line) for f in findings(source, **options)]


# -- placeholders ----------------------------------------------------------------------


def test_elision_comment_among_statements_is_a_placeholder() -> None:
    found = findings("""\
        class TodoList:
            def add(self, todo):
                self.check(todo)
                # ... existing code ...
                self.items.append(todo)
        """)
    assert [(f.code, f.line, f.column, f.scope) for f in found] == [(Code.PLACEHOLDER, 4, 9, "TodoList.add")]
    assert "existing code" in found[0].message


@pytest.mark.parametrize(
    "comment",
    [
        "# ... rest of the code remains the same ...",
        "# Rest of the implementation unchanged",
        "# [Previous code remains unchanged]",
        "# (omitted for brevity)",
        "# Other methods omitted for brevity",
        "# ... other methods ...",
        "# Implement the logic here",
        "# Your code here",
        "# ... more fields ...",
    ],
)
def test_elision_phrasings_are_found(comment: str) -> None:
    source = f"def run(x):\n    y = x + 1\n    {comment}\n    return y\n"
    assert codes(source) == [("placeholder", 3)]


@pytest.mark.parametrize(
    "body",
    [
        ["pass  # TODO: implement"],
        ["...  # same as above"],
        ["# TODO: implement this method", "pass"],
        ['"""Remove a todo."""', "# TODO: implement"],
        ["pass  # placeholder"],
    ],
)
def test_stub_body_with_a_stub_note_is_a_placeholder(body: list[str]) -> None:
    source = "class TodoList:\n    def remove(self, title):\n"
    source += "".join(f"        {line}\n" for line in body)
    found = check(source)
    assert [f.code for f in found] == [Code.PLACEHOLDER]
    assert found[0].scope == "TodoList.remove"


def test_not_implemented_with_a_placeholder_message() -> None:
    found = findings("""\
        class Exporter:
            def export(self, path):
                raise NotImplementedError("TODO")
        """)
    assert [(f.code, f.line, f.scope) for f in found] == [(Code.PLACEHOLDER, 2, "Exporter.export")]


def test_module_function_that_only_raises_is_a_placeholder() -> None:
    found = findings("""\
        def export_csv(todos, path):
            \"\"\"Write the todos as CSV.\"\"\"
            raise NotImplementedError
        """)
    assert [(f.code, f.line, f.scope) for f in found] == [(Code.PLACEHOLDER, 1, "export_csv")]


def test_ellipsis_among_statements_is_a_placeholder() -> None:
    assert codes("""\
        def main():
            args = parse()
            ...
            run(args)
        """) == [("placeholder", 3)]


def test_elision_inside_brackets_is_found() -> None:
    assert codes("""\
        COMMANDS = {
            "add": add,
            # ... other commands ...
        }
        """) == [("placeholder", 3)]


def test_comment_standing_for_a_body_is_a_placeholder_though_it_cannot_parse() -> None:
    found = findings("""\
        class TodoList:
            def remove(self, title):
                # ... rest of the method ...

            def complete(self, title):
                # TODO: implement

            def size(self):
                return len(self.items)
        """)
    assert [(f.code, f.line, f.column, f.scope) for f in found] == [
        (Code.PLACEHOLDER, 3, 9, "TodoList.remove"),
        (Code.PLACEHOLDER, 6, 9, "TodoList.complete"),
    ]


# -- premature end ---------------------------------------------------------------------


def test_trailing_remark_at_the_end_of_a_class_ends_the_file_early() -> None:
    found = findings("""\
        class TodoList:
            def add(self, todo):
                self.items.append(todo)

            # The remaining methods follow the same pattern.
        """)
    assert [(f.code, f.line, f.scope) for f in found] == [(Code.PREMATURE_END, 5, "TodoList")]


@pytest.mark.parametrize("remark", ["# and so on", "# etc.", "# ...", "# Similarly for the rest."])
def test_trailing_remarks_at_the_end_of_the_module(remark: str) -> None:
    assert codes(f"def add(x):\n    return x + 1\n\n{remark}\n") == [("premature-end", 4)]


def test_trailing_prose_that_does_not_parse_is_a_premature_end() -> None:
    found = findings("""\
        def add(x):
            return x + 1

        The remaining functions follow the same pattern.
        """)
    assert [(f.code, f.line, f.column) for f in found] == [(Code.PREMATURE_END, 4, 1)]


def test_ending_remark_in_the_middle_of_a_file_stands_for_the_rest_of_its_class() -> None:
    assert codes("""\
        class A:
            def f(self):
                return 1
            # and so on for the other methods


        def g():
            return 2
        """) == [("placeholder", 4)]


# -- missing ---------------------------------------------------------------------------

TODO_MODULE = """\
import json
from dataclasses import dataclass


@dataclass
class Todo:
    title: str
    done: bool = False


class TodoList:
    LIMIT = 100

    def __init__(self):
        self.items = []

    def add(self, todo):
        self.items.append(todo)

    @classmethod
    def from_json(cls, text):
        cls.loaded = True
        return cls()
"""


def test_defined_names_of_every_kind_are_found() -> None:
    required = [
        "json",
        "dataclass",
        "Todo",
        "Todo.title",
        "Todo.done",
        "TodoList",
        "TodoList.LIMIT",
        "TodoList.items",
        "TodoList.add",
        "TodoList.from_json",
        "TodoList.loaded",
        "TodoList.__init__",
    ]
    assert check(TODO_MODULE, requires=required) == []


def test_missing_names_are_reported_at_their_scope() -> None:
    found = check(TODO_MODULE, requires=["TodoList.remove", "Todo", "TodoItem", "TodoItem.x"])
    assert [(f.code, f.line, f.scope, f.message) for f in found] == [
        (Code.MISSING, 1, "", "required name `TodoItem` is not defined at module level"),
        (
            Code.MISSING,
            1,
            "",
            "required name `TodoItem.x` is not defined at module level (TodoItem is not defined)",
        ),
        (
            Code.MISSING,
            11,
            "TodoList",
            "required name `TodoList.remove` is not defined in class TodoList",
        ),
    ]


def test_a_required_function_with_a_stub_body_is_a_placeholder() -> None:
    source = "class TodoList:\n    def add(self, todo):\n        pass\n"
    assert check(source) == []
    found = check(source, requires=["TodoList.add"])
    assert [(f.code, f.line, f.scope) for f in found] == [(Code.PLACEHOLDER, 2, "TodoList.add")]
    assert "`pass`" in found[0].message


def test_star_import_of_a_project_module_may_define_any_module_name() -> None:
    assert check("from .models import *\n", requires=["Todo"]) == []
    assert check("from todo.models import *\n", requires=["Todo"]) == []


def test_star_import_from_the_standard_library_defines_no_required_name() -> None:
    # A regenerated function came with `from typing import *`, and the file was written
    # without two of its required functions (Qwen2.5-Coder-0.5B, e2e).
    for source in ("from typing import *\n", "from os.path import *\n"):
        found = check(source + "def a():\n    return 1\n", requires=["a", "parse_duration"])
        assert [(f.code, f.message) for f in found] == [
            (Code.MISSING, "required name `parse_duration` is not defined at module level")
        ]


def test_malformed_required_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a dotted Python name"):
        check("x = 1\n", requires=["Todo List"])


# -- legitimate uses that are not findings ---------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        # Protocol members
        """\
        from typing import Protocol

        class Readable(Protocol):
            def read(self, n: int) -> bytes: ...
            def close(self) -> None:
                ...
        """,
        # abstract methods, with NotImplementedError and `...`
        """\
        import abc

        class Base(abc.ABC):
            @abc.abstractmethod
            def run(self):
                raise NotImplementedError

            @abc.abstractmethod
            def stop(self): ...
        """,
        # overloads
        """\
        from typing import overload

        @overload
        def parse(x: int) -> int: ...
        @overload
        def parse(x: str) -> str: ...
        def parse(x):
            return x
        """,
        # `...` as a value
        """\
        DEFAULT = ...
        def f(x=...):
            return x[..., 0]
        """,
        # `pass` in except, an empty class, a no-op hook
        """\
        class Error(Exception):
            pass

        class Handler:
            def setup(self):
                pass

        try:
            import readline
        except ImportError:
            pass  # TODO: implement a fallback
        """,
        # a TODO note beside real code
        """\
        def total(items):
            # TODO: implement caching
            return sum(items)
        """,
        # the interface idiom: a method that says subclasses must implement it
        """\
        class Command:
            def run(self, args):
                raise NotImplementedError("subclasses must implement run()")
        """,
        # stubs only seen by type checkers
        """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            def helper(x: int) -> str: ...
        """,
        # prose that merely mentions the words
        """\
        def split(path):
            # Split off the drive; the rest of the path is returned unchanged.
            return path[:2], path[2:]
        """,
    ],
)
def test_legitimate_uses_are_not_findings(source: str) -> None:
    assert findings(source) == []


def test_pyi_stubs_may_have_stub_bodies() -> None:
    stub = "def export(path: str) -> None:\n    raise NotImplementedError\n"
    assert check(stub, filename="todo.pyi") == []
    assert [f.code for f in check(stub, filename="todo.py")] == [Code.PLACEHOLDER]


def test_findings_are_sorted_by_position() -> None:
    found = check(
        "def a():\n    raise NotImplementedError\n\ndef b():\n    raise NotImplementedError\n",
        requires=["c"],
    )
    assert [(f.line, f.column) for f in found] == sorted((f.line, f.column) for f in found)
    assert [f.line for f in found] == [1, 1, 4]


# -- syntax and truncation -------------------------------------------------------------


def test_syntax_error_in_the_middle_is_not_truncation() -> None:
    found = findings("""\
        def f(x):
            return (x +

        def g():
            return 2
        """)
    assert [(f.code, f.line) for f in found] == [(Code.SYNTAX, 4)]
    assert found[0].message.startswith("cannot parse:")


def test_tokenizer_error_gets_cpython_position() -> None:
    found = check("x = 1\nprint('done'))\ny = 2\n")
    assert [(f.code, f.line, f.column) for f in found] == [(Code.SYNTAX, 2, 14)]


def test_truncated_file_is_reported_at_its_end() -> None:
    found = check("class TodoList:\n    def add(self, todo):\n        self.items.append(todo\n")
    assert [(f.code, f.line, f.column, f.scope) for f in found] == [(Code.TRUNCATED, 3, 31, "TodoList.add")]
    assert "'(' opened at 3:26" in found[0].message


@pytest.mark.parametrize(
    "source",
    ["\x00", "(" * 500, "x = " + "-" * 5000 + "1", "\ud800 = 1", "", "\n\n", "#"],
)
def test_hostile_input_gives_at_most_one_finding(source: str) -> None:
    assert len(check(source)) <= 1


def test_a_single_required_name_may_be_a_string() -> None:
    assert [f.message for f in check("x = 1\n", requires="y")] == [
        "required name `y` is not defined at module level"
    ]
    assert check("x = 1\n", requires="x") == []
