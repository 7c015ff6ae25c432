"""Splicing one regenerated definition into real stdlib files: every answer shape a model
gives, and every other byte of the file left as it was."""

from __future__ import annotations

import ast
import sysconfig
import textwrap
from pathlib import Path

import pytest

from codegen.splice import (
    Definition,
    Region,
    SpliceError,
    broken_statement,
    definition_around,
    definition_target,
    drop_repeats,
    find_definition,
    insert_definition,
    locate,
    merge_imports,
    replace_definition,
    replace_lines,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])

# (module, qualified name): methods long and short, decorated, and top-level functions.
CASES = [
    ("textwrap.py", "TextWrapper._wrap_chunks"),
    ("textwrap.py", "dedent"),
    ("shlex.py", "shlex.read_token"),
    ("shlex.py", "split"),
    ("fractions.py", "Fraction.from_float"),  # @classmethod
    ("fractions.py", "Fraction.limit_denominator"),
    ("fractions.py", "Fraction.numerator"),  # @property
    ("ipaddress.py", "_BaseNetwork.hosts"),
    ("ipaddress.py", "IPv4Address.is_private"),  # @property @functools.lru_cache()
]


def source(module: str) -> str:
    return (STDLIB / module).read_text(encoding="utf-8")


def original_lines(code: str, qualname: str) -> str:
    span = locate(code, qualname)
    return "".join(code.splitlines(keepends=True)[span.first - 1 : span.last])


def with_placeholder(code: str, qualname: str) -> str:
    """The file as a lazy model wrote it: the definition's body left out."""
    span = locate(code, qualname)
    lines = code.splitlines(keepends=True)
    header_end = next(
        i
        for i in range(span.first - 1, span.last)
        if lines[i].rstrip().endswith(":") and not lines[i].lstrip().startswith("@")
    )
    body = span.indent + "    # ... rest of implementation ...\n" + span.indent + "    pass\n"
    return "".join(lines[: header_end + 1]) + body + "".join(lines[span.last :])


def class_header(code: str, qualname: str) -> str:
    owner = qualname.rsplit(".", 1)[0]
    node = next(n for n in ast.parse(code).body if isinstance(n, ast.ClassDef) and n.name == owner)
    return code.splitlines(keepends=True)[node.lineno - 1]


def shapes(code: str, qualname: str) -> dict[str, str]:
    """The ways models answer "write the complete definition of `qualname`"."""
    text = original_lines(code, qualname)
    flat = textwrap.dedent(text)
    shaped = {
        "dedented, fenced": f"```python\n{flat}```",
        "as in its class, no fence": text,
        "prose, then fenced": f"Here is the complete definition of `{qualname}`:\n\n```python\n{flat}```\n",
        "imports above it": f"```python\nimport sys\nimport re\n\n{flat}```\nThis replaces the stub.",
    }
    if "." in qualname:
        header = class_header(code, qualname)
        member = textwrap.indent(flat, "    ")
        shaped["wrapped in its class"] = f"```python\n{header}{member}```"
        shaped["wrapped, other members elided"] = (
            f"```python\n{header}    # ... other methods unchanged ...\n\n{member}\n"
            "    # ... rest of the class ...\n```"
        )
    return shaped


@pytest.mark.parametrize(("module", "qualname"), CASES)
def test_every_answer_shape_restores_the_file_byte_for_byte(module: str, qualname: str) -> None:
    code = source(module)
    lazy = with_placeholder(code, qualname)
    assert lazy != code
    for shape, answer in shapes(code, qualname).items():
        definition = find_definition(answer, qualname)
        assert replace_definition(lazy, qualname, definition) == code, shape


def test_decorators_come_with_the_definition_and_replace_the_old_ones() -> None:
    code = source("ipaddress.py")
    definition = find_definition(
        shapes(code, "IPv4Address.is_private")["dedented, fenced"], "IPv4Address.is_private"
    )
    assert definition.text.startswith("@property\n@functools.lru_cache()\ndef is_private")
    assert replace_definition(code, "IPv4Address.is_private", definition) == code


