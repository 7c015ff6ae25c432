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


# -- bodies with no statement of their own -------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "def get(key):\n    ...\n",
        'def get(key):\n    """Return the value for key."""\n    ...\n',
        "class Store:\n    def get(self, key):\n        ...\n",
        "def get(key): ...\n",
    ],
)
def test_a_bare_ellipsis_body_is_a_placeholder(source: str) -> None:
    found = check(source)
    assert [f.code for f in found] == [Code.PLACEHOLDER]
    assert "only `...`" in found[0].message


@pytest.mark.parametrize(
    "source",
    [
        # a one-line declaration with a return annotation
        "def get(key: str) -> int: ...\n",
        # mypy told the body is empty on purpose
        "def get(key: str) -> int:  # type: ignore[empty-body]\n    ...\n",
        # a local callback or test dummy
        "def outer():\n    def inner(): ...\n    return inner\n",
        # the stubs of a Protocol, subscripted
        "from typing import Protocol, TypeVar\nT = TypeVar('T')\n"
        "class Box(Protocol[T]):\n    def get(self) -> T:\n        ...\n",
    ],
)
def test_ellipsis_bodies_that_declare_are_not_placeholders(source: str) -> None:
    assert check(source) == []


def test_a_bare_ellipsis_body_in_a_stub_file_is_not_a_placeholder() -> None:
    assert check("def get(key):\n    ...\n", filename="store.pyi") == []


# The phrasings issue 19 saw pass through (held out from the phrase lists), and
# comments that say nothing a phrase list would know.
@pytest.mark.parametrize(
    "body",
    [
        ['"""Return the value for key."""', "# (same logic as above)"],
        ["# ... as above ...", "pass"],
        ["# the logic is identical to the previous method", "pass"],
        ["# (code continues as before)", "pass"],
        ["# Validate the input and store it", "pass"],
        ["pass  # look the key up in the cache"],
        ['"""Return the value for key."""', "# look the key up", "..."],
        ["# look the key up", "raise NotImplementedError"],
        ["pass", "# the rest mirrors get()"],
    ],
)
def test_any_remark_in_a_body_with_no_statement_is_a_placeholder(body: list[str]) -> None:
    source = "class Store:\n    def get(self, key):\n" + "".join(f"        {line}\n" for line in body)
    source += "\n    def size(self):\n        return 0\n"
    found = check(source)
    assert [(f.code, f.scope) for f in found] == [(Code.PLACEHOLDER, "Store.get")]


def test_a_remark_on_the_def_line_of_a_stub_body_is_a_placeholder() -> None:
    source = "def get(key):  # read it from the cache\n    pass\n\ndef size():\n    return 0\n"
    assert codes(source) == [("placeholder", 1)]


