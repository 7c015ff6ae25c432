"""Telling a file that was cut short from one broken in the middle."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from validators import check
from validators.findings import Code, Finding
from validators.truncation import Opening, cut_short, diagnose, scan, scope_at

TEXTWRAP = (Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py").read_text(encoding="utf-8")


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


# -- cuts that still parse ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("def f(self):\n    x = 1\n    retur", "word cut short: retur"),
        ("x = 1\nde\n", "word cut short: de"),
        ("class A:\n    pass\ncla", "word cut short: cla"),
        ("def f(self):\n    x = 1\n    sel", "unfinished statement: sel"),
        ("def f(self):\n    x = 1\n    self.fix", "unfinished statement: self.fix"),
        ("def f(lines):\n    x = 1\n    lines.a", "unfinished statement: lines.a"),
        ("def f():\n    x = 1\n    return prev_", "middle of a name: prev_"),
        ("def f():\n    x = 1\n    # Hardcode the recognized whit", "inside a comment"),
        ("# Copyright (C) 199", "inside a comment"),
        ("def f():\n    x = 1\n    ", "indentation of a line"),
    ],
)
def test_cuts_that_parse_are_truncated(text: str, words: str) -> None:
    ast.parse(text)
    cut = cut_short(text, ast.parse(text))
    assert cut is not None
    assert cut.finding.code == Code.TRUNCATED
    assert words in cut.finding.message
    assert [f.code for f in check(text)] == [Code.TRUNCATED]


@pytest.mark.parametrize(
    "text",
    [
        "x = 1",  # no newline, but a complete statement
        "def f(w):\n    self.width = w",  # the name is used before
        "def f(prototype):\n    return prototype",
        "__version__ = '0.2.3'",
        "import os\nos.path\n",  # a name with no effect, but the line was ended
        "def f():\n    return 1\n",
        "x = 1\n# the end\n",
    ],
)
def test_complete_texts_are_not_cut(text: str) -> None:
    assert cut_short(text, ast.parse(text)) is None


def test_a_cut_reports_no_placeholder_for_the_definition_it_falls_in() -> None:
    text = (
        'def f():\n    # ... rest of the function ...\n    return 1\n\ndef g():\n    """Doc."""\n'
        "    # compute the"
    )
    found = check(text)
    assert [(f.code, f.line) for f in found] == [(Code.PLACEHOLDER, 2), (Code.TRUNCATED, 7)]


def test_head_of_textwrap_is_truncated() -> None:
    # `head -c 3000 textwrap.py` ends inside a comment: it was reported complete.
    assert [f.code for f in check(TEXTWRAP[:3000])] == [Code.TRUNCATED]


def test_textwrap_cut_mid_line_is_truncated_wherever_it_still_parses() -> None:
    """Issue 19 cut textwrap.py every 97 characters: 63 of the cuts got no finding,
    each one a prefix that `ast` accepts."""
    missed = []
    tried = 0
    for cut in range(97, len(TEXTWRAP), 97):
        prefix = TEXTWRAP[:cut]
        if prefix.endswith("\n"):
            continue  # between two complete lines: only required names can tell
        try:
            ast.parse(prefix)
        except SyntaxError:
            continue
        tried += 1
        if Code.TRUNCATED not in [f.code for f in check(prefix)]:
            missed.append(prefix[-40:])
    assert tried >= 50
    assert missed == []