def test_a_definition_the_answer_lacks_is_an_error() -> None:
    with pytest.raises(SpliceError, match="does not define `A.g`"):
        find_definition("```python\ndef f():\n    return 1\n```", "A.g")
    with pytest.raises(SpliceError, match="no code"):
        find_definition("I cannot find that method.", "A.g")


def test_a_definition_is_read_out_of_an_answer_broken_elsewhere() -> None:
    # Asked for one function, a small model (Qwen2.5-Coder-0.5B) wrote the file over from
    # the top, cut inside an earlier function; its continuation was the one asked for.
    answer = (
        "```python\nfrom collections import Counter\n\ndef words(text):\n"
        "    return text.split()\n\ndef average(text):\n    #\n"
        "def sentence_count(text: str) -> int:\n    n = text.count('.')\n\n"
        "    return n + text.count('!')\n```\n"
    )
    found = find_definition(answer, "sentence_count")
    assert (
        found.text == "def sentence_count(text: str) -> int:\n    n = text.count('.')\n\n"
        "    return n + text.count('!')\n"
    )
    assert found.imports == ("from collections import Counter\n",)


def test_a_method_is_read_out_of_a_broken_class_by_its_own_lines() -> None:
    answer = (
        "```python\nclass Tally:\n    def add(self, item,\n\n"
        "    @staticmethod\n    def count(item) -> int:\n        return 0\n```\n"
    )
    found = find_definition(answer, "Tally.count")
    assert found.text == "@staticmethod\ndef count(item) -> int:\n    return 0\n"


def test_a_broken_answer_whose_definition_is_cut_is_still_an_error() -> None:
    with pytest.raises(SpliceError, match="does not parse"):
        find_definition("```python\ndef f(x):\n    return (x +\n```\n", "f")


def test_a_decorator_line_is_in_the_definition_it_decorates() -> None:
    # A finding for a method that a continuation left unfinished starts at its first
    # decorator; the file is cut inside the method and does not parse (`fractions`).
    code = (
        "class Fraction:\n    def a(self):\n        return 1\n\n    @classmethod\n    @other\n"
        "    def from_decimal(cls, dec):\n        if dec:\n            dec = int(dec)\n"
        "       \n    def b(self):\n        return 2\n"
    )
    for line in (5, 6, 7, 9):
        assert definition_around(code, line) == Region("Fraction.from_decimal", "method", 5, 9)
    assert definition_around(code, 2) == Region("Fraction.a", "method", 2, 3)
    assert definition_around("@cache\nx = 1\n", 1) is None


def test_new_imports_are_merged_once_after_the_last_import() -> None:
    code = source("textwrap.py")
    answer = (
        "```python\nimport re\nimport itertools\nfrom os import sep\n\n"
        "def dedent(text):\n    return text\n```"
    )
    definition = find_definition(answer, "dedent")
    assert definition.imports == ("import re\n", "import itertools\n", "from os import sep\n")
    merged = merge_imports(code, definition.imports)
    added = [line for line in merged.splitlines() if line not in code.splitlines()]
    assert added == ["import itertools", "from os import sep"]
    # Only those lines were added, right after `import re` (the module's only import).
    assert merged.replace("import itertools\nfrom os import sep\n", "") == code
    assert merge_imports(merged, definition.imports) == merged


def test_a_missing_method_is_added_at_the_end_of_its_class() -> None:
    code = source("shlex.py")
    span = locate(code, "shlex.__next__")  # the class's last method
    lines = code.splitlines(keepends=True)
    without = "".join(lines[: span.first - 1] + lines[span.last :])
    assert "__next__" not in without
    definition = find_definition(shapes(code, "shlex.__next__")["dedented, fenced"], "shlex.__next__")
    added = insert_definition(without, "shlex.__next__", definition)
    assert ast.dump(ast.parse(added)) == ast.dump(ast.parse(code))


