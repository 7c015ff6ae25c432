"""Telling a file that was cut short from one broken in the middle."""

from __future__ import annotations

import libcst as cst
import pytest

from validators.findings import Code, Finding
from validators.truncation import Opening, diagnose, scan, scope_at


def diagnosis(text: str) -> Finding:
    with pytest.raises(cst.ParserSyntaxError) as caught:
        cst.parse_module(text)
    return diagnose(text, caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x = 1 +\n", "unfinished statement: x = 1 +"),
        ("def f(x):\n", "block header with no body: def f(x):"),
        ("def f(x):\n    ", "block header with no body"),
        ("@cache\n", "decorator with nothing under it: @cache"),
        ("x = (1,\n     2", "inside '(' opened at 1:5"),
        ("s = 'abc", "inside a string opened at 1:5"),
        ('def f():\n    """Doc.\n', "inside a string opened at 2:5"),
        ('def f():\n    """Doc."', "inside a string opened at 2:5"),
        ('def f():\n    """Doc.""', "inside a string opened at 2:5"),
        ("x = r'abc\\", "inside a string opened at 1:6"),
        ("x = 1 + \\\n", "line continuation"),
        ("from os impo", "unfinished statement"),
        ("class A:\n    def f(self):\n        return self.as", "unfinished statement"),
        ("x = 0x", "unfinished statement"),
        ("x = ..", "unfinished statement"),
        ("if x:\n    pass\nelse", "unfinished statement: else"),
        ("try:\n    pass\n", "unfinished statement"),
        ("x = [Extension('föö', ['uuu'], opti", "inside '(' opened at 1:15"),
        ("f'abc {x", "inside a string opened at 1:2"),
    ],
)
def test_cut_files_are_truncated(text: str, words: str) -> None:
    finding = diagnosis(text)
    assert finding.code == Code.TRUNCATED
    assert words in finding.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("print('done'))\n", 1),
        ("foo(1, 2\n\ndef g():\n    pass\n", 3),
        ("x = 1\n  y = 2\n", 2),
        ("x = 'abc\ny = 2\n", 1),
        ("def f(x) y:\n    pass\n", 1),
        ("foo(1, 2\n\ndef g(): pass\n'''abc", 3),
    ],
)
def test_errors_in_the_middle_are_syntax(text: str, line: int) -> None:
    finding = diagnosis(text)
    assert (finding.code, finding.line) == (Code.SYNTAX, line)


def test_truncated_finding_points_just_past_the_last_character() -> None:
    finding = diagnosis("def add(self, todo):\n    self.items.append(todo\n\n")
    assert (finding.line, finding.column, finding.scope) == (2, 27, "add")


def test_scan_follows_brackets_strings_and_comments() -> None:
    tail = scan('x = [  # a ( in a comment\n    \')\', """(\n""", {1: (2,')
    assert tail.brackets == (Opening("[", 1, 5), Opening("{", 3, 6), Opening("(", 3, 10))
    assert tail.string is None
    assert tail.depth == 3


def test_scope_is_judged_by_indentation() -> None:
    text = "class A:\n    def f(self):\n        x = 1\n\ndef g():\n    y = (\n"
    assert scope_at(text, 3) == "A.f"
    assert scope_at(text, 6) == "g"
    assert scope_at(text, 5) == ""