@pytest.mark.parametrize(
    "source",
    [
        "class A:\n    def flush(self):\n        # Nothing to do.\n        pass\n",
        "class A:\n    def flush(self):\n        pass  # no-op\n",
        "class A:\n    def flush(self):\n        # Override in subclasses to write out the buffer.\n"
        "        pass\n",
        "class A:\n    def emit(self, record):\n        # Handled by LogCaptureHandler.\n        pass\n",
        "class A:\n    def log_message(self, *args):\n        # don't write log messages to stderr\n"
        "        pass\n",
        "class A:\n    def close(self):\n        # What does closing mean here?\n        pass\n",
        'class A:\n    def flush(self):\n        """Does nothing: writes are not buffered."""\n'
        "        # see write()\n",
        # commented-out code is code put away, not a remark
        "class A:\n    def tearDown(self):\n        #self.cur.close()\n        #self.con.close()\n"
        "        pass\n",
        # a one-line dummy
        "class A:\n    def close(self): pass  # gui method\n",
        # a visitor that has nothing to do for this node
        "class V:\n    def visit_Lambda(self, node):\n        # a lambda has its own scope\n        pass\n",
        # a skipped test
        "import unittest\nclass T(unittest.TestCase):\n    @unittest.skip('later')\n"
        "    def test_x(self):\n        # check the thing\n        pass\n",
        # a fixture class defined in a test
        "def test_x():\n    class C:\n        def __call__(self):\n            pass  # implies Callable\n"
        "    assert callable(C())\n",
        # the interface idioms: a message saying why, a class named as an interface
        "class A:\n    def run(self):\n        # every command has one\n"
        "        raise NotImplementedError('subclasses must implement run()')\n",
        "class AbstractStore:\n    def get(self, key):\n        # look the key up\n"
        "        raise NotImplementedError\n",
        "class A:\n    def __iter__(self):\n"
        "        raise NotImplementedError  # more helpful than an AttributeError\n",
        # where raising is the point: a cause given, a test expected to fail, a type a
        # single-dispatch function does not handle
        'def wait():\n    """Block until done."""\n    raise NotImplementedError from _platform_error\n',
        "@XFAIL\ndef test_u11():\n    raise NotImplementedError\n",
        "@derive.register(Hadamard)\ndef _(expr, x):\n    raise NotImplementedError()\n",
        # a comment that says the body is empty on purpose, in other words
        "class Any:\n    def subclass_init(self, cls):\n        # fully opt out of instance_init\n"
        "        pass\n\n    def get(self):\n        return 1\n",
        "class Base:\n    def draw_background(self):\n        # optional\n        pass\n",
        # a note that subclasses write the body: an interface's method
        "class CLICommand:\n    def __call__(self, args):\n"
        "        pass  # Subclasses are expected to implement this method.\n",
        # an except that ignores, and an if arm that explains
        "try:\n    import readline\nexcept ImportError:\n    # readline is optional\n    pass\n",
        "def f(x):\n    if x:\n        # keep idx as a fraction\n        pass\n    return x\n",
        # an empty class with a docstring, or a comment
        'class Error(Exception):\n    """Raised when the store is full."""\n    # see the docs\n',
    ],
)
def test_stub_bodies_that_are_the_point_are_not_placeholders(source: str) -> None:
    assert check(source) == []


def test_only_typing_protocol_declares_an_interface() -> None:
    body = "    def data_received(self, data):\n        # handle the data\n        pass\n"
    assert check("import typing\nclass P(typing.Protocol):\n" + body) == []
    found = check("import asyncio\nclass P(asyncio.Protocol):\n" + body)
    assert [(f.code, f.scope) for f in found] == [(Code.PLACEHOLDER, "P.data_received")]


def test_a_body_that_is_only_a_comment_is_a_placeholder_whatever_it_says() -> None:
    found = findings("""\
        class TodoList:
            def run(self):
                # compute the result

            def size(self):
                return len(self.items)
        """)
    assert [(f.code, f.line, f.column, f.scope) for f in found] == [(Code.PLACEHOLDER, 3, 9, "TodoList.run")]


# -- comments beside real code -----------------------------------------------------------


@pytest.mark.parametrize("comment", ["# (same logic as above)", "# ... as above ...", "# [unchanged]"])
def test_a_comment_framed_as_a_gap_is_a_placeholder_beside_code(comment: str) -> None:
    assert codes(f"def f(x):\n    y = x + 1\n    {comment}\n    return y\n") == [("placeholder", 3)]


@pytest.mark.parametrize(
    "comment",
    [
        # the second lines of ordinary two-line comments, flagged on site-packages before
        "# Parso tracks this, but doesn't expose it, so we have to\n    # duplicate that logic here.",
        "# We were unable to consume the type comment, so return the\n    # original code unchanged.",
        # a section heading above real code
        "# Original logic",
        "# ...but we should use the supplied provider when generating...",
    ],
)
def test_a_comment_block_beside_code_is_read_as_one_remark(comment: str) -> None:
    assert check(f"def f(x):\n    y = x + 1\n    {comment}\n    return y\n") == []


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