def test_a_missing_base_class_goes_before_the_class_that_needs_it() -> None:
    code = "import os\n\n\nclass Child(Base):\n    pass\n\n\ndef main():\n    return Child()\n"
    definition = find_definition("class Base:\n    root = os.sep\n", "Base")
    added = insert_definition(code, "Base", definition)
    names = [n.name for n in ast.parse(added).body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
    assert names == ["Base", "Child", "main"]
    assert added.startswith("import os\n")


def test_a_missing_function_goes_before_the_main_guard() -> None:
    code = "def main():\n    helper()\n\n\nif __name__ == '__main__':\n    main()\n"
    added = insert_definition(code, "helper", Definition("helper", "def helper():\n    return 1\n"))
    body = ast.parse(added).body
    assert [type(n).__name__ for n in body] == ["FunctionDef", "FunctionDef", "If"]
    assert added.startswith(code.split("if __name__")[0].rstrip())


def test_a_definition_needing_a_later_constant_goes_after_it() -> None:
    code = "def f():\n    return 1\n\n\nLIMIT = 10\n"
    added = insert_definition(code, "Box", Definition("Box", "class Box:\n    size = LIMIT\n"))
    names = [type(n).__name__ for n in ast.parse(added).body]
    assert names == ["FunctionDef", "Assign", "ClassDef"]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("TextWrapper._wrap_chunks", ("TextWrapper._wrap_chunks", "method")),
        ("TextWrapper", ("TextWrapper", "class")),
        ("dedent", ("dedent", "function")),
        ("", None),
        ("nowhere", None),
    ],
)
def test_the_definition_to_regenerate_for_a_scope(scope: str, expected: object) -> None:
    assert definition_target(source("textwrap.py"), scope) == expected


def test_a_function_nested_in_a_method_regenerates_the_method() -> None:
    code = "class A:\n    def f(self):\n        def inner():\n            pass\n        return inner\n"
    assert definition_target(code, "A.f.inner") == ("A.f", "method")


def test_the_statement_that_breaks_the_parse_is_found_in_a_real_module() -> None:
    code = source("shlex.py")
    span = locate(code, "split")
    lines = code.splitlines(keepends=True)
    # A bracket left open: the parser complains only at the next top-level statement.
    broken_at = next(i for i in range(span.first, span.last) if "lex = shlex(" in lines[i])
    lines[broken_at] = lines[broken_at].replace(")", "", 1)
    broken = "".join(lines)
    with pytest.raises(SyntaxError) as raised:
        ast.parse(broken)
    found = broken_statement(broken, raised.value.lineno or 1)
    assert found is not None and found.first == span.first
    fixed = replace_lines(broken, found.first, found.last, original_lines(code, "split").rstrip("\n") + "\n")
    assert ast.dump(ast.parse(fixed)) == ast.dump(ast.parse(code))


def test_replace_lines_keeps_a_missing_final_newline() -> None:
    assert replace_lines("a = 1\nb = 2", 2, 2, "b = 3\n") == "a = 1\nb = 3"
    with pytest.raises(SpliceError):
        replace_lines("a = 1\n", 2, 3, "x\n")


def test_definitions_an_answer_wrote_over_are_dropped_once_line_for_line() -> None:
    # Qwen2.5-Coder-0.5B, asked to go on after `__len__` for a missing `is_empty`, wrote
    # is_empty, then clear and __len__ again.
    code = (
        "class Stack:\n    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return len(self.items)\n\n"
        "    def is_empty(self):\n        return not self.items\n\n"
        "    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return 0\n"
    )
    assert drop_repeats(code, 6) == (
        "class Stack:\n    def clear(self):\n        self.items = []\n\n"
        "    def __len__(self):\n        return len(self.items)\n\n"
        "    def is_empty(self):\n        return not self.items\n\n"
        "    def __len__(self):\n        return 0\n"
    )  # not the same lines: kept
    assert drop_repeats(code, 0) == code  # nothing was there before
    assert drop_repeats("def f(:\n", 0) == "def f(:\n"
